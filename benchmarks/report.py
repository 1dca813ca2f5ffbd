"""The cross-grid benchmark report: `python benchmarks/report.py [--results DIR] [--out FILE] [--published FILE]`.

`benchmarks/render.py` summarises one grid folder; this module reads the result JSONs of *every* grid folder
under `benchmarks/results/` and writes one Markdown report (default `benchmarks/REPORT.md`) with, per data set:
- a table with one row per setting (model, grid, config hash): seed count, mean ± std over seeds of every
  metric, the MLE-phase starting point of adversarial runs, mean wall time per run and the hardware;
- the published numbers for that data set (`benchmarks/published.yaml`) with their sources;
- a quality–diversity plot of every setting's temperature sweep (`results/quality_diversity_<data>.png`).

Only the top-level JSONs of each grid folder are read (subfolders hold side experiments such as
`seqgan_oracle/100_rounds/`), through `render.load_results`, which drops files without the text-result
layout (image baselines, MaskGAN infilling results); those get sections of their own
(`benchmarks/report_infill.py`, `benchmarks/report_continuous.py`). The output has no timestamps and is sorted, so
re-running it without new results changes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from benchmarks import render  # noqa: E402 (needs the path above)
from benchmarks.report_continuous import continuous_section  # noqa: E402
from benchmarks.report_infill import infill_section  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
OUT = HERE / "REPORT.md"
REAL_DATA_FILE = "real_data_reference.json"  # benchmarks/real_data_reference.py --out results/<this>

Setting = tuple[str, str, str]  # (model, grid, config hash): the seeds of one setting share it


def load_all(results_dir: Path) -> list[dict[str, Any]]:
    """Every text result JSON directly inside results_dir/<grid>/, each tagged with its grid folder."""
    out = []
    for folder in sorted(p for p in Path(results_dir).iterdir() if p.is_dir()):
        for result in render.load_results(folder):
            # the folder, not result["grid"]: sweep files carry no grid name, and the link must find the folder
            result["_grid"] = folder.name
            out.append(result)
    return out


def setting_of(result: dict[str, Any]) -> Setting:
    """(model label, grid folder, config hash). The hash is recomputed from the recorded config, so a file
    named under an earlier hash scheme joins the seeds of its setting run since."""
    from benchmarks.harness import config_hash

    config = result.get("config")
    chash = config_hash(config) if isinstance(config, dict) and "model" in config else result.get("config_hash")
    return render.model_label(result), result["_grid"], str(chash or "–")


def setting_label(result: dict[str, Any]) -> str:
    """The legend label of a setting's quality–diversity line."""
    model, grid, chash = setting_of(result)
    return f"{model} ({grid}, {chash})"


