"""Evaluation CLI: score a trained run or a file of samples with the protocol's metrics (docs/evaluation.md).

    python -m textgan.evaluate --run runs/<name> [--metrics bleu,self_bleu,nll,sacrebleu,fed]
                               [--num N] [--temperatures 0.7,1.0,1.5 | protocol] [--json FILE] [--plot F.png]
    python -m textgan.evaluate --samples FILE [--references FILE] [--metrics bleu,self_bleu]

With --run: samples N sequences (default: the run's eval.num_samples) and scores them against the
run's test set (and oracle). With --samples: one sample a line, whitespace-tokenised for BLEU,
as-is for sacreBLEU / FED. Thin by design: the work is in `textgan.metrics`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from textgan.cli_threads import add_threads_flag, apply_threads
from textgan.errors import CliParser, UserError, check_output_file, cli_entry, write_output_file
from textgan.metrics.suite import METRICS, Sentences, parse_metrics, protocol_knobs, score_texts
from textgan.metrics.sweep import DEFAULT_TEMPERATURES


def build_parser() -> argparse.ArgumentParser:
    p = CliParser(prog="python -m textgan.evaluate", description="Score a run or a sample file.")
    src = p.add_argument_group("what to score (exactly one)")
    src.add_argument("--run", help="run directory (runs/<name>): sample from its newest checkpoint")
    src.add_argument("--samples", help="text file, one generated sample a line")
    p.add_argument("--references", help="text file of references, one a line (with --samples)")
    p.add_argument("--checkpoint", help="a specific checkpoint of --run: its folder or its name under "
                                         "<run>/checkpoints/ (e.g. step-00000060), or 'best' (kept by "
                                         "train.best_metric)")
    p.add_argument("--metrics", help=f"comma-separated subset of {','.join(METRICS)} "
                                     "(default: --run: bleu,self_bleu,nll,sacrebleu for text with a test set, "
                                     "self_bleu without one, nll for the oracle; --samples: bleu,self_bleu with "
                                     "--references, else self_bleu)")
    p.add_argument("--num", type=int, help="samples to draw (default: the run's eval.num_samples)")
    p.add_argument("--temperatures", help="sweep: comma-separated temperatures, or 'protocol' for "
                                          f"{','.join(map(str, DEFAULT_TEMPERATURES))} (default: one "
                                          "evaluation at the run's eval.temperature, as in training)")
    p.add_argument("--max-n", type=int, default=5, help="BLEU-2..max-n (default 5)")
    p.add_argument("--data-dir", help="data root (default: $TEXTGAN_DATA_DIR, else ./data)")
    p.add_argument("--json", help="also write the results to this JSON file")
    p.add_argument("--plot", metavar="FILE.png", help="with --temperatures (a run): also draw the sweep's "
                                                       "quality against its diversity, one point per temperature")
    p.add_argument("--seed", type=int, help="sampling seed (default: the run's eval.seed)")
    add_threads_flag(p)
    p.add_argument("--infill", action="store_true",
                   help="score in-filling (runs of maskgan / maskmle): mask the first --num test sentences (default "
                        "1000) with the run's masking scheme and seed --seed (default: the run's mask.eval_seed), "
                        "fill them, report BLEU / self-BLEU of the fillings and %% unique n-grams of the filled spans")
    return p


def parse_temperatures(spec: str) -> list[float]:
    if spec.strip() == "protocol":
        return list(DEFAULT_TEMPERATURES)
    try:
        temps = [float(t) for t in spec.split(",") if t.strip()]
    except ValueError:
        raise UserError(f"--temperatures must be numbers separated by commas (or 'protocol'), got {spec!r}") from None
    if not temps or any(not t > 0 for t in temps):
        raise UserError(f"--temperatures must all be > 0, got {spec!r}")
    return temps


def read_lines(path: str, what: str, keep_blank: bool) -> list[str]:
    """The lines of a samples or references file, read as the training data's files are (a byte-order mark
    dropped; lines end at \\n, \\r\\n or \\r only). A blank sample line is an empty generation (what
    `textgan.sample` writes for one) and is kept (`keep_blank`); a blank reference is no reference."""
    from textgan.data.text import nul_bytes_kind, split_lines

    p = Path(path)
    if p.is_dir():
        raise UserError(f"{what} file '{p}' is a directory; give the text file inside it")
    if not p.is_file():
        raise UserError(f"{what} file '{p}' not found")
    raw = p.read_bytes()
    kind = nul_bytes_kind(raw)  # as the training data's reader, before decoding
    if kind is not None:
        if kind == "utf-16":
            raise UserError(f"{what} file '{p}' is UTF-16 text; convert it (e.g. iconv -f utf-16 -t utf-8 "
                            f"{p.name} > {p.stem}.utf8{p.suffix}) and pass the converted file")
        raise UserError(f"{what} file '{p}' looks binary (it contains NUL bytes); give a text file, one sentence "
                        "a line")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{what} file '{p}' is not UTF-8 text; convert it (e.g. iconv -f latin1 -t utf-8 "
                        f"{p.name} > {p.stem}.utf8{p.suffix}) and pass the converted file") from None
    lines = split_lines(text)
    if lines and lines[-1] == "":  # the terminator of the last line, not a line
        lines.pop()
    if not any(lines):
        raise UserError(f"{what} file '{p}' is empty")
    return lines if keep_blank else [line for line in lines if line]


def check_unlabelled(lines: list[str], what: str, path: str) -> None:
    """Refuse a file of `label<TAB>sentence` lines (a class-conditional run's samples, a labelled corpus): split
    on whitespace, its labels would be scored as words, raising self-BLEU and lowering BLEU, silently. Told by
    most lines having a one-word field before a tab (an empty generation is written `label<TAB>`, which reads
    back as the label alone); a tab now and then inside sentences is whitespace like any other."""
    nonblank = [line for line in lines if line]
    tabbed = [line for line in nonblank if "\t" in line and " " not in line.split("\t", 1)[0]]
    labels = {line.split("\t", 1)[0] for line in tabbed}
    bare = [line for line in nonblank if line in labels]  # an empty generation: the label alone
    if tabbed and (len(tabbed) + len(bare)) * 2 > len(nonblank):
        raise UserError(f"{what} file '{path}' holds label<TAB>sentence lines (a class-conditional run's samples or "
                        f"a labelled corpus), whose labels would be scored as words; pass the sentences alone "
                        f"(cut -f2- {path}), or score a conditional run per class with --run")


def evaluate_files(args: argparse.Namespace, metrics: list[str]) -> dict[str, Any]:
    if args.temperatures or args.num or args.checkpoint or args.seed is not None:
        raise UserError("--temperatures, --num, --checkpoint and --seed need --run (a file's samples are fixed)")
    if "nll" in metrics:
        raise UserError("nll needs a model: use --run (a sample file has no likelihoods)")
    samples = read_lines(args.samples, "samples", keep_blank=True)
    refs = read_lines(args.references, "references", keep_blank=False) if args.references else None
    if refs is None and any(m in metrics for m in ("bleu", "sacrebleu", "fed")):
        wanted = ", ".join(m for m in metrics if m in ("bleu", "sacrebleu", "fed"))
        verb = "needs" if "," not in wanted else "need"
        raise UserError(f"{wanted} {verb} references: pass --references FILE (self_bleu works without)")
    check_unlabelled(samples, "samples", args.samples)
    if refs is not None:
        check_unlabelled(refs, "references", args.references)
    hyps = Sentences([line.split() for line in samples], samples)
    ref_set = Sentences([line.split() for line in refs], refs) if refs is not None else None
    entry: dict[str, Any] = {"n_samples": len(samples), "n_references": len(refs) if refs is not None else None}
    entry.update(score_texts(metrics, hyps, ref_set, args.max_n))
    entry["protocol"] = protocol_knobs(metrics, len(samples), entry["n_references"], args.max_n,
                                       detokenised=False, samples_file=args.samples,
                                       references_file=args.references, tokenization="whitespace")
    return entry


def check_text_run(run_path: Path, tool: str = "textgan.evaluate") -> None:
    """Refuse a run of a plugged-in non-text source (the image GANs), which is evaluated while it trains; its
    vocabulary-less run directory would otherwise fail with a message that it is no textgan run at all."""
    from textgan.data.sources import DATA_SOURCES
    from textgan.runs import load_run_config

    spec, cfg = load_run_config(run_path)
    if cfg.data.name in DATA_SOURCES:
        raise UserError(f"run '{run_path}' ({spec.name} on {cfg.data.name}) is not a text run: its metrics are in "
                        "metrics.jsonl (one line per evaluation) and `python -m textgan.sample --run RUN` writes a "
                        f"sample grid; {tool} scores text runs")


def evaluate_run(args: argparse.Namespace, metrics: list[str] | None) -> dict[str, Any]:
    from textgan.data.sources import load_data
    from textgan.metrics.sweep import default_metrics, evaluate_generator, temperature_sweep
    from textgan.runs import git_sha, load_run

    if args.references:
        raise UserError("--references is for --samples; a run is scored against its own test set")
    check_text_run(Path(args.run))
    run = load_run(args.run, args.checkpoint)
    data = load_data(run.cfg.data, args.data_dir, run.vocab)  # load_run found its relative paths
    metrics = metrics or default_metrics(data)
    num = args.num or run.cfg.eval.num_samples
    seed = run.cfg.eval.seed if args.seed is None else args.seed
    # NLL-test over the run's eval.num_test sequences, as its in-training evaluations (0 = all)
    common = {"num_samples": num, "seed": seed, "max_n": args.max_n, "num_test": run.cfg.eval.num_test}
    head = {"run": str(run.path), "model": run.spec.name, "data": data.name, "checkpoint_step": run.meta.get("step"),
            "git_sha": git_sha()}
    if hasattr(run.generator, "bind"):  # class-conditional: the per-class protocol
        from textgan.conditional_evaluation import evaluate_conditional

        if args.temperatures or args.metrics:
            raise UserError("a class-conditional run is scored with the per-class protocol; drop --temperatures "
                            "and --metrics")
        return {**head, **evaluate_conditional(run.generator, data, run.cfg.eval, num, seed, args.max_n)}
    if args.temperatures:
        if args.plot:
            from textgan.metrics.sweep_plot import check_plot_metrics

            check_plot_metrics(metrics, on_oracle=data.oracle is not None)  # now that the data is known
        sweep = temperature_sweep(run.generator, data, parse_temperatures(args.temperatures), metrics, **common)
        return {**head, "metrics": metrics, "sweep": sweep}
    # the run's own evaluation temperature (1 unless its config says otherwise): the numbers then match the
    # last line of its metrics.jsonl for the same checkpoint, samples and seed
    return {**head, **evaluate_generator(run.generator, data, metrics, temperature=run.cfg.eval.temperature,
                                         **common)}


def format_table(entries: list[dict[str, Any]]) -> str:
    """Rows = metrics, one column per entry (temperature)."""
    rows: list[tuple[str, list[str]]] = []

    def add(name: str, key: str, sub: str | None = None) -> None:
        vals = [e.get(key, {}).get(sub) if sub else e.get(key) for e in entries]
        if any(v is not None for v in vals):
            rows.append((name, ["-" if v is None else f"{v:.4f}" for v in vals]))

    add("nll_oracle", "nll_oracle")
    add("nll_test", "nll_test")
    for key in ("bleu", "self_bleu"):
        for n in sorted({int(k) for e in entries for k in e.get(key, {})}):
            add(f"{key}_{n}", key, str(n))
    add("sacrebleu", "sacrebleu")
    add("fed", "fed")
    head = ["metric"] + [f"T={e['temperature']:g}" if e.get("temperature") is not None else "value" for e in entries]
    width = max([len(head[0])] + [len(r[0]) for r in rows])
    lines = ["  ".join([head[0].ljust(width)] + [h.rjust(9) for h in head[1:]])]
    lines += ["  ".join([name.ljust(width)] + [v.rjust(9) for v in vals]) for name, vals in rows]
    n = entries[0]
    lines.append(f"({n['n_samples']} samples, {n['n_references'] or 0} references)")
    return "\n".join(lines)


@cli_entry
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.json:
        check_output_file(args.json, "--json")  # before the metrics, which can take minutes
    if args.plot:
        if not (args.run and args.temperatures):
            raise UserError("--plot draws a run's temperature sweep; give --run and --temperatures (e.g. protocol)")
        check_output_file(args.plot, "--plot", suffix=".png")
    if bool(args.run) == bool(args.samples):
        raise UserError("give exactly one of --run RUN_DIR or --samples FILE")
    if args.max_n < 2:
        raise UserError(f"--max-n must be >= 2, got {args.max_n}")
    if args.num is not None and args.num < 1:
        raise UserError(f"--num must be >= 1, got {args.num}")
    apply_threads(args.threads)
    metrics = parse_metrics(args.metrics) if args.metrics is not None else None
    if args.plot:
        from textgan.metrics.sweep_plot import check_plot_metrics

        check_plot_metrics(metrics)  # before the sweep, which can take minutes
    if args.infill:
        from textgan.metrics.infill import evaluate_infill_args, format_infill_table

        result = evaluate_infill_args(args)
        print(format_infill_table(result))
    elif args.samples:
        default = ["bleu", "self_bleu"] if args.references else ["self_bleu"]
        result = evaluate_files(args, metrics or default)
        print(format_table([result]))
    else:
        result = evaluate_run(args, metrics)
        if "per_class" in result:  # a conditional run: one metric a line
            print("\n".join(f"{k:<28} {v:.4f}" for k, v in result["per_class"].items()))
        else:
            print(format_table(result.get("sweep", [result])))
        if args.plot and "sweep" in result:
            from textgan.metrics.sweep_plot import plot_sweep

            title = f"{result['model']} on {result['data']}, step {result['checkpoint_step']}"
            print(f"wrote {plot_sweep(result['sweep'], Path(args.plot), title, args.max_n)}", file=sys.stderr)
    if args.json:
        write_output_file(args.json, json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
