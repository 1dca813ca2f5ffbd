"""In-filling benchmark of MaskGAN against MaskMLE (Fedus, Goodfellow & Dai 2018, arXiv 1801.07736).

    python benchmarks/bench_infill.py [--data coco] [--seed 0] [--maskmle pretrained|run] [key=value ...]

Trains a `maskgan` run (`python -m textgan.train --model maskgan --config configs/maskgan.yaml`, in a
subprocess, into benchmarks/runs/, resumed when it exists) and scores two generators with the same
fixed-seed masked test sentences (`textgan.metrics.infill.evaluate_infill`):
- MaskMLE: with `--maskmle pretrained` (default) the same run's generator at the end of its MaskMLE
  pretraining phase (its last `mle` checkpoint), so the only difference between the two columns is the
  adversarial phase; with `--maskmle run` a separate `maskmle` run with the same generator and epochs.
- MaskGAN: the run's final generator.
Writes one JSON per model and seed under benchmarks/results/<name>/, and a README.md there with the
mean ± std over every seed scored so far (`--readme-only` rewrites it without training). Extra
`key=value` arguments override the training config of both runs (e.g. a CPU budget:
`mle.epochs=5 data.max_train=2000`); every result states them, with the wall time and machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.harness import run_until_saved  # noqa: E402
from benchmarks.machine import cpu_summary, hardware, repo_path  # noqa: E402
from benchmarks.render import fmt_mean_std  # noqa: E402

MLE_SOURCE = {"pretrained": "the MaskGAN run after its MaskMLE pretraining (the weights its adversarial phase "
                            "starts from)", "run": "a separate maskmle run"}


def train(model: str, run_dir: Path, args: argparse.Namespace, log_file: Path) -> tuple[list[str], float]:
    """Train (or finish) one run in a subprocess; (the command, its wall time in s)."""
    cmd = [sys.executable, "-m", "textgan.train", "--run-dir", repo_path(run_dir)]  # cwd is REPO
    if args.data_dir:
        cmd += ["--data-dir", args.data_dir]
    from textgan.runs import RunDir

    if RunDir(run_dir).has_checkpoint():  # a save killed midway leaves only a temporary folder: no checkpoint
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
        code = run_until_saved(cmd, log, env)  # a Ctrl-C lets the run save its checkpoint first
    if code != 0:
        raise SystemExit(f"training {model} failed (exit {code}); see {log_file}")
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
    result.update(label=label, run=repo_path(run_dir),
                  checkpoint=checkpoint.name if checkpoint else "final", eval_wall_s=round(time.perf_counter() - t0, 1))
    return result


METRICS: list[tuple[str, Any]] = (
    [(f"BLEU-{n} (filled vs other test sentences)", lambda r, n=n: r["bleu"][n]) for n in ("2", "3", "4", "5")]
    + [(f"self-BLEU-{n}", lambda r, n=n: r["self_bleu"][n]) for n in ("2", "3", "4", "5")]
    + [(f"% unique {n}-grams in filled spans", lambda r, n=n: r["unique_ngrams"][n]) for n in ("1", "2", "3", "4")]
    + [("masked-token accuracy", lambda r: r["masked_accuracy"]),
       ("in-filling NLL (masked tokens)", lambda r: r["infill_nll"]),
       # the synthetic oracle only (the original test sentences score nll_oracle_original: the target)
       ("NLL-oracle of the filled sentences", lambda r: r["nll_oracle_filled"])])


def table(mle: list[dict[str, Any]], gan: list[dict[str, Any]]) -> str:
    """Mean ± std over seeds of each metric for MaskMLE and MaskGAN, and of their per-seed difference.

    `mle[i]` and `gan[i]` must be the same seed: with `--maskmle pretrained` they are one run before and
    after its adversarial phase, so the paired difference is the adversarial phase's effect.
    """
    lines = [f"| metric ({len(gan)} seed{'s' if len(gan) > 1 else ''}) | MaskMLE | MaskGAN | MaskGAN − MaskMLE |",
             "|---|---|---|---|"]
    for name, value in METRICS:
        if not all(_has(value, r) for r in mle + gan):
            continue                                                   # e.g. NLL-oracle on text data
        diffs = [value(g) - value(m) for m, g in zip(mle, gan)]
        lines.append(f"| {name} | {fmt_mean_std([value(r) for r in mle])} | {fmt_mean_std([value(r) for r in gan])} "
                     f"| {fmt_mean_std(diffs, signed=True)} |")
    return "\n".join(lines)


def _has(value, result: dict[str, Any]) -> bool:
    try:
        value(result)
    except KeyError:
        return False
    return True


def seed_results(out: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(MaskMLE results, MaskGAN results) of every seed scored into `out`, paired and sorted by seed."""
    by_seed = {}
    for path in out.glob("maskgan-seed*.json"):
        gan = json.loads(path.read_text())
        mle_path = out / path.name.replace("maskgan-", "maskmle-", 1)
        if mle_path.is_file():
            by_seed[gan["seed"]] = (json.loads(mle_path.read_text()), gan)
    pairs = [by_seed[seed] for seed in sorted(by_seed)]
    return [m for m, _ in pairs], [g for _, g in pairs]