def by_data(results: list[dict[str, Any]]) -> dict[str, dict[Setting, list[dict[str, Any]]]]:
    """data key (render.data_key: oracle, oracle_len40, coco, ...) -> setting -> its runs (sorted by seed)."""
    groups: dict[str, dict[Setting, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        groups[render.data_key(r)][setting_of(r)].append(r)
    for settings in groups.values():
        for runs in settings.values():
            runs.sort(key=lambda r: (r.get("seed", 0), r["_file"]))
    return {d: dict(sorted(s.items())) for d, s in sorted(groups.items())}


def final_metrics(result: dict[str, Any]) -> dict[str, float]:
    """Every metric of the run's protocol evaluation (the T = 1 sweep entry for sweep-only files)."""
    entry = render.final_entry(result)
    return render.all_metrics(entry) if entry is not None else {}


def is_oracle(data: str) -> bool:
    return data.startswith("oracle")


def pretrain_key(data: str) -> str:
    """The metric that shows where an adversarial run started: NLL-oracle on the oracle, else BLEU-5."""
    return "nll_oracle" if is_oracle(data) else "bleu_5"


def pretrain_value(result: dict[str, Any], key: str) -> float | None:
    """`key` after the MLE phase, for runs that went on past it (for an MLE run it would repeat the row)."""
    record = result.get("pretrain_metrics")
    went_on = any(rec.get("phase") not in (None, "mle") for rec in result.get("curve") or [])
    if not isinstance(record, dict) or not went_on:
        return None
    return render.flat(record).get(key)


def hardware_label(result: dict[str, Any]) -> str:
    """"cpu ×N thread(s)", or the CUDA device the run used (train.device 'auto' picks CUDA when present)."""
    hw = result.get("hardware") or {}
    device = ((result.get("config") or {}).get("train") or {}).get("device", "auto")
    if hw.get("cuda") and device != "cpu":
        return str(hw["cuda"])
    threads = hw.get("torch_threads")
    return f"cpu ×{threads} thread{'s' if threads != 1 else ''}" if threads else "cpu"


def sample_sizes(result: dict[str, Any]) -> tuple[Any, Any]:
    """(samples, references) of the protocol evaluation: in `protocol` for grid runs, in the metrics entry
    for conditional runs and sweep files."""
    protocol = result.get("protocol") if isinstance(result.get("protocol"), dict) else {}
    entry = render.final_entry(result) or {}
    return (protocol.get("n_samples", entry.get("n_samples")),
            protocol.get("n_references", entry.get("n_references")))


def _count(n: int | None) -> str:
    if n is None:
        return "–"
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.0f}k"


def sizes_cell(runs: list[dict[str, Any]]) -> str:
    """Trainable parameters of generator / discriminator (`sizes`, benchmarks/network_sizes.py); the seeds
    of a setting share them."""
    sizes = next((r["sizes"] for r in runs if isinstance(r.get("sizes"), dict)), None)
    if sizes is None:
        return "–"
    return f"{_count(sizes.get('generator'))} / {_count(sizes.get('discriminator'))}"


def _minutes(values: list[Any]) -> str:
    numbers = [v for v in values if isinstance(v, (int, float))]
    return f"{statistics.mean(numbers) / 60:.1f}" if numbers else "–"


def wall_cells(runs: list[dict[str, Any]]) -> list[str]:
    """Mean training and evaluation minutes per run. They are kept apart because the evaluation of a run with
    a temperature sweep takes 5-15 minutes more than one without, which would otherwise hide the
    training cost the rows are compared on. A sweep-only file (no training) has only an evaluation time."""
    splits = [render.wall_split(r) for r in runs]
    return [_minutes([split[0] for split in splits]), _minutes([split[1] for split in splits])]


def settings_table(data: str, settings: dict[Setting, list[dict[str, Any]]], results_dir: Path,
                   out: Path) -> str:
    """Our table: one row per setting, mean ± std over its seeds."""
    metrics_by_run = {id(r): final_metrics(r) for runs in settings.values() for r in runs}
    metrics = render.metric_order({m for row in metrics_by_run.values() for m in row})
    pkey = pretrain_key(data)
    pre = {s: [v for r in runs if (v := pretrain_value(r, pkey)) is not None] for s, runs in settings.items()}
    show_pre = any(pre.values())
    header = ["model", "grid", "config", "seeds", *metrics,
              *([f"{pkey} after MLE"] if show_pre else []), "params G / D", "train min / run", "eval min / run",
              "hardware"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (model, grid, chash), runs in settings.items():
        cells = [model, render.grid_link(grid, results_dir, out), f"`{chash}`", str(len(runs))]
        cells += [render.mean_std_cell([metrics_by_run[id(r)][m] for r in runs if m in metrics_by_run[id(r)]])
                  for m in metrics]
        if show_pre:
            cells.append(render.mean_std_cell(pre[(model, grid, chash)]))
        cells.append(sizes_cell(runs))
        cells += wall_cells(runs)
        cells.append(", ".join(sorted({hardware_label(r) for r in runs})))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def published_table(pub: dict[str, Any]) -> str:
    """The papers' numbers for one data set: one row per model, then the source of each metric."""
    if not pub:
        return ""
    metrics = render.metric_order(set(pub))
    models = sorted({m for metric in metrics for m in (pub[metric].get("values") or {})})
    lines = ["| model | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
    for model in models:
        values = [(pub[m].get("values") or {}).get(model) for m in metrics]
        lines.append(f"| {model} | " + " | ".join(render.fmt_published(v) if v is not None else "–"
                                                   for v in values) + " |")
    # one source line per distinct source, naming the metrics it covers
    by_source: dict[str, list[str]] = defaultdict(list)
    for m in metrics:
        by_source[str(pub[m].get("source", "?"))].append(m)
    lines += ["", "Sources:", ""]
    lines += [f"- {', '.join(f'`{m}`' for m in ms)}: {src}" for src, ms in sorted(by_source.items(),
                                                                                key=lambda kv: metrics.index(kv[1][0]))]
    return "\n".join(lines)


def sizes_line(settings: dict[Setting, list[dict[str, Any]]]) -> str:
    """The sample sizes this data set's rows were measured with, and the grids that used each."""
    grids: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (_, grid, _), runs in settings.items():
        for r in runs:
            grids[tuple(str(v) for v in sample_sizes(r))].add(grid)
    return "; ".join(f"{n} samples against {refs} references ({', '.join(sorted(g))})"
                     for (n, refs), g in sorted(grids.items()))


def real_data_references(results_dir: Path) -> dict[str, dict[str, Any]]:
    """data set -> its entry of `real_data_reference.json` (benchmarks/real_data_reference.py), if written."""
    path = Path(results_dir) / REAL_DATA_FILE
    if not path.is_file():
        return {}
    return {entry["data"]: entry for entry in json.loads(path.read_text())}


def real_data_section(entry: dict[str, Any]) -> str:
    """The training set scored as if sampled: where a perfect model of the training data would sit."""
    tv, floor = entry["train_vs_test"], entry["fed_noise_floor"]
    orders = list(tv["bleu"])
    header = ([f"bleu_{n}" for n in orders] + [f"self_bleu_{n}" for n in orders]
              + ["fed", f"fed noise floor ({floor['half_size']} vs {floor['half_size']}: train / test halves)"])
    cells = ([f"{tv['bleu'][n]:.3f}" for n in orders] + [f"{tv['self_bleu'][n]:.3f}" for n in orders]
             + [f"{tv['fed']:.3f}", f"{floor['train_half_vs_half']:.3f} / {floor['test_half_vs_half']:.3f}"])
    shift = entry["word_shift"]

    return "\n".join([
        "### Real data: the training set scored as samples", "",
        f"The first {entry['n_train_scored']} training sentences scored against the {entry['n_references']} test "
        "sentences like a generator's samples (`python benchmarks/real_data_reference.py`): where a generator "
        "equal to the training distribution would sit (the black X of the plot below).", "",
        "| " + " | ".join(header) + " |", "|" + "---|" * len(header), "| " + " | ".join(cells) + " |", "",
        "Words most over-represented in the training set (train:test counts): "
        f"{render.shifted_words(shift['more_in_train'])}; in the test set: "
        f"{render.shifted_words(shift['more_in_test'])}.", ""])


def data_section(data: str, settings: dict[Setting, list[dict[str, Any]]], published: dict[str, Any],
                 results_dir: Path, out: Path, plot_dir: Path | None = None) -> str:
    runs = [r for rs in settings.values() for r in rs]
    md = [f"## {data}", "", f"Sample sizes: {sizes_line(settings)}.", "",
          "### Ours (mean ± std over seeds, temperature 1)", "", settings_table(data, settings, results_dir, out), ""]
    real = real_data_references(results_dir).get(data)
    if real is not None:
        md += [real_data_section(real)]
    pub = published_table(published.get(data) or {})
    md += ["### Published", "", pub if pub else "No published numbers for this data set in `published.yaml`.", ""]
    png = Path(results_dir) / f"quality_diversity_{data}.png"     # where the report's link points
    title = f"{data}: quality–diversity, every setting"
    refs = ({"training data scored as samples": render.flat(real["train_vs_test"])} if real is not None else None)
    drawn = Path(plot_dir) / png.name if plot_dir is not None else png
    if render.plot_quality_diversity(runs, drawn, label=setting_label, title=title, references=refs):
        rel = Path(os.path.relpath(png, out.parent)).as_posix()
        md += ["### Quality–diversity (temperature sweep)", "",
               "One line per setting (model, grid, config hash); seeds averaged at each temperature. "
               + ("x = NLL-test, y = NLL-oracle (lower-left is better)." if is_oracle(data)
                  else "x = self-BLEU, y = BLEU (up-left is better)."), "",
               f"![quality-diversity {data}]({rel})", ""]
    return "\n".join(md)


def build_report(results_dir: Path = RESULTS, out: Path = OUT, published_path: Path = render.PUBLISHED,
                 plot_dir: Path | None = None) -> str:
    """The report's Markdown (the PNGs are written into `plot_dir`, default results_dir, as a side effect)."""
    results = load_all(results_dir)
    if not results:
        raise FileNotFoundError(f"no result JSONs in the grid folders of '{results_dir}'")
    published = yaml.safe_load(Path(published_path).read_text()) if Path(published_path).is_file() else {}
    groups = by_data(results)
    md = ["# Benchmark report", "",
          "Generated by `python benchmarks/report.py` from the result JSONs committed in `benchmarks/results/<grid>/`; "
          "do not edit by hand. Every row's protocol (sample counts, temperature, sampling seed, metric "
          "definitions) is recorded in its JSON files; the protocol itself is described in docs/evaluation.md. "
          "Per-grid details (commands, training curves, sweep tables) are in each grid's README.", "",
          "Columns: `seeds` counts the runs averaged in the row (std is the sample std over them); "
          "`<metric> after MLE` is where a run with an adversarial phase started (its `pretrain_metrics`); "
          "`params G / D` counts the parameters of generator and discriminator (frozen ones included) "
          "(`benchmarks/network_sizes.py`; a discriminator inside the generator, as LeakGAN's, counts as D); "
          "`train min / run` and `eval min / run` are the mean minutes of the training command and of the "
          "evaluation (with the temperature sweep where the run has one) in the harness sitting that finished "
          "the run (a resumed run counts only its last sitting); a sweep-only file has only the sweep's time.", "",
          f"Data sets: {', '.join(groups)}; {len(results)} result files in "
          f"{len({r['_grid'] for r in results})} grid folders.", ""]
    md += [data_section(d, s, published, Path(results_dir), Path(out), plot_dir) for d, s in groups.items()]
    md += [infill_section(Path(results_dir), Path(out))]
    md += [continuous_section(Path(results_dir), Path(out))]
    return "\n".join(md).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/report.py", description=__doc__.splitlines()[0])
    p.add_argument("--results", default=str(RESULTS), help="folder of grid folders (default: benchmarks/results)")
    p.add_argument("--out", default=str(OUT), help="Markdown file to write (default: benchmarks/REPORT.md); its "
                   "quality-diversity PNGs are drawn into --results wherever it goes, as its links point there")
    p.add_argument("--published", default=str(render.PUBLISHED),
                   help="YAML of published numbers (default: %(default)s)")
    args = p.parse_args(argv)
    if not Path(args.published).is_file():  # the report would lose its published tables, silently
        print(f"error: --published '{args.published}' not found; pass a YAML of published numbers such as "
              "benchmarks/published.yaml", file=sys.stderr)
        return 2
    out = Path(args.out)
    if not out.parent.is_dir():
        print(f"error: --out '{out}': folder '{out.parent}' does not exist; create it or choose another path",
              file=sys.stderr)
        return 2
    try:
        text = build_report(Path(args.results), out, Path(args.published))
    except (FileNotFoundError, ValueError) as err:  # json.JSONDecodeError is a ValueError
        print(f"error: {err}", file=sys.stderr)
        return 2
    out.write_text(text)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
