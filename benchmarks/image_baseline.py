"""Image / continuous GAN baseline benchmark (issue #8): every continuous model on ring8, grid25 and digits.

    python benchmarks/image_baseline.py [--jobs 2] [--seeds 0,1,2] [--models wgan_gp,...] [--data digits]
                                        [--keep-figures] [--render-only]

Every run is exactly `python -m textgan.train --model M --data D --seed S ARGS...` (called in-process in a
worker, so the interpreter starts once per worker), single-threaded (`train.threads=1`). One JSON per run
goes to benchmarks/results/image_baseline/ (finished runs are skipped), with its argv, final metrics, CPU
and wall seconds and the machine load; the run directories go to benchmarks/runs/image_baseline/ (not
committed). `--models` limits the runs to some models (the others' JSONs stay and are rendered too);
`--data` limits the runs, and the figures redrawn, to some data sets (the others' figures are kept);
`--keep-figures` redraws none (the tables still follow the JSONs);
`--render-only` rebuilds README.md and the PNGs from the JSONs and run directories. The sample figures are
drawn from the seed-0 runs' checkpoints: in a checkout without those run directories, a full call retrains
them first and reports whether each reproduces the metrics its JSON records.

Models: the five losses (`gan`, `wgan_gp`, `lsgan`, `hinge_sn`, `dragan`) on the mixtures, and `dcgan` with
the four other losses on digits. `dcgan` and `gan` are one registration (the same defaults, MLP nets for
points and DCGAN nets for images), so `dcgan` on the mixtures is the `gan` row and `gan` on digits the `dcgan`
row; neither is run twice. `POINT_VARIANTS` adds rows of a model with other settings on the mixtures
(`dragan_scale0.05`: DRAGAN with a tenth of its perturbation; `hinge_sn_ndis5`: hinge + SN with SN-GAN's 5 D
steps per G step).

Protocol (one CPU budget shared by the losses; each model keeps its own loss / penalty / spectral norm /
D-steps / Adam betas; the mixture runs read it from configs/<model>.yaml, which all hold the schedule below):
- points: MLP G / D (3 x 128, z_dim 2), batch 256, 12,000 generator updates at Adam 5e-4 decayed linearly
  to 0 (the schedule of WGAN-GP's CIFAR-10 runs), metrics on 2,500 samples (VEEGAN's protocol): modes
  covered, high-quality fraction (within 3 std of a mode); WGAN-GP's penalty weight is 0.1 (the WGAN-GP
  authors' toy-data code, gan_toy.py). The budget is set by issue #8's ring8 target for WGAN-GP (8/8 modes,
  >= 90% high quality): at 6,000 updates seed 2 reached 85%, at 12,000 it reached 94%; DRAGAN (standard
  loss, penalty 10 around real data, 1 D step, betas 0.5 / 0.9) runs configs/dragan.yaml, the same schedule;
- digits: DCGAN G / D (base width 32), batch 64, Adam lr 2e-4 (DCGAN's) for every loss (each keeps its own
  D steps, betas and penalty weight: WGAN-GP 5 critic steps and 10, DRAGAN 10), 800 generator updates, Fréchet
  distance in the digit classifier's features on 2,000 samples, label entropy, Inception-score analogue;
  with two reference points: blurred noise (a floor any GAN must beat) and the real test digits.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.harness import job_lock  # noqa: E402 (needs the path above)
from benchmarks.image_baseline_render import SEED_SHOWN  # noqa: E402 (the seed the figures are drawn from)

OUT = REPO / "benchmarks" / "results" / "image_baseline"
RUNS = REPO / "benchmarks" / "runs" / "image_baseline"

POINT_MODELS = ["wgan_gp", "gan", "lsgan", "hinge_sn", "dragan"]  # issue #8's four losses, and DRAGAN
# settings beside a model's own on the mixtures: row name -> (model, overrides). DRAGAN perturbs real points by
# up to 0.5 std(batch) = 0.7 on ring8, 35 times a mode's std, so its penalty constrains D far beyond each
# mode; a tenth of that keeps the perturbation within a few mode widths (it helps on ring8, not on grid25)
POINT_VARIANTS = {"dragan_scale0.05": ("dragan", ["gan.dragan_scale=0.05"]),
                  "hinge_sn_ndis5": ("hinge_sn", ["gan.d_steps=5"])}  # SN-GAN's n_dis = 5 D steps per G step
DATA_SETS = ["ring8", "grid25", "digits"]
IMAGE_MODELS = ["dcgan", "wgan_gp", "lsgan", "hinge_sn", "dragan"]  # `dcgan` is `gan` with images: not run twice
COMMON = ["train.threads=1", "train.progress=false", "train.show_samples=0", "train.save_samples=0",
          "train.keep_checkpoints=1"]
DIGITS = ["gan.iterations=8", "gan.steps=100", "gan.batch_size=64", "gan.lr_g=2e-4", "gan.lr_d=2e-4",
          "train.eval_every=4", "eval.num_samples=2000"]


def plan(seeds: list[int], models: set[str] | None = None, datas: set[str] | None = None
         ) -> list[tuple[str, list[str]]]:
    jobs = []
    rows = [(m, m, []) for m in POINT_MODELS] + [(r, m, o) for r, (m, o) in POINT_VARIANTS.items()]
    for data in ("ring8", "grid25"):
        for seed in seeds:  # seed-major: a cut-short benchmark still has every loss at its first seeds
            for row, model, overrides in rows:
                jobs.append((f"{row}-{data}-seed{seed}", ["--model", model, "--data", data, "--seed", str(seed)]
                             + ["--run-dir", str(RUNS / f"{row}-{data}-seed{seed}"), "--overwrite"]
                             + ["--config", f"configs/{model}.yaml"] + COMMON + overrides))  # relative: runs from REPO
        if data == "ring8":
            jobs += image_jobs(seeds)
    return [job for job in jobs if (models is None or job[0].split("-")[0] in models)
            and (datas is None or job[0].split("-")[1] in datas)]


def image_jobs(seeds: list[int]) -> list[tuple[str, list[str]]]:
    jobs = []
    for seed in seeds:
        for model in IMAGE_MODELS:
            name = f"{model}-digits-seed{seed}"
            jobs.append((name, ["--model", model, "--data", "digits", "--seed", str(seed), "--run-dir",
                                str(RUNS / name), "--overwrite"] + COMMON + DIGITS))
    return jobs


def figure_runs_missing(models: set[str] | None = None, datas: set[str] | None = None
                        ) -> list[tuple[str, list[str]]]:
    """The finished seed-0 jobs (their JSON exists) whose run directory, which the sample figures are drawn
    from, is not in this checkout (run directories are not committed)."""
    return [(name, argv) for name, argv in plan([SEED_SHOWN], models, datas)
            if (OUT / f"{name}.json").exists() and not (RUNS / name / "checkpoints").is_dir()]


def run_one(name: str, argv: list[str], restore: bool = False) -> str:
    """Train one job and write its JSON; with `restore`, retrain a finished job's run directory for the figures
    and compare it with the JSON it keeps."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from textgan.train import main as train_main

    load0, cpu0, wall0 = os.getloadavg()[0], time.process_time(), time.perf_counter()
    code = train_main(argv)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    if code:
        return f"{name}: failed with exit code {code}"
    run = Path(argv[argv.index("--run-dir") + 1])
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    final = {k: v for k, v in records[-1].items() if k not in ("phase", "iteration", "step")}
    if restore:
        recorded = json.loads((OUT / f"{name}.json").read_text())["metrics"]
        # timings (elapsed_s, eval_s) depend on the machine's load; every other value should repeat
        differ = {k: (recorded.get(k), v) for k, v in final.items() if recorded.get(k) != v and not k.endswith("_s")}
        verdict = ("reproduces its recorded metrics" if not differ
                   else f"differs from its JSON (recorded, now): {differ}")
        return f"{name}: run directory restored for the figures ({cpu:.0f} s CPU); {verdict}"
    result = {"name": name, "argv": ["python", "-m", "textgan.train", *argv[:argv.index("--run-dir")],
                                     *argv[argv.index("--overwrite") + 1:]],
              "metrics": final,
              "curve": records, "cpu_s": round(cpu, 1), "wall_s": round(wall, 1),
              "load_avg_1min": [round(load0, 2), round(os.getloadavg()[0], 2)],
              "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs (shared)",
              "threads": 1}
    (OUT / f"{name}.json").write_text(json.dumps(result, indent=1))
    return f"{name}: {result['metrics']} ({cpu:.0f} s CPU, {wall:.0f} s wall)"


