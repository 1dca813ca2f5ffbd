"""Temperature sweep of a trained run: `python benchmarks/sweep.py --run RUN_DIR --out FILE.json`.

Samples at each temperature of the protocol (Caccia et al. 2020, "Language GANs Falling Short"; docs/evaluation.md)
and writes one JSON holding the sweep entries (`textgan.metrics.sweep.temperature_sweep`) plus the run's
model, data, config, hardware and git SHA. `benchmarks/render.py` draws the quality-diversity curve of
every such file in a results folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from benchmarks.harness import config_hash
from benchmarks.machine import hardware
from textgan.errors import UserError, cli_entry


def _train_command(run_dir: Path) -> str | None:
    """The training command line, from the run's run_info.jsonl (its first start)."""
    from textgan.runs import RunDir

    sittings = RunDir(run_dir).read_run_info()
    return "python -m textgan.train " + " ".join(sittings[0].get("argv", [])) if sittings else None


@cli_entry
def main(argv: list[str] | None = None) -> int:
    from textgan.config import to_dict
    from textgan.data.sources import load_data
    from textgan.evaluate import check_text_run, parse_temperatures
    from textgan.metrics.suite import parse_metrics
    from textgan.metrics.sweep import DEFAULT_TEMPERATURES, default_metrics, temperature_sweep
    from textgan.runs import RunDir, git_sha, load_run

    p = argparse.ArgumentParser(prog="python benchmarks/sweep.py", description=__doc__.splitlines()[0])
    p.add_argument("--run", required=True, help="run directory")
    p.add_argument("--out", required=True, help="JSON file to write")
    p.add_argument("--temperatures", default=",".join(map(str, DEFAULT_TEMPERATURES)))
    p.add_argument("--metrics", help="default: bleu,self_bleu,nll,sacrebleu for text, nll for the oracle")
    p.add_argument("--num", type=int, help="samples per temperature (default: the run's eval.num_samples)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--max-n", type=int, default=5)
    p.add_argument("--data-dir")
    args = p.parse_args(argv)

    check_text_run(Path(args.run), "benchmarks/sweep.py")
    run = load_run(args.run)
    if hasattr(run.generator, "bind"):  # class-conditional: the per-class protocol has no temperature sweep
        raise UserError(f"run '{args.run}' is class-conditional, scored with the per-class protocol, which has no "
                        f"temperature sweep; score it with python -m textgan.evaluate --run {args.run}")
    data = load_data(run.cfg.data, args.data_dir, run.vocab)  # load_run found its relative paths
    metrics = parse_metrics(args.metrics) if args.metrics else default_metrics(data)
    num = args.num or run.cfg.eval.num_samples
    t0 = time.perf_counter()
    sweep = temperature_sweep(run.generator, data, parse_temperatures(args.temperatures), metrics,
                              num_samples=num, seed=args.seed, max_n=args.max_n, progress=True)
    config = to_dict(run.cfg)
    result = {"model": run.spec.name, "data": data.name, "seed": run.cfg.seed, "run": str(args.run),
              "checkpoint_step": run.meta.get("step"), "metric_names": metrics, "sweep": sweep,
              "wall_s": round(time.perf_counter() - t0, 1), "hardware": hardware(), "git_sha": git_sha(),
              "config": config, "config_hash": config_hash(config),
              "command": "python benchmarks/sweep.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "train_command": _train_command(Path(args.run)), "curve": RunDir(args.run).read_metrics()}
    out = Path(args.out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1) + "\n")
    except OSError as err:
        raise UserError(f"cannot write '{out}' ({err.strerror})") from None
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
