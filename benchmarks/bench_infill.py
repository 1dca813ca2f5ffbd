"""In-filling benchmark of MaskGAN against MaskMLE (Fedus, Goodfellow & Dai 2018, arXiv 1801.07736).

    python benchmarks/bench_infill.py [--data coco] [--seed 0] [--maskmle pretrained|run] [key=value ...]

Trains a `maskgan` run (`python -m textgan.train --model maskgan --config configs/maskgan.yaml`, in a
subprocess, into benchmarks/runs/, resumed when it exists) and scores two generators with the same
fixed-seed masked test sentences (`textgan.metrics.infill.evaluate_infill`):
- MaskMLE: with `--maskmle pretrained` (default) the same run's generator at the end of its MaskMLE
  pretraining phase (its last `mle` checkpoint), so the only difference between the two columns is the
  adversarial phase; with `--maskmle run` a separate `maskmle` run with the same generator and epochs.
- MaskGAN: the run's final generator.
Writes one JSON per model and a Markdown table (README.md) under benchmarks/results/<name>/. Extra
`key=value` arguments override the training config of both runs (e.g. a CPU budget:
`mle.epochs=5 data.max_train=2000`); every result states them, with the wall time and machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.harness import hardware  # noqa: E402

MLE_SOURCE = {"pretrained": "the MaskGAN run after its MaskMLE pretraining (the weights its adversarial phase "
                            "starts from)", "run": "a separate maskmle run"}


def train(model: str, run_dir: Path, args: argparse.Namespace, log_file: Path) -> tuple[list[str], float]:
    """Train (or finish) one run in a subprocess; (the command, its wall time in s)."""
    cmd = [sys.executable, "-m", "textgan.train", "--run-dir", str(run_dir.relative_to(REPO))]  # cwd is REPO
    if args.data_dir:
        cmd += ["--data-dir", args.data_dir]
    if (run_dir / "checkpoints").is_dir() and any((run_dir / "checkpoints").iterdir()):
        cmd += ["--resume"]
    else:
        cmd += ["--model", model, "--config", f"configs/{model}.yaml", "--data", args.data, "--seed", str(args.seed),
                "--overwrite", *args.overrides, "train.progress=false", "train.threads=1",
                "train.keep_checkpoints=1000"]  # the last checkpoint of the MaskMLE phase must survive
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    t0 = time.perf_counter()
    with open(log_file, "a") as log:
        log.write(f"$ {' '.join(cmd)}\n")
        log.flush()
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"training {model} failed (exit {proc.returncode}); see {log_file}")
    return cmd, time.perf_counter() - t0


def last_checkpoint_of_phase(run_dir: Path, phase: str) -> Path:
    from textgan.checkpoint import list_checkpoints

    found = [p for p in list_checkpoints(run_dir / "checkpoints")
             if json.loads((p / "meta.json").read_text()).get("phase") == phase]
    if not found:
        raise SystemExit(f"{run_dir} kept no checkpoint of phase '{phase}'; raise train.keep_checkpoints")
    return found[-1]


def score(label: str, run_dir: Path, checkpoint: Path | None, args: argparse.Namespace) -> dict[str, Any]:
    from textgan.metrics.infill import evaluate_infill_run

    t0 = time.perf_counter()
    result = evaluate_infill_run(run_dir, checkpoint=checkpoint, data_dir=args.data_dir, num=args.num,
                                 seed=args.eval_seed)
    result.update(label=label, run=str(run_dir.relative_to(REPO)),
                  checkpoint=checkpoint.name if checkpoint else "final", eval_wall_s=round(time.perf_counter() - t0, 1))
    return result


def table(results: list[dict[str, Any]]) -> str:
    head = "| metric | " + " | ".join(r["label"] for r in results) + " |"
    lines = [head, "|---" * (len(results) + 1) + "|"]

    def row(name: str, values: list[float]) -> None:
        lines.append(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + " |")

    for n in ("2", "3", "4", "5"):
        row(f"BLEU-{n} (filled vs other test sentences)", [r["bleu"][n] for r in results])
    for n in ("2", "3", "4", "5"):
        row(f"self-BLEU-{n}", [r["self_bleu"][n] for r in results])
    for n in ("1", "2", "3", "4"):
        row(f"% unique {n}-grams in filled spans", [r["unique_ngrams"][n] for r in results])
    row("masked-token accuracy", [r["masked_accuracy"] for r in results])
    row("in-filling NLL (masked tokens)", [r["infill_nll"] for r in results])
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="coco")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--maskmle", choices=["pretrained", "run"], default="pretrained")
    p.add_argument("--num", type=int, default=1000, help="test sentences masked and filled (default 1000)")
    p.add_argument("--eval-seed", type=int, default=1234)
    p.add_argument("--name", default=None, help="results folder name (default maskgan_<data>)")
    p.add_argument("--budget-note", default="", help="a sentence on the compute budget, copied into the results")
    p.add_argument("overrides", nargs="*", metavar="key=value")
    args = p.parse_args()
    name = args.name or f"maskgan_{Path(args.data).stem}"
    runs, out = REPO / "benchmarks" / "runs", REPO / "benchmarks" / "results" / name
    runs.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    t_all = time.perf_counter()
    commands, walls = {}, {}
    gan_dir = runs / f"{name}-maskgan-seed{args.seed}"
    commands["maskgan"], walls["maskgan"] = train("maskgan", gan_dir, args, runs / f"{gan_dir.name}.log")
    if args.maskmle == "run":
        mle_dir = runs / f"{name}-maskmle-seed{args.seed}"
        commands["maskmle"], walls["maskmle"] = train("maskmle", mle_dir, args, runs / f"{mle_dir.name}.log")
        mle = score("MaskMLE", mle_dir, None, args)
    else:
        mle = score("MaskMLE", gan_dir, last_checkpoint_of_phase(gan_dir, "mle"), args)
    gan = score("MaskGAN", gan_dir, None, args)
    common = {"data": args.data, "seed": args.seed, "maskmle_source": args.maskmle, "overrides": args.overrides,
              "commands": {k: "python " + " ".join(v[1:]) for k, v in commands.items()}, "train_wall_s": walls,
              "total_wall_s": round(time.perf_counter() - t_all, 1), "budget": args.budget_note,
              "load_average_before": load_before, "load_average_after": os.getloadavg(), "hardware": hardware()}
    for result in (mle, gan):
        path = out / f"{result['label'].lower()}-seed{args.seed}.json"
        path.write_text(json.dumps({**result, **common}, indent=1) + "\n")
    md = [f"# MaskGAN vs MaskMLE in-filling on {args.data}", "",
          f"`python benchmarks/bench_infill.py --data {args.data} --seed {args.seed} --maskmle {args.maskmle} "
          f"{' '.join(args.overrides)}`", "",
          f"Budget: {args.budget_note or 'see the JSON files'}. Total wall time {common['total_wall_s']:.0f} s "
          f"(training {sum(walls.values()):.0f} s), single thread, load average before / after "
          f"{load_before[0]:.1f} / {common['load_average_after'][0]:.1f} on {hardware()['cpu_count']} CPUs.",
          f"MaskMLE column: {MLE_SOURCE[args.maskmle]}.",
          "", f"Protocol: {gan['protocol']['hypotheses']}, {gan['protocol']['mask_scheme']} masks at present rate "
          f"{gan['protocol']['present_rate']} (seed {gan['protocol']['mask_seed']}); references: "
          f"{gan['protocol']['references']}.", "", table([mle, gan]), "", "Examples (MaskGAN):", ""]
    md += [f"- `{s['masked']}` → `{s['filled']}`" for s in gan["samples"][:5]]
    (out / "README.md").write_text("\n".join(md) + "\n")
    print((out / "README.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
