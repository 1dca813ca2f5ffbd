"""The committed grids (benchmarks/grids/*.yaml, both kinds) against the committed results
(benchmarks/results/<grid>/): every grid resolves to valid training configs, and every result file in a grid's
folder is a job of that grid as the file reads today. An edited grid whose results no longer match would make
`run_grid.py` train them again and leave the old files in the report unexplained; this catches it before a commit
does."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks.harness import RESULTS, config_hash, finished_result, jobs, resolved_config
from benchmarks.infill_grid import InfillGrid, finished, result_paths
from benchmarks.run_grid import load_any_grid

GRIDS = sorted((Path(__file__).resolve().parents[2] / "benchmarks" / "grids").glob("*.yaml"))


def test_there_are_grids():
    assert len(GRIDS) >= 10


@pytest.mark.parametrize("path", GRIDS, ids=[p.stem for p in GRIDS])
def test_every_committed_result_is_a_job_of_its_grid(path):
    grid = load_any_grid(str(path))  # a bad key or value fails here
    assert grid.name == path.stem  # the results folder is named after the grid, the file after it too
    folder = RESULTS / grid.name
    if isinstance(grid, InfillGrid):
        claimed = {p.name for seed in grid.seeds if finished(grid, seed, RESULTS)  # raises on another setting
                   for p in result_paths(grid, seed, RESULTS)}
        results = {p.name for p in folder.glob("mask*-seed*.json")} if folder.is_dir() else set()
    else:
        claimed = set()
        for job in jobs(grid):
            done = finished_result(job, config_hash(resolved_config(job)))  # resolving validates the overrides
            if done is not None:
                claimed.add(done.name)
        # run results are named <model>-<data>-seed<seed>-<hash>.json; other JSONs there are grid-level analyses
        results = {p.name for p in folder.glob("*-seed*-*.json")} if folder.is_dir() else set()
    assert results <= claimed, f"results no job of {path.name} claims: {sorted(results - claimed)}"


def test_every_result_folder_but_the_explorations_has_a_grid():
    """Each folder of benchmarks/results is one command's output: a grid's, or a single-purpose script's."""
    grids = {path.stem for path in GRIDS}
    scripts = {"image_baseline", "seqgan_paper_smoke", "sweep_mle_coco"}  # image_baseline.py, the commands in
    # seqgan_paper_smoke's NOTES and sweep_mle_coco's README
    explorations = {p.name for p in RESULTS.iterdir() if p.name.startswith("exploration_")}
    folders = {p.name for p in RESULTS.iterdir() if p.is_dir()}
    assert folders - grids - scripts - explorations == set()



def test_committed_results_record_no_machine_path():
    """The data files a result names are relative to the data root (`harness.portable_data_info`)."""
    machine_paths = []
    for path in sorted(RESULTS.glob("*/*.json")):
        result = json.loads(path.read_text())
        data_info = result.get("data_info") if isinstance(result, dict) else None
        machine_paths += [f"{path.parent.name}/{path.name}: {value}" for value in _strings(data_info or {})
                          if value.startswith("/")]
    assert not machine_paths


def _strings(value) -> list[str]:
    """Every string inside a JSON value (nested dicts and lists too: labelled data records a file per class)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
