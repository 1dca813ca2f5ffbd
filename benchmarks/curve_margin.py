"""How far a run's point lies from a baseline's quality–diversity curve (Caccia et al. 2020, "Language GANs
Falling Short": compare a GAN with MLE over MLE's temperature sweep, not at temperature 1 alone).

    python benchmarks/curve_margin.py --run results/G/leakgan-oracle-seed0-X.json \
        --baseline results/G/mle-oracle-seed0-Y.json [--x nll_test --y nll_oracle] [--higher-better]

The baseline's `sweep` (one entry per temperature) is a curve in the (x, y) plane; the run's point is its
temperature-1 `metrics`. The script interpolates the baseline's y at the run's x (linearly between the two
sweep points around it, after sorting by x; where x turns back over the sweep, only the low-temperature
branch up to the turn counts) and prints both with the margin (baseline y - run y when lower
is better, as for NLL-oracle; run y - baseline y otherwise, as for BLEU). A positive margin means the run
is beyond the curve: better quality than the baseline reaches by changing its temperature, at equal
diversity. Defaults: the oracle pair, x = NLL-test, y = NLL-oracle, lower is better. Several --run /
--baseline pairs (same count, paired in order, e.g. the same seeds) print one line each and the mean ± std.

--curve also reads the run's in-training evaluations (the result's `curve`, one entry per evaluation that
measured both metrics; --phase keeps one training phase, e.g. adversarial) and prints the margin at each,
so one sees where in training a GAN crossed the baseline's curve and where it crossed back. A point whose x
lies outside the baseline's sweep (an in-training evaluation or the final point) prints as outside instead
of failing the whole listing; the exit status is then 1, and the mean covers the pairs that have a margin.
A --run may also be the output of `python -m textgan.evaluate --run RUN --json FILE` (its point: the one
temperature evaluated, or the temperature-1 entry of its sweep), or a training run's folder (the one holding
`metrics.jsonl`), to follow a run that is still training: its last evaluation stands in for the final point.
A run point and a sweep that record different sample, reference or test-sequence counts get a warning on
stderr (the margin then mixes two protocols).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import yaml

from textgan.metrics.sweep_plot import entry_value


def interpolate(curve: list[tuple[float, float]], x: float) -> float:
    """y of the piecewise-linear curve (points sorted by x) at x; outside the curve's x range, an error."""
    points = sorted(curve)
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    raise ValueError(f"x = {x:.4f} lies outside the baseline curve's range "
                     f"[{points[0][0]:.4f}, {points[-1][0]:.4f}]; sweep wider temperatures")


