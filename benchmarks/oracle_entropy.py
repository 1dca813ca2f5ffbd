"""The oracle's NLL of its own samples at each sequence length (the floor of NLL-oracle).

A generator equal to the oracle scores, in expectation, the oracle's per-token entropy rate on NLL-oracle:
the mean per-token NLL of the oracle's own samples (SeqGAN, Yu et al. 2017, reports 5.75 at length 20).
Published length-40 tables (RelGAN paper Table 1) list 4.071 for their oracle at length 40; this script
measures the floor of the oracle our runs use, so a reader can tell whether those rows share it:

    python benchmarks/oracle_entropy.py [--lengths 20 40] [--num 10000] [--data-dir DIR] [--out FILE.json]

The oracle is the one every oracle run builds with the default `data.oracle` settings
(`textgan.data.sources.build_oracle`): SeqGAN's `target_params.npz` under the data root (`--data-dir` or
$TEXTGAN_DATA_DIR), else the project's seeded N(0, 1) oracle of the same shape (said in the output).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from textgan.data.paths import resolve_data_root  # noqa: E402
from textgan.data.sources import OracleConfig, build_oracle  # noqa: E402
from textgan.metrics.nll import nll_oracle  # noqa: E402
from textgan.sampling import sample  # noqa: E402


def own_sample_nll(oracle: torch.nn.Module, seq_len: int, num: int, seed: int = 0, batch: int = 1000) -> float:
    """Mean per-token NLL under `oracle` of `num` of its own samples of `seq_len` tokens (temperature 1)."""
    return nll_oracle(oracle, sample(oracle, num, seq_len, batch_size=batch, seed=seed))


def measure(lengths: list[int], num: int, data_dir: str | None = None) -> dict[str, Any]:
    oracle, source = build_oracle(OracleConfig(), resolve_data_root(data_dir))
    return {"oracle": source, "samples": num,
            "nll_own_samples": {str(n): round(own_sample_nll(oracle, n, num), 4) for n in lengths}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lengths", type=int, nargs="+", default=[20, 40])
    p.add_argument("--num", type=int, default=10000, help="samples per length")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", default=None, help="also write the result as JSON")
    args = p.parse_args(argv)
    if args.num < 1 or min(args.lengths) < 1:
        p.error("--num and every --lengths value must be at least 1")
    torch.set_num_threads(1)
    result = measure(args.lengths, args.num, args.data_dir)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
