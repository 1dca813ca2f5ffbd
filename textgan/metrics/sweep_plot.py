"""The quality–diversity picture of one temperature sweep (Caccia et al. 2020, "Language GANs Falling Short").

`python -m textgan.evaluate --run R --temperatures protocol --plot qd.png` draws the sweep's points, one per
temperature, in the plane where quality is traded for diversity: NLL-oracle against NLL-test on the
synthetic oracle (lower-left is better), BLEU-n against self-BLEU-n on text (upper-left is better). A GAN is
judged by where its curve lies against MLE's (`benchmarks/curve_margin.py`), not by its temperature-1 point.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textgan.errors import UserError

# --metrics that can give one of the planes: NLL-oracle and NLL-test (both from `nll`, on the oracle) or BLEU and
# self-BLEU (text)
PLANE_METRICS = ({"nll"}, {"bleu", "self_bleu"})
MISSING_PLANE = ("--plot needs a sweep that measured nll_oracle and nll_test (the oracle) or bleu and self_bleu "
                 "(text); add them to --metrics")


def check_plot_metrics(metrics: list[str] | None, on_oracle: bool | None = None) -> None:
    """Refuse --metrics that cannot give a quality–diversity plane (None: the defaults, which do), before the
    sweep's minutes of sampling. `on_oracle` None: the run's data is not loaded yet, so either plane will do;
    once it is known, `nll` counts only on the oracle (NLL-oracle), so on text only BLEU and self-BLEU draw one."""
    planes = PLANE_METRICS if on_oracle is not False else PLANE_METRICS[1:]
    if metrics is not None and not any(plane <= set(metrics) for plane in planes):
        raise UserError(MISSING_PLANE)


def sweep_axes(sweep: list[dict[str, Any]], max_n: int) -> tuple[str, str, str]:
    """(x key, y key, reading hint) of the quality–diversity plane the sweep measured."""
    first = sweep[0]
    if "nll_oracle" in first and "nll_test" in first:
        return "nll_test", "nll_oracle", "lower-left is better"
    if "bleu" in first and "self_bleu" in first:
        return f"self_bleu_{max_n}", f"bleu_{max_n}", "upper-left is better"
    raise UserError(MISSING_PLANE)


def entry_value(entry: dict[str, Any], key: str) -> float:
    """A metric of a metrics / sweep entry; `bleu_5` style keys read the nested {"bleu": {"5": ...}} layout.
    (Imports no torch: `benchmarks/curve_margin.py` reads result JSONs with it.)"""
    if key in entry:
        return float(entry[key])
    name, _, order = key.rpartition("_")
    if isinstance(entry.get(name), dict) and order in entry[name]:
        return float(entry[name][order])
    raise KeyError(f"metric '{key}' not in {sorted(entry)}")


def plot_sweep(sweep: list[dict[str, Any]], out: Path, title: str, max_n: int = 5) -> Path:
    """Write the sweep as a PNG: one point per temperature, labelled, joined in temperature order."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # no pyplot: no global backend is changed
    from matplotlib.figure import Figure

    x_key, y_key, hint = sweep_axes(sweep, max_n)
    entries = sorted(sweep, key=lambda e: e["temperature"])
    xs, ys = [entry_value(e, x_key) for e in entries], [entry_value(e, y_key) for e in entries]
    fig = Figure(figsize=(6, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(xs, ys, marker="o")
    for e, x, y in zip(entries, xs, ys):
        ax.annotate(f"T={e['temperature']:g}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_xlabel(x_key.replace("_", "-"))
    ax.set_ylabel(y_key.replace("_", "-"))
    ax.set_title(f"{title} ({hint})", fontsize=9)
    ax.grid(alpha=0.3)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120, bbox_inches="tight")
    return out
