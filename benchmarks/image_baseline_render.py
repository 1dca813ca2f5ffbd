"""Render the image-baseline results of benchmarks/image_baseline.py into README.md tables and PNG plots.

- ring8 / grid25: modes covered and high-quality % per loss, mean ± std over seeds, and a figure of
  2,500 samples per loss (seed 0) regenerated from each run's final checkpoint;
- digits: Fréchet distance, label entropies and the Inception-score analogue per model, mean ± std over
  seeds, next to the blurred-noise and real-test references, and a 10x10 grid of samples per model (seed 0).

The figures are drawn from the seed-0 runs' checkpoints (benchmarks/runs/image_baseline/, not committed):
`python benchmarks/image_baseline.py` retrains any that a checkout lacks before it renders.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from textgan.image.plots import scatter_axes
from textgan.image.sample_run import load_image_run

SEED_SHOWN = 0  # the sample figures are drawn from this seed's runs (image_baseline.py restores them)
NOTES = (
    "All five losses train on the mixtures with one budget: 12,000 generator updates, Adam 5e-4 decayed "
    "linearly to 0, MLP 3 x 128, z_dim 2, batch 256, one thread; each keeps its own loss, D steps, Adam betas "
    "and regulariser (WGAN-GP: 5 critic steps, penalty weight 0.1 as in the authors' toy code; hinge: spectral "
    "norm on every D layer, 1 D step; DRAGAN: standard loss, penalty 10 around perturbed real points, betas "
    "0.5 / 0.9). On ring8 WGAN-GP covers all 8 modes on every seed with 95.2 ± 0.9% "
    "high-quality samples, which meets issue #8's target (8/8, >= 90%); at half this budget (6,000 updates) it "
    "had reached 85-91%. With the same schedule the non-saturating GAN does as well on ring8 (8/8, 96.5%), "
    "so on this easy mixture the longer, decayed schedule matters more than the loss. LSGAN keeps its samples "
    "on modes (95% high quality) but drops 2-3 of the 8. On grid25 the losses separate: WGAN-GP covers "
    "23 ± 3 of 25 modes, the standard GAN and LSGAN 11 each. Hinge + spectral norm fails at this budget on "
    "both mixtures: its D loss stays at ~1.95 of the hinge's 2.0 for the whole run, i.e. the spectrally "
    "normalised 3-layer MLP never separates real from generated points (its end-to-end Lipschitz bound "
    "leaves outputs far below the hinge margin on 2-D data), so G gets no useful signal and stays a "
    "clump. With SN-GAN's own schedule, 5 D steps per G step (the `hinge_sn_ndis5` rows, `gan.d_steps=5`, "
    "~300 CPU s a run, as WGAN-GP), hinge + SN covers 8/8 ring8 modes (93.5 ± 0.3% high quality) and all 25 "
    "grid25 modes (79.6 ± 2.2%) on every seed, the only row with 25/25: at this budget the single D step, not "
    "the loss or spectral norm, is what failed. Its D loss stays near 2.0 there too (1.984-1.997), so a loss "
    "near the hinge margin does not by itself mean that G gets no signal. (The sample figures predate these "
    "rows: they were added with `--keep-figures`; a full run of this script redraws them.) DRAGAN, penalised "
    "where the paper's code does (real + alpha 0.5 std(batch) U[0, 1], "
    "alpha ~ U[0, 1] per sample), covers 7 of the 8 ring8 modes on every seed (65-73% high quality) and 0-2 of "
    "the 25 grid25 modes. std(batch) spans the whole mixture (1.4 on ring8), so the perturbation reaches up "
    "to 0.7, 35 mode widths, and the penalty holds D's gradient norm near 1 across that region; with a "
    "tenth of it (`gan.dragan_scale=0.05`, the `dragan_scale0.05` rows) two ring8 seeds cover 8/8 modes "
    "(75% and 90% high quality) and the third 3, while grid25 stays at 0-2 modes, so the scale is not the "
    "whole story there. (Before the penalty point was fixed, DRAGAN penalised at the perturbation's full "
    "reach only (alpha = 1) and covered 8/8 ring8 modes on two seeds and none on the third.) "
    "CPU seconds per run are in the tables (WGAN-GP's 5 critic steps make it ~4-5x the others). "
    "On digits all five losses share DCGAN's nets, initialisation (N(0, 0.02) weights, `nets.init_std`) and "
    "schedule (800 generator updates, Adam 2e-4, 20-29 CPU s; WGAN-GP ~105 with its 5 critic steps). WGAN-GP "
    "has the lowest FD, 86 ± 24; hinge + SN 115 ± 6, LSGAN 126 ± 19, the standard loss 168 ± 13, and DRAGAN "
    "337 ± 143, whose seed 2 is still far from the digits at this budget (FD 3,198 at round 4, 485 at the end) "
    "(blurred noise 1,237; real held-out digits 32.6; FD is biased upward at small n: the real-test row uses "
    "359 images, the others 2,000). With PyTorch's default init instead (`nets.init_std=0`, the rows "
    "committed before the paper's init was applied, git a9e926c) the same runs gave lower FD for four losses "
    "of five: WGAN-GP 74 ± 9, LSGAN 109 ± 14, DRAGAN 122 ± 12, the standard loss 153 ± 7, hinge + SN 142 ± 32. "
    "Only DRAGAN's difference is far outside the seed spread (WGAN-GP's comes from seed 1: 114 against 84; "
    "seeds 0 and 2 are within 3), and at 400 updates the paper's init was ahead for hinge + SN on every seed, "
    "so these runs do not show that the init slows training in general; the paper trains far longer, with "
    "wider layers. The classifier is confidently wrong on "
    "blurred noise (low H(y|x)), so the IS analogue alone does not separate noise from digits; FD does. "
    "`dcgan` and `gan` are one registration (MLP nets for points, DCGAN nets for images), so the `gan` rows "
    "stand for `dcgan` on the mixtures and the `dcgan` row for `gan` on digits."
)


def _mean_std(values: list[float], scale: float = 1.0, digits: int = 1) -> str:
    values = [v * scale for v in values]
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def load_results(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(out.glob("*-seed*.json"))]


def runs_by_model(results: list[dict], data: str) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for r in results:
        model, d, _ = r["name"].rsplit("-", 2)
        if d == data:
            groups.setdefault(model, []).append(r)
    return groups


def points_table(results: list[dict], data: str) -> list[str]:
    lines = [f"### {data}", "", "| model | modes | high quality % | seeds | CPU s / run |", "|---|---|---|---|---|"]
    for model, rs in runs_by_model(results, data).items():
        m = [r["metrics"] for r in rs]
        lines.append(f"| `{model}` | {_mean_std([x['modes'] for x in m])} | "
                     f"{_mean_std([x['high_quality'] for x in m], 100)} | {len(rs)} | "
                     f"{statistics.mean(r['cpu_s'] for r in rs):.0f} |")
    return lines + [""]


def _seed_run(runs: Path, model: str, data: str):
    """The seed-0 run of `model` on `data` loaded for drawing; a missing run directory is a one-line error."""
    run = runs / f"{model}-{data}-seed{SEED_SHOWN}"
    if not (run / "checkpoints").is_dir():
        raise SystemExit(f"no run directory '{run}' to draw the figures from (run directories are not committed): "
                         "run python benchmarks/image_baseline.py, which retrains the missing seed-0 runs, "
                         "instead of --render-only")
    return load_image_run(run)


def points_figure(runs: Path, results: list[dict], data: str, path: Path) -> None:
    groups = runs_by_model(results, data)
    fig = Figure(figsize=(3 * len(groups), 3.2), dpi=100)
    FigureCanvasAgg(fig)
    for i, (model, rs) in enumerate(groups.items()):
        algo, ev, _ = _seed_run(runs, model, data)
        samples = ev.generate(algo.generator, 2500)
        m = next(r["metrics"] for r in rs if r["name"].endswith(f"seed{SEED_SHOWN}"))
        scatter_axes(fig.add_subplot(1, len(groups), i + 1), samples, ev.data.modes,
                     f"{model}: {m['modes']:.0f} modes, {100 * m['high_quality']:.0f}% HQ")
    fig.tight_layout()
    fig.savefig(path)


def digits_table(results: list[dict], refs: dict) -> list[str]:
    """One row per model (mean ± std over its seeds), then the two reference rows."""
    lines = ["### digits (16x16)", "",
             "| samples | FD ↓ | label entropy H(y\\|x) ↓ | H(y) (max 2.303) | IS analogue ↑ | seeds | CPU s / run |",
             "|---|---|---|---|---|---|---|"]
    for model, rs in runs_by_model(results, "digits").items():
        m = [r["metrics"] for r in rs]
        lines.append(f"| `{model}` | {_mean_std([x['fd'] for x in m], digits=2)} | "
                     f"{_mean_std([x['label_entropy'] for x in m], digits=3)} | "
                     f"{_mean_std([x['marginal_entropy'] for x in m], digits=3)} | "
                     f"{_mean_std([x['inception_score'] for x in m], digits=2)} | {len(rs)} | "
                     f"{statistics.mean(r['cpu_s'] for r in rs):.0f} |")
    for name, label in (("blurred_noise", "blurred noise (reference)"), ("real_test", "real test digits (reference)")):
        r = refs[name]
        lines.append(f"| {label}, n={r['n']} | {r['fd']:.2f} | {r['label_entropy']:.3f} | "
                     f"{r['marginal_entropy']:.3f} | {r['inception_score']:.2f} | | |")
    return lines


def digits_section(out: Path, runs: Path, results: list[dict], draw: bool = True) -> list[str]:
    refs = json.loads((out / "digits_references.json").read_text())
    lines = digits_table(results, refs)
    for model in runs_by_model(results, "digits") if draw else []:
        algo, ev, _ = _seed_run(runs, model, "digits")
        ev.write_images(ev.generate(algo.generator, 100, seed=0), out / f"{model}_digits.png")
    acc = refs["classifier"]["test_accuracy"]
    return lines + ["", f"Digit classifier (features of the FD): test accuracy {100 * acc:.1f}% on "
                        f"{refs['classifier']['test']} held-out digits.", ""]


def render(out: Path, runs: Path, figures: set[str] | None = None) -> None:
    """README.md from the JSONs in `out`; the sample figures are redrawn from the seed-0 run directories in
    `runs` for the data sets in `figures` (None: all), and kept as committed for the others."""
    results = load_results(out)
    if not results:
        raise SystemExit(f"no results in {out}")
    meta = results[0]
    loads = [r["load_avg_1min"][0] for r in results]
    lines = ["# Image / continuous GAN baseline", "",
             "Written by `benchmarks/image_baseline.py` (protocol in its docstring; one JSON per run here, with its "
             "command line). Every run is single-threaded on a shared CPU machine "
             f"({meta['machine']}; 1-minute load average {min(loads):.2f}-{max(loads):.2f} at the runs' starts), "
             "so CPU seconds are the budget to compare, not wall time.", "",
             "## 2-D mixtures (2,500 samples; a sample is high quality within 3 std of a mode; a mode is covered "
             "with at least 20% of its uniform share of high-quality samples)", ""]
    for data in ("ring8", "grid25"):
        if runs_by_model(results, data):
            lines += points_table(results, data)
            if figures is None or data in figures:
                points_figure(runs, results, data, out / f"samples_{data}.png")
            lines += [f"![{data} samples per loss](samples_{data}.png)", ""]
    if runs_by_model(results, "digits") and (out / "digits_references.json").exists():
        lines += ["## Digits", ""] + digits_section(out, runs, results, draw=figures is None or "digits" in figures)
        lines += [f"![{m} samples](" + f"{m}_digits.png)" for m in runs_by_model(results, "digits")]
        lines += ["", "Blurred noise: ![blurred noise](blurred_noise.png)", ""]
    total = sum(r["cpu_s"] for r in results)
    lines += [f"Total: {len(results)} runs, {total / 60:.1f} CPU minutes.", "", "## Reading", "", NOTES, ""]
    (out / "README.md").write_text("\n".join(lines))
