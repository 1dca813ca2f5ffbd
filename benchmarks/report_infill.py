"""The in-filling section of the benchmark report: MaskGAN (Fedus et al., ICLR 2018, arXiv 1801.07736) and its
MaskMLE baseline, from the result JSONs that `benchmarks/bench_infill.py` writes.

In-filling results have their own layout (filled test sentences scored against the other test sentences;
no free-running samples, so no NLL-oracle or temperature sweep) and are not comparable with the
unconditional rows, so they get a table of their own: one row per (grid folder, label), mean ± std over
the seeds in that folder.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks import render

ORDERS = ("2", "3", "4", "5")


def load_infill(results_dir: Path) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """In-filling result JSONs directly inside results_dir/<grid>/, grouped by (grid, label)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for folder in sorted(p for p in Path(results_dir).iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.json")):
            try:
                result = json.loads(path.read_text())
            except ValueError:
                continue
            if isinstance(result, dict) and "n_filled" in result:  # bench_infill.py's layout
                groups[(folder.name, str(result.get("label") or result.get("model")))].append(result)
    return dict(groups)


def _oracle_cell(runs: list[dict[str, Any]]) -> str:
    """On the synthetic oracle: NLL-oracle of the filled sentences, and of the originals they should match."""
    filled = [r["nll_oracle_filled"] for r in runs if "nll_oracle_filled" in r]
    if not filled:
        return "–"
    return (f"{render.mean_std_cell(filled)} "
            f"({render.mean_std_cell([r['nll_oracle_original'] for r in runs if 'nll_oracle_original' in r])})")


def infill_section(results_dir: Path, out: Path) -> str:
    """Markdown of the in-filling table (empty string when there are no in-filling results)."""
    groups = load_infill(results_dir)
    if not groups:
        return ""
    head = (["setting", "data", "seeds"] + [f"bleu_{n}" for n in ORDERS] + [f"self_bleu_{n}" for n in ORDERS]
            + ["masked-token accuracy", "in-filling NLL", "NLL-oracle of fillings (of originals)",
               "filled / references", "train min / run"])
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (grid, label), runs in groups.items():
        where = render.grid_link(grid, results_dir, out)
        train_min = [sum((r.get("train_wall_s") or {}).values()) / 60 for r in runs if r.get("train_wall_s")]
        cell = render.mean_std_cell
        data = ", ".join(sorted({render.data_key(r) for r in runs}))
        cells = ([f"{label} ({where})", data, str(len(runs))]
                 + [cell([r["bleu"][n] for r in runs if n in r.get("bleu", {})]) for n in ORDERS]
                 + [cell([r["self_bleu"][n] for r in runs if n in r.get("self_bleu", {})]) for n in ORDERS]
                 + [cell([r["masked_accuracy"] for r in runs if "masked_accuracy" in r]),
                    cell([r["infill_nll"] for r in runs if "infill_nll" in r]),
                    _oracle_cell(runs),
                    f"{runs[0].get('n_filled')} / {runs[0].get('n_references')}",
                    f"{sum(train_min) / len(train_min):.1f}" if train_min else "–"])
        rows.append("| " + " | ".join(cells) + " |")
    budgets: dict[str, list[str]] = {}  # grid folder -> its distinct budget notes, in row order
    for (grid, _), runs in groups.items():
        for note in (str(r["budget"]) for r in runs if r.get("budget")):
            if note not in budgets.setdefault(grid, []):
                budgets[grid].append(note)
    md = ["## In-filling (MaskGAN)", "",
          "Masked test sentences filled by the model and scored against the other test sentences of the same "
          "data set (each grid's README states the masking and references); not comparable with the free-running "
          "rows above. "
          "`train min / run` is the training time its JSON records (a MaskMLE row taken from a MaskGAN run's "
          "pretrained checkpoint records that whole run's).", "", *rows, ""]
    md += [f"Budget of {grid}: {note}." for grid, notes in budgets.items() for note in notes]
    return "\n".join(md) + "\n"
