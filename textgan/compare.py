"""Comparison CLI: `python -m textgan.compare runs/a runs/b [...] [--metrics nll_test,bleu_5] [--plot F.png]`.

Prints a Markdown table of each run's last evaluation, then every data or evaluation setting on which the
runs differ (numbers measured differently are not comparable); `--plot` draws one metric over training.
Thin: the reading and checking are in `textgan.comparison`.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from textgan.comparison import NOT_USED, differences, plot_curves, shared_metrics, summarize, table
from textgan.data.sources import DATA_SOURCES
from textgan.errors import CliParser, UserError, check_output_file, cli_entry, write_output_file


def build_parser() -> CliParser:
    p = CliParser(prog="python -m textgan.compare",
                  description="Compare trained runs: each one's last evaluation, and whether they were measured alike.")
    p.add_argument("runs", nargs="+", metavar="RUN", help="run directories (runs/<name>)")
    p.add_argument("--metrics", help="comma-separated metrics to show (default: every evaluation metric all the runs "
                                     "measured)")
    p.add_argument("--plot", metavar="FILE.png", help="also draw one metric at every evaluation of every run")
    p.add_argument("--plot-metric", help="the metric --plot draws (default: nll_oracle, else nll_test, else the "
                                         "first shown)")
    p.add_argument("--out", help="write the table to this Markdown file instead of stdout")
    return p


@cli_entry
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.plot:
        check_output_file(args.plot, "--plot", suffix=".png")
    if args.out:
        check_output_file(args.out, "--out")
    resolved = [Path(path).resolve() for path in args.runs]
    first: dict[Path, str] = {}  # a run named twice (runs/a and ./runs/a) is one column, as first written
    for key, path in zip(resolved, args.runs):
        first.setdefault(key, path)
    paths = list(first.values())
    if len(paths) < len(args.runs):
        counts = Counter(resolved)
        repeated = [str(path) for key, path in first.items() if counts[key] > 1]
        print(f"warning: given more than once, shown once: {', '.join(repeated)}", file=sys.stderr)
    runs = [summarize(path) for path in paths]
    measured = list(dict.fromkeys(m for r in runs for m in r.metric_names))
    if args.metrics:
        metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
        unknown = [m for m in metrics if m not in measured]
        if unknown:
            raise UserError(f"no run measured {', '.join(unknown)}; these runs have: {', '.join(measured)}")
    else:
        metrics = shared_metrics(runs) or measured
    plot_metric = args.plot_metric or next((m for m in ("nll_oracle", "nll_test") if m in measured), metrics[0])
    if args.plot and plot_metric not in measured:  # refused before anything is printed or written
        raise UserError(f"--plot-metric {plot_metric}: no run measured it; these runs have: {', '.join(measured)}")
    lines = table(runs, metrics)
    differ = differences(runs)
    if differ:
        # textgan.evaluate scores text runs only: plugged-in sources (the image GANs) evaluate while training
        rescore = ("`python -m textgan.evaluate --run RUN --num N --json OUT` scores every run alike, into files "
                   "of its own; " if not any(r.data in DATA_SOURCES for r in runs) else "")
        lines += ["", "Not measured alike — these settings differ, so the numbers above are not directly comparable "
                      f"(this table reads each run's own evaluations; {rescore}different data cannot be made "
                      "alike):"]
        lines += [f"- {key}: " + ", ".join(f"{r.path} {value if value == NOT_USED else repr(value)}"
                                             for r, value in zip(runs, values))
                  for key, values in differ.items()]
    text = "\n".join(lines) + "\n"
    if args.out:
        write_output_file(args.out, text)
        print(f"wrote the comparison of {len(runs)} run{'s' * (len(runs) != 1)} to {args.out}", file=sys.stderr)
    else:
        print(text, end="")
    if args.plot:
        absent = plot_curves(runs, plot_metric, Path(args.plot))
        print(f"wrote {args.plot} ({plot_metric})", file=sys.stderr)
        if absent:  # a run on other data (text beside the oracle) has no curve of this metric
            print(f"note: the plot leaves out {', '.join(str(r.path) for r in absent)}: no {plot_metric} in its "
                  "evaluations "
                  "(--plot-metric picks another metric)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