def low_temperature_branch(curve: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points of a curve given in temperature order, up to where x turns back.

    x is not always monotone in the temperature: an MLE model stopped early has its lowest NLL-test near
    T = 1.1, so NLL-test falls and then rises again over the sweep, and one x is met twice. The margin reads
    the low-temperature (quality) branch, where a GAN's sharpened samples lie."""
    branch = list(curve[:2])
    if len(branch) < 2:
        return branch
    rising = branch[1][0] > branch[0][0]
    for point in curve[2:]:
        if (point[0] > branch[-1][0]) != rising:
            break
        branch.append(point)
    return branch


def margin(run: dict[str, Any], curve: list[tuple[float, float]], x: str, y: str) -> tuple[float, float, float | None]:
    """(run x, run y, baseline y at run x) on the baseline's `curve` (`baseline_curve`); the caller turns them
    into a margin by its quality direction.

    The baseline y is None where the run's x lies outside the baseline's sweep (no margin can be read)."""
    rx, ry = entry_value(run["metrics"], x), entry_value(run["metrics"], y)
    return rx, ry, _interpolate_or_none(curve, rx)


def _interpolate_or_none(curve: list[tuple[float, float]], x: float) -> float | None:
    try:
        return interpolate(curve, x)
    except ValueError:
        return None


def load_run(path: Path, x: str, y: str) -> dict[str, Any]:
    """A result JSON, or a run folder's `metrics.jsonl` as {"curve": its records, "metrics": the last
    record that measured x and y} (a run still training has no result JSON yet)."""
    if not path.is_dir():
        return as_point(json.loads(path.read_text()), path)
    from textgan.runs import RunDir  # imports torch: only for run folders, so result JSONs stay quick to read

    records = RunDir(path).read_metrics()
    evaluated = [r for r in records if _pair(r, x, y) is not None]
    if not evaluated:
        raise ValueError(f"{path} has no evaluation of {x} and {y} in a metrics.jsonl yet")
    # what a result JSON records of its data and protocol, so a run folder is checked against its baseline too
    config = yaml.safe_load((path / "config.yaml").read_text()) if (path / "config.yaml").is_file() else {}
    sittings = RunDir(path).read_run_info()
    eval_cfg = config.get("eval") or {}
    point = {**evaluated[-1], **({"n_samples": eval_cfg["num_samples"]} if "num_samples" in eval_cfg else {})}
    return {"curve": records, "metrics": point, "data": (config.get("data") or {}).get("name"), "config": config,
            "data_info": (sittings[0].get("data") if sittings else None) or {}}


def as_point(result: Any, path: Path) -> dict[str, Any]:
    """A --run file as {"metrics": its point, ...}: a grid result JSON as it is; `python -m textgan.evaluate
    --json` output too, whose point is its top level (one temperature) or its sweep's temperature-1 entry."""
    if not isinstance(result, dict):
        raise ValueError(f"{path} is not a result: give a grid result JSON, a textgan.evaluate --json output or "
                         "a run folder")
    if isinstance(result.get("metrics"), dict):  # a grid result
        return result
    if isinstance(result.get("sweep"), list):  # evaluate --temperatures: "metrics" names the metrics there
        at_one = [e for e in result["sweep"] if float(e.get("temperature", 0.0)) == 1.0]
        if not at_one:
            raise ValueError(f"{path}: its sweep has no temperature-1 point, the run's point; evaluate with 1.0 "
                             "among --temperatures")
        return {**result, "metrics": at_one[0]}
    if "temperature" in result:  # evaluate at one temperature: the metrics are the top level
        if float(result["temperature"]) != 1.0:  # the run's eval.temperature, e.g. LeakGAN's 2/3
            print(f"warning: {path} was evaluated at temperature {result['temperature']}; the other points "
                  "(grid results, sweeps) stand at temperature 1", file=sys.stderr)
        return {**result, "metrics": result}
    raise ValueError(f"{path} is not a result: give a grid result JSON, a textgan.evaluate --json output or a run "
                     "folder")


def _pair(entry: dict[str, Any], x: str, y: str) -> tuple[float, float] | None:
    """(x, y) of a metrics record, or None for a record that did not measure both (a training record)."""
    try:
        return entry_value(entry, x), entry_value(entry, y)
    except KeyError:
        return None


def baseline_curve(baseline: dict[str, Any], x: str, y: str) -> list[tuple[float, float]]:
    """The baseline's (x, y) sweep points, on the low-temperature branch, ready for `interpolate`."""
    if not baseline.get("sweep"):
        raise ValueError("the baseline result has no temperature sweep (grid eval.temperatures)")
    entries = sorted(baseline["sweep"], key=lambda e: float(e.get("temperature", 0.0)))
    return low_temperature_branch([(entry_value(e, x), entry_value(e, y)) for e in entries])


# what a point was measured on: a margin between points measured differently mixes two protocols (self-BLEU
# and BLEU move with the number of samples and references, NLL-test with the test sequences)
MEASURED_ON = ("n_samples", "n_references", "nll_test_sequences")


def measured_differently(point: dict[str, Any], sweep: list[dict[str, Any]]) -> list[str]:
    """'n_samples 200 vs 100', ... for each count the point and the baseline's sweep both record and that
    differs (a run folder's records, which record none, are not checked)."""
    out = []
    for key in MEASURED_ON:
        theirs = {e.get(key) for e in sweep} - {None}
        if point.get(key) is not None and theirs and theirs != {point[key]}:
            out.append(f"{key} {point[key]} vs {', '.join(str(v) for v in sorted(theirs))}")
    return out


def data_differences(run: dict[str, Any], base: dict[str, Any]) -> list[str]:
    """'data coco vs oracle', ... where the two record different data: the data set's name, the oracle's
    weights (the SeqGAN oracle's or a seeded one) and its sequence length, each where both record it."""
    def oracle_len(result: dict[str, Any]) -> Any:
        return ((result.get("config") or {}).get("data") or {}).get("oracle", {}).get("seq_len")

    pairs = [("data", run.get("data"), base.get("data")),
             ("oracle", (run.get("data_info") or {}).get("oracle"), (base.get("data_info") or {}).get("oracle"))]
    if run.get("data") == base.get("data") == "oracle":
        pairs.append(("oracle seq_len", oracle_len(run), oracle_len(base)))
    return [f"{name} {ours} vs {theirs}" for name, ours, theirs in pairs if ours and theirs and ours != theirs]


def training_margins(run: dict[str, Any], curve: list[tuple[float, float]], x: str, y: str, higher_better: bool,
                     phase: str | None = None) -> list[dict[str, Any]]:
    """One row per in-training evaluation of `run` that has both metrics: phase, iteration, x, y, margin.

    The margin is None where x lies outside the baseline's curve (an early MLE epoch, say, is more diverse
    than any temperature of the finished baseline)."""
    if not run.get("curve"):
        raise ValueError("the run result has no in-training curve (its metrics.jsonl had no evaluations)")
    rows = []
    for entry in run["curve"]:
        if phase is not None and entry.get("phase") != phase:
            continue
        point = _pair(entry, x, y)
        if point is None:
            continue
        rx, ry = point
        by = _interpolate_or_none(curve, rx)
        m = None if by is None else (ry - by if higher_better else by - ry)
        rows.append({"phase": entry.get("phase", ""), "iteration": entry.get("iteration"), "x": rx, "y": ry,
                     "baseline_y": by, "margin": m})
    return rows


def _print_training_margins(rows: list[dict[str, Any]], x: str, y: str, run_name: str) -> None:
    print(f"{run_name}: margin at each in-training evaluation")
    for r in rows:
        where = (f"baseline {r['baseline_y']:.3f}, margin {r['margin']:+.3f}" if r["margin"] is not None
                 else "outside the baseline's curve")
        print(f"  {r['phase']:>12} {r['iteration']!s:>6}: {x} {r['x']:.3f}, {y} {r['y']:.3f}; {where}")
    inside = [r for r in rows if r["margin"] is not None]
    if inside:
        best = max(inside, key=lambda r: r["margin"])
        print(f"  largest margin {best['margin']:+.3f} at {best['phase']} {best['iteration']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/curve_margin.py",
                                description="How far a run's point lies from a baseline's quality-diversity curve "
                                            "(Caccia et al. 2020).")
    p.add_argument("--run", nargs="+", required=True,
                   help="result JSON(s) of the model, or run folder(s) holding metrics.jsonl")
    p.add_argument("--baseline", nargs="+", required=True, help="result JSON(s) with a sweep, paired with --run")
    p.add_argument("--x", default="nll_test", help="diversity axis (default nll_test)")
    p.add_argument("--y", default="nll_oracle", help="quality axis (default nll_oracle)")
    p.add_argument("--higher-better", action="store_true", help="quality y is better when higher (BLEU)")
    p.add_argument("--curve", action="store_true",
                   help="also print the margin at each in-training evaluation of every run")
    p.add_argument("--phase", default=None, help="with --curve: only this training phase (e.g. adversarial)")
    args = p.parse_args(argv)
    if args.phase and not args.curve:
        print("error: --phase picks the in-training evaluations of --curve; add --curve", file=sys.stderr)
        return 2
    if len(args.run) != len(args.baseline):
        print("error: give as many --baseline files as --run files (paired in order)", file=sys.stderr)
        return 2
    margins, outside = [], 0
    for run_path, base_path in zip(args.run, args.baseline):
        try:
            run, base = load_run(Path(run_path), args.x, args.y), json.loads(Path(base_path).read_text())
            curve = baseline_curve(base, args.x, args.y)  # built once, read by both
            rx, ry, by = margin(run, curve, args.x, args.y)
            rows = training_margins(run, curve, args.x, args.y, args.higher_better, args.phase) if args.curve else []
        except (OSError, ValueError, KeyError) as err:
            why = err.args[0] if isinstance(err, KeyError) and err.args else err  # not a quoted repr
            oracle_axes = (args.x, args.y) == ("nll_test", "nll_oracle")
            hint = ("; the defaults are the oracle's axes: on text results pass --x self_bleu_5 --y bleu_5 "
                    "--higher-better") if isinstance(err, KeyError) and oracle_axes else ""
            print(f"error: {run_path} vs {base_path}: {why}{hint}", file=sys.stderr)
            return 2
        differs = measured_differently(run.get("metrics") or {}, base.get("sweep") or [])
        differs = data_differences(run, base) + differs
        if differs:
            print(f"warning: {Path(run_path).name} and {Path(base_path).name}'s sweep were measured differently "
                  f"({'; '.join(differs)}): the margin mixes two protocols", file=sys.stderr)
        point = f"{Path(run_path).name}: {args.x} {rx:.3f}, {args.y} {ry:.3f}"
        if by is None:  # no margin here, but the other pairs and the in-training rows still print
            outside += 1
            x_range = [p[0] for p in curve]
            print(f"{point}; outside {Path(base_path).name}'s curve ({args.x} {min(x_range):.3f} to "
                  f"{max(x_range):.3f}): no margin; sweep wider temperatures")
        else:
            m = ry - by if args.higher_better else by - ry
            margins.append(m)
            print(f"{point}; {Path(base_path).name} at that {args.x}: {args.y} {by:.3f}; margin {m:+.3f}")
        if args.curve:
            _print_training_margins(rows, args.x, args.y, Path(run_path).name)
    if len(margins) > 1:
        of = f" (of {len(args.run)}; the rest lie outside their baseline's curve)" if outside else ""
        print(f"margin mean ± std over {len(margins)}{of}: {statistics.mean(margins):+.3f} ± "
              f"{statistics.stdev(margins):.3f}")
    return 1 if outside else 0  # a point without a margin is not an error, but scripts should notice


if __name__ == "__main__":
    sys.exit(main())
