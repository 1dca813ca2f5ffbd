"""A paper-scale config run end to end with its budgets cut: does it work, and what does each piece cost here?

The configs under `configs/paper/` hold the papers' full schedules, hours to days on a CPU. This script
trains one of them through the real CLI with every phase cut to a few iterations and an evaluation after
each, then records what the run cost:

    python benchmarks/paper_smoke.py --config configs/paper/seqgan_oracle.yaml \\
        --out benchmarks/results/seqgan_paper_smoke [--threads 1] [--data-dir DIR] \\
        [OVERRIDE ...]   (default: mle.epochs=1 adversarial.pretrain_d_rounds=1 adversarial.rounds=2)

It writes into `--out` the run's `config.yaml` and `metrics.jsonl` and `smoke.json`: the command, git
commit, machine (`benchmarks.machine.hardware`), load average before and after, whole-run wall seconds, the
training process's peak resident memory, and each phase iteration's training seconds (differences of the
loop's `elapsed_s`, evaluations excluded) and evaluation seconds. The run folder itself goes to `--workdir`
(git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.machine import cpu_summary, hardware, shown_path  # noqa: E402
from textgan.runs import RunDir, git_sha  # noqa: E402

DEFAULT_CUTS = ["mle.epochs=1", "adversarial.pretrain_d_rounds=1", "adversarial.rounds=2"]


def with_default_cuts(config: Path, overrides: list[str]) -> list[str]:
    """The default cuts the config's model has (LeakGAN's schedule has no `mle.epochs`), except those whose key
    `overrides` sets itself, then `overrides`: an extra setting (`eval.num_samples=64`) keeps the cuts."""
    from benchmarks.harness import flatten
    from textgan.config import load_yaml, to_dict
    from textgan.registry import get_model, make_config

    keys = flatten(to_dict(make_config(get_model(str(load_yaml(config).get("model"))))))
    given = {o.split("=", 1)[0] for o in overrides}
    return [c for c in DEFAULT_CUTS if c.split("=", 1)[0] in keys and c.split("=", 1)[0] not in given] + overrides


def smoke_command(config: Path, run_dir: Path, threads: int, overrides: list[str]) -> list[str]:
    """The training command: the paper config, its cuts, an evaluation after every iteration."""
    return [sys.executable, "-m", "textgan.train", "--config", str(config), "--run-dir", str(run_dir),
            "--overwrite", *overrides, "train.eval_every=1", f"train.threads={threads}", "train.progress=false"]


def phase_costs(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per evaluated iteration after the first evaluation: its phase, iteration, training seconds
    (the rise of `elapsed_s` since the record before) and evaluation seconds."""
    return [{"phase": now["phase"], "iteration": now["iteration"],
             "train_s": round(now["elapsed_s"] - before["elapsed_s"], 1), "eval_s": now.get("eval_s")}
            for before, now in zip(records, records[1:])]


def table(result: dict[str, Any]) -> str:
    """The Markdown table of a smoke.json."""
    lines = ["| piece | training s | evaluation s |", "|---|---|---|"]
    lines += [f"| {r['phase']} {r['iteration']} | {r['train_s']:,.1f} | {r['eval_s']:,.1f} |"
              for r in result["phases"]]
    lines += [f"| whole run (with {len(result['phases']) + 1} evaluations), wall | {result['wall_s']:,.0f} | |",
              f"| peak resident memory of the training process | {result['peak_rss_gib']:.2f} GiB | |"]
    return "\n".join(lines) + (f"\n\n{cpu_summary(result['hardware'])}, {result['threads']} thread(s), "
                               f"git {(result['git'] or 'unknown')[:7]}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/paper_smoke.py", description=__doc__.splitlines()[0])
    p.add_argument("--config", type=Path, required=True, help="a paper config (configs/paper/*.yaml)")
    p.add_argument("--out", type=Path, required=True, help="folder for smoke.json, config.yaml, metrics.jsonl")
    p.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "runs" / "paper_smoke",
                   help="where the run folder goes (git-ignored)")
    p.add_argument("--threads", type=int, default=1, help="torch threads of the run (default 1)")
    p.add_argument("--data-dir", default=None, help="data root (default: $TEXTGAN_DATA_DIR, else ./data)")
    p.add_argument("overrides", nargs="*", help=f"key=value overrides, added to the default cuts "
                                                f"({' '.join(DEFAULT_CUTS)}; a key given here replaces its cut)")
    args = p.parse_args(argv)
    if not args.config.is_file():
        p.error(f"config file '{args.config}' not found")
    overrides = with_default_cuts(args.config, args.overrides)
    import torch

    torch.set_num_threads(args.threads)  # so hardware() reports the threads the run uses
    run_dir = args.workdir / args.config.stem
    command = smoke_command(args.config, run_dir, args.threads, overrides)
    env = {**os.environ, **({"TEXTGAN_DATA_DIR": args.data_dir} if args.data_dir else {})}
    load_before, commit = os.getloadavg(), git_sha()  # the commit the run starts from
    t0 = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(f"error: the training run failed (exit {proc.returncode}); see its output above", file=sys.stderr)
        return proc.returncode
    # the only child this process waited for is the training run: its peak RSS (KiB on Linux)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    records = RunDir(run_dir).read_metrics()
    shown = ["python", "-m", "textgan.train", *command[3:]]
    for flag, path in (("--run-dir", run_dir), ("--config", args.config)):
        shown[shown.index(flag) + 1] = shown_path(path)
    result = {"command": shlex.join(shown), "git": commit, "hardware": hardware(), "threads": args.threads,
              "load_average_before_after": [list(load_before), list(os.getloadavg())],
              "wall_s": round(wall, 1), "peak_rss_gib": round(peak_kib / 2**20, 3),
              "phases": phase_costs(records)}
    args.out.mkdir(parents=True, exist_ok=True)
    for name in ("config.yaml", "metrics.jsonl"):
        shutil.copyfile(run_dir / name, args.out / name)
    (args.out / "smoke.json").write_text(json.dumps(result, indent=1) + "\n")
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
