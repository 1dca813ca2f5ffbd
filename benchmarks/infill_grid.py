"""In-filling grids: MaskGAN against MaskMLE (Fedus, Goodfellow & Dai 2018, arXiv 1801.07736) over seeds, run by
`run_grid.py` beside the other grids so that the whole report stays one command.

MaskGAN is not scored by the harness's sampling protocol but by filling masked test sentences
(`benchmarks/bench_infill.py`), so its grids name the settings of that benchmark instead of a model list:

    kind: infill                  # marks the file as an in-filling grid
    name: maskgan_coco_cpu        # results: benchmarks/results/<name>/maskgan-seed<s>.json and maskmle-seed<s>.json
    data: coco                    # one data set: the result files are named by seed alone
    seeds: [0, 1, 2]
    maskmle: pretrained           # bench_infill's --maskmle (pretrained | run)
    overrides: []                 # key=value overrides of configs/maskgan.yaml
    budget_note: "..."            # a sentence on the budget, copied into every result
    num: 1000                     # optional: test sentences masked and filled (bench_infill's --num)

A seed is done when both of its result files exist and record the grid's data, MaskMLE source and overrides;
files that record another setting are an error (the grid was edited after they were written), never
silently overwritten or counted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LABELS = ("maskmle", "maskgan")  # bench_infill writes <label>-seed<seed>.json for each


@dataclass
class InfillGrid:
    name: str
    data: str
    seeds: list[int]
    maskmle: str = "pretrained"
    overrides: list[str] = field(default_factory=list)
    budget_note: str = ""
    num: int = 1000
    kind: str = "infill"

    def job_id(self, seed: int) -> str:
        return f"{self.name}-seed{seed}"

    def command(self, seed: int, options: list[str] | None = None) -> list[str]:
        """The bench_infill.py command of one seed (without the interpreter); `options`: folder options."""
        cmd = ["benchmarks/bench_infill.py", "--data", self.data, "--seed", str(seed), "--name", self.name,
               "--maskmle", self.maskmle, *(options or [])]
        if self.num != 1000:
            cmd += ["--num", str(self.num)]
        if self.budget_note:
            cmd += ["--budget-note", self.budget_note]
        return cmd + list(self.overrides)


def is_infill_grid(raw: Any) -> bool:
    return isinstance(raw, dict) and raw.get("kind") == "infill"


def load_infill_grid(path: Path, raw: dict[str, Any]) -> InfillGrid:
    """The grid of a parsed YAML file whose `kind` is infill; ValueError names a bad key or value."""
    known = set(InfillGrid.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"in-filling grid file '{path}': unknown keys {sorted(unknown)}; known: {sorted(known)}")
    raw = {"name": path.stem, **raw}
    if not isinstance(raw.get("data"), str):
        raise ValueError(f"in-filling grid file '{path}' needs one data set as a string ('data: coco')")
    if not raw.get("seeds"):
        raise ValueError(f"in-filling grid file '{path}' needs a non-empty 'seeds' list")
    if raw.get("maskmle", "pretrained") not in ("pretrained", "run"):
        raise ValueError(f"in-filling grid file '{path}': maskmle must be 'pretrained' or 'run'")
    return InfillGrid(**raw)


def result_paths(grid: InfillGrid, seed: int, results_root: Path) -> list[Path]:
    return [results_root / grid.name / f"{label}-seed{seed}.json" for label in LABELS]


def finished(grid: InfillGrid, seed: int, results_root: Path) -> bool:
    """Whether the seed's results exist; ValueError when they record another setting than the grid's."""
    paths = result_paths(grid, seed, results_root)
    if not all(p.is_file() for p in paths):
        return False
    for path in paths:
        result = json.loads(path.read_text())
        recorded = (result.get("data"), result.get("maskmle_source"), result.get("overrides"))
        if recorded != (grid.data, grid.maskmle, list(grid.overrides)):
            raise ValueError(f"{path} records data / maskmle / overrides {recorded}, but grid '{grid.name}' asks "
                             f"for {(grid.data, grid.maskmle, list(grid.overrides))}; move the old results away "
                             "or restore the grid file")
    return True


def run_seed(grid: InfillGrid, seed: int, runs_root: Path, results_root: Path, data_dir: str | None = None,
             log=print) -> None:
    """Train and score one seed unless its results exist (or another process holds it). RuntimeError when
    the benchmark fails, so that a multi-grid command goes on with the next job."""
    from benchmarks.harness import job_lock, run_until_saved

    if finished(grid, seed, results_root):
        log(f"skip {grid.job_id(seed)} (results exist)")
        return
    runs_root.mkdir(parents=True, exist_ok=True)
    with job_lock(runs_root / f"{grid.job_id(seed)}.lock") as holder:
        if holder is not None:
            log(f"skip {grid.job_id(seed)} (process {holder} is running it)")
            return
        log(f"in-fill {grid.job_id(seed)}")
        options = ["--runs-root", str(runs_root), "--results-root", str(results_root)]
        options += ["--data-dir", data_dir] if data_dir else []
        # it prints its README table, which is in the folder; a Ctrl-C reaches it once, and through it its training
        code = run_until_saved([sys.executable, *grid.command(seed, options)], subprocess.DEVNULL)
        if code != 0:
            raise RuntimeError(f"bench_infill.py failed (exit {code}); its training log is in {runs_root}")
