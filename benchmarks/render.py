"""Render benchmark results: `python benchmarks/render.py benchmarks/results/<grid> [--published FILE]`.

Reads every result JSON in the folder (one per run from `benchmarks/harness.py`, or sweep files from
`benchmarks/sweep.py`) and writes beside them:
- README.md: per data set, mean ± std over seeds of each metric per model, next to the published number
  (benchmarks/published.yaml, with its source); the temperature-sweep numbers; data, sample sizes,
  hardware, git SHA and the training commands;
- training_curves.png: NLL-oracle (else NLL-test) against training step, one colour per model;
- quality_diversity.png: the temperature sweep of Caccia et al. 2020 ("Language GANs Falling Short"), one
  line per model: BLEU-5 against self-BLEU-5 for text, NLL-oracle against NLL-test for the oracle.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from benchmarks.machine import cpu_summary  # noqa: E402

PUBLISHED = Path(__file__).resolve().parent / "published.yaml"
ORDER = ["nll_oracle", "nll_test", *(f"bleu_{n}" for n in range(2, 6)), *(f"self_bleu_{n}" for n in range(2, 6)),
         "sacrebleu", "fed"]


def load_results(folder: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            result = json.loads(path.read_text())
        except ValueError as err:  # name the file: a bare JSON error does not say which of dozens it was
            raise ValueError(f"result file '{path}' is damaged ({err}); restore it (git checkout) or delete it "
                             "to run its job again") from None
        # result files hold a "metrics" dict (a grid run) or a "sweep" list (benchmarks/sweep.py)
        if isinstance(result, dict) and "model" in result and (isinstance(result.get("metrics"), dict)
                                                               or isinstance(result.get("sweep"), list)):
            result["_file"] = path.name
            out.append(result)
    return out


def flat(entry: dict[str, Any]) -> dict[str, float]:
    """{"bleu": {"2": x}} -> {"bleu_2": x}, keeping scalar metrics."""
    out: dict[str, float] = {}
    for key, value in entry.items():
        if isinstance(value, dict) and key in ("bleu", "self_bleu"):
            out.update({f"{key}_{n}": v for n, v in value.items()})
        elif key in ORDER and isinstance(value, (int, float)):
            out[key] = float(value)
    return out


# entry keys that describe the evaluation rather than measure the model
BOOKKEEPING = {"temperature", "n_samples", "n_references", "samples_per_class", "eval_s", "max_n", "seed",
               "nll_test_sequences"}


def all_metrics(entry: dict[str, Any]) -> dict[str, float]:
    """`flat` plus every other numeric metric, e.g. the per-class ones of a conditional run
    (`class_acc_negative`, nested under "per_class"); bookkeeping numbers such as sample counts are left out."""
    out = flat(entry)
    nested = entry.get("per_class") if isinstance(entry.get("per_class"), dict) else {}
    for key, value in {**entry, **nested}.items():
        if key not in out and key not in BOOKKEEPING and isinstance(value, (int, float)) \
                and not isinstance(value, bool):
            out[key] = float(value)
    return out


def metric_order(names: set[str] | list[str]) -> list[str]:
    """The protocol metrics in ORDER, then any others sorted by name."""
    return [m for m in ORDER if m in names] + sorted(set(names) - set(ORDER))


def model_label(result: dict[str, Any]) -> str:
    """The model column of a result: `textgan.registry.model_label` (`mle+transformer`, `maligan[mixed]`)."""
    from benchmarks.harness import flatten
    from textgan.registry import get_model
    from textgan.registry import model_label as label_of

    return label_of(get_model(str(result["model"])), flatten(result.get("config") or {}))


def setting_labels(results: list[dict[str, Any]]) -> dict[int, str]:
    """id(result) -> its table label: `model_label`, with the config hash appended where one label covers
    runs of several settings on one data set (two grids of one name, or an edited grid), so that those are
    not averaged as if they were seeds."""
    from benchmarks.harness import config_hash

    def setting(r: dict[str, Any]) -> str:  # today's hash of the recorded config: older files name another scheme
        return config_hash(r["config"]) if isinstance(r.get("config"), dict) else str(r.get("config_hash"))

    hashes: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in results:
        hashes[(data_key(r), model_label(r))].add(setting(r))
    return {id(r): model_label(r) + (f" ({setting(r)})" if len(hashes[(data_key(r), model_label(r))]) > 1 else "")
            for r in results}


def data_key(result: dict[str, Any]) -> str:
    """The published-table key: the data name, with the oracle's length when it is not 20. The length comes
    from the run's config (harness results) or, for results that record only their overrides (the in-filling
    benchmark's), from a `data.oracle.seq_len=N` override."""
    name = Path(str(result.get("data", "?"))).stem
    seq_len = (result.get("config") or {}).get("data", {}).get("oracle", {}).get("seq_len", 20)
    for override in result.get("overrides") or []:
        key, _, value = str(override).partition("=")
        if key == "data.oracle.seq_len":
            seq_len = int(value)
    return f"{name}_len{seq_len}" if name == "oracle" and seq_len != 20 else name