def readme(out: Path) -> str:
    """The results folder's README: every seed's command and cost, then the mean ± std table."""
    mle, gan = seed_results(out)
    first = gan[0]
    md = [f"# MaskGAN vs MaskMLE in-filling on {first['data']}", "",
          "Generated by `benchmarks/bench_infill.py` from the JSON files here (one MaskMLE and one MaskGAN file "
          "per seed); notes written by hand are in NOTES.md when present.", ""]
    name = "" if out.name == f"maskgan_{Path(first['data']).stem}" else f" --name {out.name}"  # not the default
    for r in gan:
        command = " ".join([f"python benchmarks/bench_infill.py --data {r['data']} --seed {r['seed']}{name} "
                            f"--maskmle {r['maskmle_source']}", *r["overrides"]])
        md.append(f"- seed {r['seed']}: `{command}`; total wall time "
                  f"{r['total_wall_s']:.0f} s (training {sum(r['train_wall_s'].values()):.0f} s), training on one "
                  f"thread{_scoring_threads(r['hardware'])}, load average before / after "
                  f"{r['load_average_before'][0]:.1f} / {r['load_average_after'][0]:.1f} on "
                  f"{cpu_summary(r['hardware'])}, git {r['git_sha'][:7]}")
    md += ["", f"Budget: {first['budget'] or 'see the JSON files'}.",
           f"MaskMLE column: {MLE_SOURCE[first['maskmle_source']]}.", "",
           f"Protocol: {first['protocol']['hypotheses']}, {first['protocol']['mask_scheme']} masks at present rate "
           f"{first['protocol']['present_rate']} (seed {first['protocol']['mask_seed']}); references: "
           f"{first['protocol']['references']}.", *_oracle_note(gan), "", table(mle, gan), "",
           f"Examples (MaskGAN, seed {first['seed']}):", ""]
    md += [f"- {code_span(s['masked'])} → {code_span(s['filled'])}" for s in first["samples"][:5]]
    return "\n".join(md) + "\n"


def _scoring_threads(hw: dict[str, Any]) -> str:
    """The scoring's thread count: `hardware` is recorded by this process, which scores in-process with torch's
    own thread count, while training runs in a subprocess with `train.threads=1`."""
    return f" (scoring: {hw['torch_threads']} torch threads)" if hw.get("torch_threads") else ""


def code_span(text: str) -> str:
    """`text` as a Markdown code span that survives backticks inside it (EMNLP's `` quotes): fenced by one
    backtick more than its longest run of them, padded with spaces when it starts or ends with one."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _oracle_note(results: list[dict[str, Any]]) -> list[str]:
    """On the oracle: the NLL-oracle of the original test sentences, the value a perfect in-filler matches."""
    originals = [r["nll_oracle_original"] for r in results if "nll_oracle_original" in r]
    if not originals:
        return []
    return ["", f"NLL-oracle of the original (unmasked) test sentences: {fmt_mean_std(originals)}; a perfect "
                "in-filler draws the blanks from the oracle's own conditional, so its filled sentences score the "
                "same on average (higher: fillings the oracle finds unlikely; lower: sharper than the oracle)."]


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
    p.add_argument("--runs-root", default=str(REPO / "benchmarks" / "runs"), help="where run directories go")
    p.add_argument("--results-root", default=str(REPO / "benchmarks" / "results"),
                   help="results go to RESULTS_ROOT/NAME/ (default benchmarks/results)")
    p.add_argument("--readme-only", action="store_true",
                   help="only rewrite the results folder's README from the JSON files already there")
    p.add_argument("overrides", nargs="*", metavar="key=value")
    args = p.parse_args()
    name = args.name or f"maskgan_{Path(args.data).stem}"
    runs, out = Path(args.runs_root).resolve(), Path(args.results_root).resolve() / name
    if args.readme_only:
        if not any(out.glob("maskgan-seed*.json")):
            raise SystemExit(f"{out} holds no maskgan-seed*.json to summarise; run without --readme-only first")
        (out / "README.md").write_text(readme(out))
        print((out / "README.md").read_text())
        return 0
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
    (out / "README.md").write_text(readme(out))
    print((out / "README.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