def references() -> dict:
    """FD / entropy of blurred noise and of the real test digits against the training digits."""
    import torch
    import torch.nn.functional as F

    from textgan.data.sources import DataConfig, load_data
    from textgan.image.evaluator import ContinuousEvaluator
    from textgan.image.metrics import label_entropy
    from textgan.image.plots import save_image_grid

    data = load_data(DataConfig(name="digits"))
    ev = ContinuousEvaluator(data, None)
    gen = torch.Generator().manual_seed(0)
    noise = torch.rand(2000, 1, 16, 16, generator=gen) * 2 - 1
    kernel = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0])
    kernel = (kernel[:, None] * kernel[None, :] / 256).view(1, 1, 5, 5)         # binomial ~ Gaussian blur
    blurred = F.conv2d(noise, kernel, padding=2)
    blurred = (blurred - blurred.mean()) / blurred.std() * data.train.std() + data.train.mean()
    blurred = blurred.clamp(-1, 1)
    save_image_grid(blurred[:100], OUT / "blurred_noise.png", columns=10)
    out = {}
    for name, images in (("blurred_noise", blurred), ("real_test", data.test)):
        feats, probs = ev.features(images)
        out[name] = {"fd": ev.frechet_to_train(images), **label_entropy(probs), "n": len(images)}
    out["classifier"] = {k: v for k, v in ev.classifier_info.items() if k != "path"}
    return out


