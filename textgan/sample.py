"""Sampling CLI: `python -m textgan.sample --run runs/<name> [--num 20] [--temperature 0.8] ...`.

Prints decoded sentences (token ids for the synthetic oracle), one per line, or writes them to --out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from textgan.errors import cli_entry
from textgan.runs import load_run
from textgan.sampling import check_sampling_args, sample


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m textgan.sample", description="Sample from a trained run.")
    p.add_argument("--run", required=True, help="run directory (runs/<name>)")
    p.add_argument("--checkpoint", help="a specific checkpoint folder (default: the newest intact one)")
    p.add_argument("--num", type=int, default=20, help="number of samples (default 20)")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--top-k", type=int, default=0, help="keep the k most likely tokens (0 = off)")
    p.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass (1 = off)")
    p.add_argument("--seed", type=int, default=None, help="seed for reproducible samples")
    p.add_argument("--out", help="write to this file instead of stdout")
    return p


@cli_entry
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from textgan.errors import UserError

    if args.num < 1:
        raise UserError(f"--num must be >= 1, got {args.num}")
    check_sampling_args(args.temperature, args.top_k, args.top_p)
    run = load_run(args.run, args.checkpoint)
    ids = sample(run.generator, args.num, run.seq_len, temperature=args.temperature, top_k=args.top_k,
                 top_p=args.top_p, eos_id=run.vocab.eos_id, pad_id=run.vocab.pad_id, seed=args.seed)
    lines = [run.vocab.decode(row) for row in ids.tolist()]
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")
        print(f"wrote {len(lines)} samples to {args.out}", file=sys.stderr)
    else:
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