def fmt_mean_std(values: list[float], signed: bool = False) -> str:
    """"m.mmm" for one value, "mean ± std" (sample std) for several; `signed` (for differences) always writes
    the mean's sign, "+" or "−", and never "−0.000"."""
    mean = statistics.mean(values)
    text = f"{round(mean, 3) + 0.0:+.3f}".replace("-", "−") if signed else f"{mean:.3f}"
    return text if len(values) == 1 else f"{text} ± {statistics.stdev(values):.3f}"


def mean_std_cell(values: list[float]) -> str:
    """A table cell: mean ± std of the values, or "–" when there are none."""
    return fmt_mean_std(values) if values else "–"


def shifted_words(rows: list[list[Any]], top: int = 8) -> str:
    """Word-shift rows [word, count in a, count in b] (real_data_reference.word_shift) as "word a:b, ..."."""
    return ", ".join(f"{w} {a}:{b}" for w, a, b in rows[:top])


def grid_link(grid: str, results_dir: Path, out: Path) -> str:
    """The grid's name, linked to its rendered README relative to `out` (plain when not rendered)."""
    readme = Path(results_dir) / grid / "README.md"
    if not readme.is_file():
        return grid
    return f"[{grid}]({Path(os.path.relpath(readme, out.parent)).as_posix()})"


def fmt_published(v: Any) -> str:
    """A published.yaml value: a number, or [mean, std]."""
    return f"{v[0]:.3f} ± {v[1]:.3f}" if isinstance(v, list) else f"{v:.3f}"


def final_entry(result: dict[str, Any]) -> dict[str, Any] | None:
    """The run's protocol metrics: its "metrics" entry, else the T = 1 entry of a sweep file."""
    if isinstance(result.get("metrics"), dict):
        return result["metrics"]
    return next((e for e in result.get("sweep") or [] if float(e.get("temperature", 0)) == 1.0), None)


