"""The `--threads` flag of the sampling and evaluation CLIs: how many CPU threads torch may use.

Training has its own setting (`train.threads`); these commands often run beside training jobs on a shared
machine, where torch's default (every core) would slow the jobs beside them.
"""

from __future__ import annotations

import argparse

from textgan.errors import UserError


def add_threads_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=int,
                        help="CPU threads for torch (default: torch's choice, all cores); 1 keeps a shared "
                             "machine free for the runs beside it")


def apply_threads(threads: int | None) -> None:
    """Limit torch to `threads` CPU threads; None leaves torch's default."""
    if threads is None:
        return
    if threads < 1:
        raise UserError(f"--threads must be >= 1, got {threads}")
    import torch  # loaded only when a limit is set, as in the CLIs it serves

    torch.set_num_threads(threads)
