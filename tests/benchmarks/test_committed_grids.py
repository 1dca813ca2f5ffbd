"""The committed grids (benchmarks/grids/*.yaml) against the committed results (benchmarks/results/<grid>/):
every grid resolves to valid training configs, and every result file in a grid's folder is a job of that grid
as the file reads today. An edited grid whose results no longer match would make `run_grid.py` train them
again and leave the old files in the report unexplained; this catches it before a commit does."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks.harness import RESULTS, config_hash, finished_result, jobs, load_grid, resolved_config

GRIDS = sorted((Path(__file__).resolve().parents[2] / "benchmarks" / "grids").glob("*.yaml"))


def test_there_are_grids():
    assert len(GRIDS) >= 10


@pytest.mark.parametrize("path", GRIDS, ids=[p.stem for p in GRIDS])
def test_every_committed_result_is_a_job_of_its_grid(path):
    grid = load_grid(path)
    assert grid.name == path.stem  # the results folder is named after the grid, the file after it too
    claimed = set()
    for job in jobs(grid):
        done = finished_result(job, config_hash(resolved_config(job)))  # resolving also validates the overrides
        if done is not None:
            claimed.add(done.name)
    folder = RESULTS / grid.name
    # run results are named <model>-<data>-seed<seed>-<hash>.json; other JSONs there are grid-level analyses
    results = {p.name for p in folder.glob("*-seed*-*.json")} if folder.is_dir() else set()
    assert results <= claimed, f"results no job of {path.name} claims: {sorted(results - claimed)}"