def summary_tables(results: list[dict[str, Any]], published: dict[str, Any],
                   labels: dict[int, str] | None = None) -> str:
    """One Markdown table per data set: rows metrics, columns models ("ours (published)")."""
    groups: dict[str, dict[str, list[dict[str, float]]]] = defaultdict(lambda: defaultdict(list))
    seeded: dict[str, bool] = defaultdict(bool)  # data key -> some run used a seeded oracle, not SeqGAN's
    labels = labels or setting_labels(results)
    published_name = {}  # a column's label -> the model name published.yaml knows it by
    for r in results:
        entry = final_entry(r)
        if entry is not None:
            groups[data_key(r)][labels[id(r)]].append(all_metrics(entry))
            published_name[labels[id(r)]] = model_label(r)
            seeded[data_key(r)] |= str((r.get("data_info") or {}).get("oracle", "")).startswith("seeded")
    parts = []
    for data, by_model in sorted(groups.items()):
        models = sorted(by_model)
        pub = {} if seeded[data] else published.get(data, {})
        metrics = metric_order({m for rows in by_model.values() for row in rows for m in row})
        seeds = ", ".join(f"{m}: {len(by_model[m])}" for m in models)
        lines = [f"### {data}", "", f"Mean ± std over seeds ({seeds}); published value in parentheses.", "",
                 "| metric | " + " | ".join(models) + " |", "|---|" + "---|" * len(models)]
        for metric in metrics:
            cells = []
            for m in models:
                vals = [row[metric] for row in by_model[m] if metric in row]
                cell = fmt_mean_std(vals) if vals else "–"
                ref = pub.get(metric, {}).get("values", {}).get(published_name[m])
                cells.append(f"{cell} ({fmt_published(ref)})" if ref is not None else cell)
            lines.append(f"| {metric} | " + " | ".join(cells) + " |")
        sources = sorted({pub[m]["source"] for m in metrics if m in pub})
        if sources:
            lines += ["", "Published sources: " + "; ".join(sources) + "."]
        if seeded[data]:
            lines += ["", "No published values: runs here used a seeded N(0,1) oracle (the SeqGAN oracle's weights "
                          "were not under the data root), not the papers' oracle."]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def sweep_lines(results: list[dict[str, Any]], label: Callable[[dict[str, Any]], str] | None = None
                ) -> dict[str, dict[float, dict[str, float]]]:
    """line label -> temperature -> metrics averaged over the runs (seeds) sharing the label.

    The label is the model by default (one grid); the cross-grid report passes one per setting.
    """
    label = label or model_label
    acc: dict[str, dict[float, list[dict[str, float]]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        for e in r.get("sweep") or []:
            acc[label(r)][float(e["temperature"])].append(flat(e))
    return {m: {t: {k: statistics.mean(row[k] for row in rows if k in row) for k in rows[0]}
                for t, rows in sorted(by_t.items())} for m, by_t in acc.items()}


AXIS_LABELS = {"nll_test": "NLL-test of the temperature-scaled model (diversity)",
               "nll_oracle": "NLL-oracle of samples (quality)",
               **{f"bleu_{n}": f"BLEU-{n} (quality)" for n in range(2, 6)},
               **{f"self_bleu_{n}": f"self-BLEU-{n} (lower = more diverse)" for n in range(2, 6)}}


def quality_diversity_axes(lines: dict[str, dict[float, dict[str, float]]]) -> tuple[str, str, str] | None:
    """(x metric, y metric, hint) for the quality-diversity plot, from what the sweep measured."""
    keys = {k for by_t in lines.values() for row in by_t.values() for k in row}
    if "nll_oracle" in keys and "nll_test" in keys:
        return "nll_test", "nll_oracle", "lower-left is better"
    n = max((int(k.rsplit("_", 1)[1]) for k in keys if k.startswith("self_bleu_")), default=None)
    if n and f"bleu_{n}" in keys:
        return f"self_bleu_{n}", f"bleu_{n}", "up-left is better (higher quality, lower self-BLEU)"
    return None


def sweep_table(results: list[dict[str, Any]], label: Callable[[dict[str, Any]], str] | None = None) -> str:
    lines_by_model = sweep_lines(results, label)
    if not lines_by_model:
        return ""
    parts = []
    for model, by_t in sorted(lines_by_model.items()):
        metrics = [m for m in ORDER if any(m in row for row in by_t.values())]
        rows = [f"#### {model}", "", "| T | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
        for t, row in by_t.items():
            rows.append(f"| {t:g} | " + " | ".join(f"{row[m]:.4f}" if m in row else "–" for m in metrics) + " |")
        parts.append("\n".join(rows))
    return "\n\n".join(parts)


def unswept_points(results: list[dict[str, Any]], lines: dict[str, Any], x_key: str, y_key: str,
                   label: Callable[[dict[str, Any]], str] | None = None) -> dict[str, tuple[float, float]]:
    """label -> (x, y) of the temperature-1 metrics, averaged over seeds, for labels without a sweep line."""
    label = label or model_label
    acc: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r in results:
        name = label(r)
        row = flat(r["metrics"]) if isinstance(r.get("metrics"), dict) else {}
        if name not in lines and x_key in row and y_key in row:
            acc[name].append((row[x_key], row[y_key]))
    return {n: (statistics.mean(p[0] for p in pts), statistics.mean(p[1] for p in pts)) for n, pts in acc.items()}


def line_style(index: int) -> dict[str, Any]:
    """Colour, marker and dash of the index-th line: the ten colours of the default cycle, then the same
    colours again with another marker and dash, so that no two lines of a crowded plot look alike."""
    round_ = index // 10
    return {"color": f"C{index % 10}", "marker": "osD^v"[round_ % 5], "linestyle": ("-", "--", ":", "-.")[round_ % 4]}


CROWDED_LINES = 8  # more lines than this: the plot labels fewer temperatures (see plot_quality_diversity)


def plot_quality_diversity(results: list[dict[str, Any]], path: Path,
                           label: Callable[[dict[str, Any]], str] | None = None,
                           title: str = "Quality–diversity over temperature",
                           references: dict[str, dict[str, float]] | None = None) -> Path | None:
    """One line per label (`sweep_lines`); returns None when no sweep measured both axes.

    `references` adds fixed points, {label: flat metrics}, drawn where they measured both axes (the
    training data scored as samples, `benchmarks/real_data_reference.py`)."""
    import matplotlib
    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    lines = sweep_lines(results, label)
    axes = quality_diversity_axes(lines) if lines else None
    if axes is None:
        return None
    x_key, y_key, hint = axes
    # A crowded plot (the report's cross-grid ones) labels only each line's lowest temperature, where the
    # lines fan out, and rings its T = 1 point: a label on every point piles up where the high-T ends meet.
    crowded = len(lines) > CROWDED_LINES
    fig, ax = plt.subplots(figsize=(8, 6) if crowded else (6, 4.5))
    for index, (model, by_t) in enumerate(sorted(lines.items())):
        pts = sorted((t, row[x_key], row[y_key]) for t, row in by_t.items() if x_key in row and y_key in row)
        style = line_style(index)
        ax.plot([p[1] for p in pts], [p[2] for p in pts], label=model, **style)
        for t, x, y in pts[:1] if crowded else pts:
            ax.annotate(f"T={t:g}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
        if crowded:
            ax.plot([x for t, x, _ in pts if t == 1.0], [y for t, _, y in pts if t == 1.0], marker="o",
                    markersize=10, markerfacecolor="none", markeredgecolor=style["color"], linestyle="none")
    # settings without a sweep still belong on the picture: their temperature-1 point (mean over seeds)
    for index, (name, (x, y)) in enumerate(sorted(unswept_points(results, lines, x_key, y_key, label).items()),
                                           start=len(lines)):
        ax.plot([x], [y], marker="*", markersize=11, linestyle="none", color=line_style(index)["color"],
                label=f"{name}, T=1 only")
    for name, metrics in sorted((references or {}).items()):
        if x_key in metrics and y_key in metrics:
            ax.plot([metrics[x_key]], [metrics[y_key]], marker="X", markersize=10, linestyle="none", color="black",
                    label=name)
    ax.set_xlabel(AXIS_LABELS.get(x_key, x_key.replace("_", "-")))
    ax.set_ylabel(AXIS_LABELS.get(y_key, y_key.replace("_", "-")))
    crowded_note = "\neach line's lowest temperature labelled, its T = 1 point ringed" if crowded else ""
    ax.set_title(f"{title} ({hint}){crowded_note}", fontsize=9)
    ax.grid(alpha=0.3)
    # below the axes: with many settings an inside legend hides the points it names
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_training_curves(results: list[dict[str, Any]], path: Path,
                         label: Callable[[dict[str, Any]], str] | None = None) -> Path | None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = [r for r in results if r.get("curve")]
    if not curves:
        return None
    key = "nll_oracle" if any("nll_oracle" in rec for r in curves for rec in r["curve"]) else "nll_test"
    fig, ax = plt.subplots(figsize=(6, 4.5))
    colours: dict[str, Any] = {}
    label = label or model_label
    for r in sorted(curves, key=lambda r: (label(r), r.get("seed", 0))):
        pts = [(rec["step"], rec[key]) for rec in r["curve"] if key in rec]
        name = label(r)
        legend = None if name in colours else name
        colour = colours.setdefault(name, f"C{len(colours)}")
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color=colour, alpha=0.8, label=legend)
    ax.set_xlabel("training step (epochs / rounds over all phases)")
    ax.set_ylabel(key.replace("_", "-"))
    ax.set_title(f"Training curves ({key.replace('_', '-')}; one line per seed)", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _hardware_lines(results: list[dict[str, Any]]) -> list[str]:
    """One description per distinct machine setup among the runs, with how many runs used it (runs of one
    grid may differ in thread count or device, and the first run's alone would misdescribe the others)."""
    counts: dict[str, int] = {}
    for r in results:
        hw = r.get("hardware", {})
        line = (f"{hw.get('platform')}, {cpu_summary(hw)}, torch {hw.get('torch')} "
                f"({hw.get('torch_threads')} threads), CUDA: {hw.get('cuda') or 'none'}")
        counts[line] = counts.get(line, 0) + 1
    if len(counts) == 1:
        return list(counts)
    return [f"{line} ({n} run{'s' if n > 1 else ''})" for line, n in counts.items()]


def wall_split(result: dict[str, Any]) -> tuple[Any, Any, Any]:
    """(training s, evaluation s, unsplit s) of one result file; None where it does not apply.

    A temperature sweep can cost as much as a short training run, so training and evaluation are kept
    apart wherever wall time is shown. A sweep-only file (no training, no final `metrics`) spent its
    `wall_s` on evaluation; an older training result carries only the combined `wall_s`.
    """
    if "train_wall_s" in result or "eval_wall_s" in result:
        return result.get("train_wall_s"), result.get("eval_wall_s"), None
    if not isinstance(result.get("metrics"), dict):
        return None, result.get("wall_s"), None
    return None, None, result.get("wall_s")


def _wall_line(results: list[dict[str, Any]]) -> str:
    """Wall time summed over the folder's runs, training and evaluation apart (`wall_split`)."""
    train, evaluation, unsplit = (sum(part or 0 for part in parts) for parts in zip(*map(wall_split, results)))
    parts = [f"training {train:.0f} s", f"evaluation (final metrics and sweeps) {evaluation:.0f} s"]
    if unsplit:
        parts.append(f"not split (older result files) {unsplit:.0f} s")
    compute = sum(r.get("train_compute_s") or 0 for r in results)
    # a run resumed by a later harness call records the wall time of that last call only
    resumed = sum(len((r.get("source") or {}).get("sittings") or []) > 1  # older files record no sittings:
                  or (r.get("train_wall_s") or 0) < (r.get("train_compute_s") or 0) for r in results)  # a clue
    caveat = (f" ({resumed} run{'s' if resumed != 1 else ''} resumed in a later harness call: training wall time "
              "counts its last sitting only)" if resumed else "")
    return (f"- wall time summed over the {len(results)} run{'s' if len(results) != 1 else ''}: "
            f"{', '.join(parts)}; training compute as the loop measured it (all sittings, in-training "
            f"evaluations excluded): {compute:.0f} s{caveat}")


def _setup(results: list[dict[str, Any]]) -> list[str]:
    first = results[0]
    entry = first["metrics"] if isinstance(first.get("metrics"), dict) else (first.get("sweep") or [{}])[0]
    shas = sorted({str(r.get("git_sha")) for r in results})
    data = ", ".join(sorted({data_key(r) for r in results}))
    models = ", ".join(sorted({model_label(r) for r in results}))

    def counts(key: str) -> str:  # every value the results record, not the first file's alone
        values = {e.get(key) for r in results if (e := final_entry(r)) is not None} - {None}
        return ", ".join(str(v) for v in sorted(values)) if values else str(entry.get(key))

    lines = [f"- data: {data}; models: {models}; runs: {len(results)}",
             f"- samples per evaluation: {counts('n_samples')}; references: {counts('n_references')}",
             f"- hardware: {'; '.join(_hardware_lines(results))}",
             f"- git SHA: {', '.join(shas)}",
             _wall_line(results)]
    from benchmarks.harness import source_changed

    mixed = sorted(f"{model_label(r)} seed {r.get('seed')}" for r in results if source_changed(r.get("source")))
    if mixed:  # the harness's warning, kept where the numbers are read
        lines.append(f"- **textgan's source changed while these runs ran** (their stages may have used different "
                     f"code): {', '.join(mixed)}")
    for key, label in (("train_command", "training"), ("command", "command")):
        lines += [f"- {label}: `{c}`" for c in sorted({r[key] for r in results if r.get(key)})]
    protocol = first.get("protocol") or entry.get("protocol") or {}
    lines += [f"- {k}: {v}" for k, v in protocol.items() if k.endswith("_definition")]
    return lines


def render_dir(folder: Path, published_path: Path = PUBLISHED) -> Path:
    """Write README.md (+ PNGs) for the results in `folder`; returns the README path."""
    readme = Path(folder) / "README.md"
    readme.write_text(readme_markdown(folder, published_path))
    return readme


def readme_markdown(folder: Path, published_path: Path = PUBLISHED, plot_dir: Path | None = None) -> str:
    """The README.md text for the results in `folder`; its PNGs are drawn into `plot_dir` (default: `folder`,
    where the README's image links point). tests/benchmarks/test_committed_reports.py renders every committed
    README again with the plots elsewhere, to catch a README left stale by a new result."""
    folder = Path(folder)
    plot_dir = folder if plot_dir is None else Path(plot_dir)
    results = load_results(folder)
    if not results:
        if any(folder.glob("mask*-seed*.json")):  # in-filling results: their README has its own writer
            raise FileNotFoundError(f"'{folder}' holds in-filling results, which render.py does not read; rewrite "
                                    "its README with python benchmarks/bench_infill.py --readme-only (see --help)")
        raise FileNotFoundError(f"no result JSONs in '{folder}'")
    published = yaml.safe_load(published_path.read_text()) if published_path.is_file() else {}
    intro = ("Generated by `python benchmarks/render.py` from the JSON files in this folder "
             "(protocol: docs/evaluation.md).")
    md = [f"# Benchmark results: {folder.name}", "", intro, "", *_setup(results), ""]
    labels = setting_labels(results)  # one row / line per setting: two settings of a model are not averaged
    tables = summary_tables(results, published, labels)
    if tables:
        md += ["## Final metrics (temperature 1)", "", tables, ""]

    def label(r: dict[str, Any]) -> str:
        return labels[id(r)]

    if plot_training_curves(results, plot_dir / "training_curves.png", label):
        md += ["## Training curves", "", "![training curves](training_curves.png)", ""]
    if plot_quality_diversity(results, plot_dir / "quality_diversity.png", label):
        md += ["## Quality–diversity (temperature sweep)", "", "![quality-diversity](quality_diversity.png)", "",
               sweep_table(results, label), ""]
    return "\n".join(md)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/render.py", description=__doc__.splitlines()[0])
    p.add_argument("folder", help="benchmarks/results/<grid>")
    p.add_argument("--published", default=str(PUBLISHED), help="YAML of published numbers (default: %(default)s)")
    args = p.parse_args(argv)
    if not Path(args.published).is_file():  # the tables would lose their published column, silently
        print(f"error: --published '{args.published}' not found; pass a YAML of published numbers such as "
              "benchmarks/published.yaml", file=sys.stderr)
        return 2
    try:
        print(f"wrote {render_dir(Path(args.folder), Path(args.published))}")
    except (FileNotFoundError, ValueError) as err:  # no results, or a damaged result file (named)
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