def main() -> None:
    p = argparse.ArgumentParser(prog="python benchmarks/image_baseline.py", description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=2, help="runs side by side (default 2)")
    p.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    # a model can run on the mixtures and on the digits: each name once
    names = list(dict.fromkeys(POINT_MODELS + list(POINT_VARIANTS) + IMAGE_MODELS))
    p.add_argument("--models", help=f"comma-separated models to run (default: all of {', '.join(names)})")
    p.add_argument("--data", help=f"comma-separated data sets to run and redraw figures for (default: all of "
                                  f"{', '.join(DATA_SETS)}); the others' tables are still rendered from their JSONs "
                                  "and their figures are kept as they are")
    p.add_argument("--keep-figures", action="store_true",
                   help="restore no run directories and redraw no figure: the tables are rendered from the JSONs "
                        "and the committed figures are kept (they may then lack rows added since)")
    p.add_argument("--render-only", action="store_true", help="only redraw the tables and plots from the results")
    args = p.parse_args()
    datas = set(args.data.split(",")) if args.data else None
    figures = set() if args.keep_figures else datas  # the data sets whose figures are redrawn (None: all)
    if datas and datas - set(DATA_SETS):
        p.error(f"unknown data sets: {', '.join(sorted(datas - set(DATA_SETS)))}; use {', '.join(DATA_SETS)}")
    os.chdir(REPO)  # the runs' --config paths (recorded in each JSON) are relative to the repository
    OUT.mkdir(parents=True, exist_ok=True)
    RUNS.mkdir(parents=True, exist_ok=True)
    if not args.render_only:
        models = set(args.models.split(",")) if args.models else None
        unknown = (models or set()) - set(POINT_MODELS + list(POINT_VARIANTS) + IMAGE_MODELS)
        if unknown:
            p.error(f"unknown models: {', '.join(sorted(unknown))}")
        # the report's one command may be started twice side by side: one process runs this benchmark
        with job_lock(RUNS / "benchmark.lock") as holder:
            if holder is not None:
                print(f"skip: process {holder} is running the image baseline")
                return
            if not run_all(args.jobs, [int(s) for s in args.seeds.split(",")], models, datas, figures):
                return
    from benchmarks.image_baseline_render import render

    render(OUT, RUNS, figures=figures)


def run_all(jobs: int, seeds: list[int], models: set[str] | None, datas: set[str] | None = None,
            figures: set[str] | None = None) -> bool:
    """Train the planned runs that have no JSON (after restoring the seed-0 run directories of the data sets in
    `figures`, None: all, whose figures are redrawn); False when there was nothing to run."""
    todo = [(n, a) for n, a in plan(seeds, models, datas) if not (OUT / f"{n}.json").exists()]
    if not todo:  # the README was rendered when the last result was written
        print(f"nothing to run: every planned run has its JSON in {OUT.relative_to(REPO)} "
              "(--render-only redraws the README and figures)")
        return False
    restore = figure_runs_missing(datas=figures)  # every model's: the figures show them all (none for set())
    t0 = time.perf_counter()
    with ProcessPoolExecutor(jobs) as pool:
        for line in pool.map(functools.partial(run_one, restore=True), *zip(*restore)) if restore else []:
            print(line, flush=True)
        for line in pool.map(run_one, *zip(*todo)):
            print(line, flush=True)
    print(f"{len(todo)} runs and {len(restore)} restored run directories in {time.perf_counter() - t0:.0f} s wall",
          flush=True)
    refs_path = OUT / "digits_references.json"
    if not refs_path.exists():
        refs_path.write_text(json.dumps(references(), indent=1))
    return True


if __name__ == "__main__":
    main()
