"""Run benchmark grids: `python benchmarks/run_grid.py benchmarks/grids/NAME.yaml [MORE.yaml ...] [--dry-run]`.

Trains and evaluates every (model x data set x seed) of each grid (see `benchmarks/harness.py`),
one result JSON per run under benchmarks/results/<grid>/, skipping runs whose result exists (so the
whole report is `run_grid.py benchmarks/grids/*.yaml` then `report.py`, resumable at any point), then
renders each grid's README.md tables and PNG plots (`benchmarks/render.py`). In-filling grids
(`kind: infill`, `benchmarks/infill_grid.py`) run MaskGAN's benchmark seed by seed in the same command.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

import yaml

from benchmarks.harness import (
    RESULTS,
    RUNS,
    Grid,
    config_hash,
    eval_differences,
    finished_result,
    jobs,
    load_grid,
    resolved_config,
    run_id,
)
from benchmarks.infill_grid import InfillGrid, finished, is_infill_grid, load_infill_grid, run_seed
from textgan.errors import UserError, cli_entry


def load_any_grid(path: str) -> Grid | InfillGrid:
    """A grid file of either kind; UserError names an unreadable file or a bad key."""
    try:
        raw = yaml.safe_load(Path(path).read_text())
        return load_infill_grid(Path(path), raw) if is_infill_grid(raw) else load_grid(path)
    except OSError as err:
        raise UserError(f"cannot read grid file '{path}' ({err.strerror}); "
                        "pass grid YAML files such as benchmarks/grids/*.yaml") from None
    except (ValueError, yaml.YAMLError) as err:
        raise UserError(str(err).splitlines()[0] if isinstance(err, ValueError) else
                        f"grid file '{path}' is not valid YAML: {str(err).splitlines()[0]}") from None


def run_infill_grid(grid: InfillGrid, args: argparse.Namespace, results_root: Path, failed: list[str]) -> int:
    """Run (or list) the grid's seeds that `--only` selects; returns how many it selected."""
    selected = 0
    for seed in grid.seeds:
        if args.only and args.only not in grid.job_id(seed):
            continue
        selected += 1
        if args.dry_run:
            state = "done" if finished(grid, seed, results_root) else "todo"
            print(f"{grid.job_id(seed)} [{state}]: {shlex.join(['python', *grid.command(seed)])}")
            continue
        try:
            run_seed(grid, seed, Path(args.runs_root), results_root, args.data_dir)
        except RuntimeError as err:
            failed.append(f"{grid.job_id(seed)}: {err}")
            print(f"FAILED {failed[-1]}", file=sys.stderr)
    return selected


def _stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt


@cli_entry
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/run_grid.py", description=__doc__.splitlines()[0])
    p.add_argument("grids", nargs="+", metavar="grid", help="grid YAML files (benchmarks/grids/*.yaml)")
    p.add_argument("--data-dir", help="data root (default: $TEXTGAN_DATA_DIR, else ./data)")
    p.add_argument("--runs-root", default=str(RUNS), help="where run directories go (git-ignored)")
    p.add_argument("--results-root", default=str(RESULTS))
    p.add_argument("--only", help="run only jobs whose id contains this string")
    p.add_argument("--dry-run", action="store_true",
                   help="list the jobs, each marked [done] (result exists) or [todo], with its command; run nothing")
    p.add_argument("--no-render", action="store_true", help="skip rendering README.md and plots")
    args = p.parse_args(argv)
    from benchmarks.harness import run_job

    # SIGTERM and SIGHUP (a closed terminal) stop the harness as Ctrl-C does: the running training saves a
    # checkpoint and stops too, the job lock is released (by default either signal killed the harness alone,
    # leaving its training, in a session of its own, running and the lock behind)
    for stop in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, _stop_on_sigterm)

    grids = [load_any_grid(path) for path in args.grids]  # every file is checked before the first run starts
    results_root = Path(args.results_root)
    for grid in grids:  # and every in-filling result against its grid (an edited grid is an error up front)
        if isinstance(grid, InfillGrid):
            for seed in grid.seeds:
                try:
                    finished(grid, seed, results_root)
                except ValueError as err:
                    raise UserError(str(err)) from None
    failed: list[str] = []
    matched = 0
    for grid in grids:
        if isinstance(grid, InfillGrid):  # bench_infill.py writes the folder's README itself
            matched += run_infill_grid(grid, args, results_root, failed)
            continue
        # a job's config hash (resolving its config) only where the id is shown or filtered on
        needs_hash = bool(args.only or args.dry_run)
        todo = [(job, config_hash(resolved_config(job)) if needs_hash else "") for job in jobs(grid)]
        if args.only:  # a part of the job's id, its config hash included (as --dry-run prints it)
            todo = [(job, chash) for job, chash in todo if args.only in run_id(job.model, job.data, job.seed, chash)]
            matched += len(todo)
        for job, chash in todo:
            if args.dry_run:
                done = finished_result(job, chash, results_root)
                state = "todo" if done is None else "done"
                differs = eval_differences(json.loads(done.read_text()), job.grid.eval) if done else []
                if differs:  # the config hash names the training only: an edited eval section shows here
                    state += f", evaluated otherwise: {'; '.join(differs)}"
                print(f"{run_id(job.model, job.data, job.seed, chash)} [{state}]: "
                      f"python -m textgan.train {' '.join(job.train_args())}")
                continue
            try:
                run_job(job, Path(args.runs_root), results_root, args.data_dir)
            except (RuntimeError, UserError) as err:  # one failed run must not stop an unattended multi-hour command
                failed.append(f"{run_id(job.model, job.data, job.seed, '')[:-1]} ({grid.name}): {err}")
                print(f"FAILED {failed[-1]}", file=sys.stderr)
        if not args.dry_run and not args.no_render and (results_root / grid.name).is_dir():
            from benchmarks.render import render_dir

            print(f"rendered {render_dir(results_root / grid.name)}")
    if args.only and not matched:
        raise UserError(f"--only {args.only!r} matches no job of the given grids; --dry-run lists their ids")
    if failed:
        raise UserError(f"{len(failed)} run(s) failed, the others finished: " + "; ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
