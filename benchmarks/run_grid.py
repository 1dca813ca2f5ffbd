"""Run a benchmark grid: `python benchmarks/run_grid.py benchmarks/grids/NAME.yaml [--dry-run]`.

Trains and evaluates every (model x data set x seed) of the grid (see `benchmarks/harness.py`),
one result JSON per run under benchmarks/results/<grid>/, skipping runs whose result exists, then
renders the grid's README.md tables and PNG plots (`benchmarks/render.py`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from benchmarks.harness import RESULTS, RUNS, config_hash, jobs, load_grid, resolved_config, run_id
from textgan.errors import UserError, cli_entry


@cli_entry
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/run_grid.py", description=__doc__.splitlines()[0])
    p.add_argument("grid", help="grid YAML file (benchmarks/grids/*.yaml)")
    p.add_argument("--data-dir", help="data root (default: $TEXTGAN_DATA_DIR, else ./data)")
    p.add_argument("--runs-root", default=str(RUNS), help="where run directories go (git-ignored)")
    p.add_argument("--results-root", default=str(RESULTS))
    p.add_argument("--only", help="run only jobs whose id contains this string")
    p.add_argument("--dry-run", action="store_true", help="list the jobs and their commands, run nothing")
    p.add_argument("--no-render", action="store_true", help="skip rendering README.md and plots")
    args = p.parse_args(argv)
    from benchmarks.harness import run_job

    try:
        grid = load_grid(args.grid)
    except (OSError, ValueError) as err:
        raise UserError(str(err)) from None
    todo = jobs(grid)
    if args.only:
        todo = [j for j in todo if args.only in run_id(j.model, j.data, j.seed, "")]
    for job in todo:
        if args.dry_run:
            rid = run_id(job.model, job.data, job.seed, config_hash(resolved_config(job)))
            print(f"{rid}: python -m textgan.train {' '.join(job.train_args())}")
            continue
        run_job(job, Path(args.runs_root), Path(args.results_root), args.data_dir)
    if not args.dry_run and not args.no_render:
        from benchmarks.render import render_dir

        print(f"rendered {render_dir(Path(args.results_root) / grid.name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
