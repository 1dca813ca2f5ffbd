"""Sampling CLI: `python -m textgan.sample --run runs/<name> [--num N] [--temperature T] ...`.

Prints decoded sentences (token ids for the synthetic oracle), one per line, or writes them to --out.
Class-conditional runs (cgan_mle, cseqgan, sentigan) take `--label NAME`; without it they sample every
class in turn and print `label<TAB>sentence` lines. `--prompt "a man"` continues the given words
(`textgan.prompt`); `--infill` fills the blanks of a template (in-filling runs).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

import torch

from textgan.cli_threads import add_threads_flag, apply_threads
from textgan.errors import CliParser, UserError, check_output_file, cli_entry, write_output_file
from textgan.runs import load_run, load_run_config
from textgan.sampling import check_sampling_args, sample_chunks


def build_parser() -> argparse.ArgumentParser:
    p = CliParser(prog="python -m textgan.sample", description="Sample from a trained run.")
    p.add_argument("--run", required=True, help="run directory (runs/<name>)")
    p.add_argument("--checkpoint", help="a specific checkpoint: its folder or its name under <run>/checkpoints/ "
                                         "(e.g. step-00000060), or 'best' (the best evaluation kept by "
                                         "train.best_metric); default: the newest intact one")
    p.add_argument("--num", type=int, default=20, help="number of samples (default 20)")
    p.add_argument("--temperature", type=float,
                   help="sampling temperature (default: the run's eval.temperature, the one its metrics were "
                        "measured at; 1 unless its config says otherwise)")
    p.add_argument("--top-k", type=int, default=0, help="keep the k most likely tokens (0 = off)")
    p.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass (1 = off)")
    p.add_argument("--seed", type=int, default=None,
                   help="seed for reproducible samples: the same run, --seed, --num and sampling flags give the "
                        "same output (a different --num draws other samples, not a prefix of these)")
    p.add_argument("--out", help="write to this file instead of stdout")
    p.add_argument("--label", help="class to generate (conditional runs only, e.g. positive)")
    p.add_argument("--infill", metavar="TEMPLATE",
                   help='fill the blanks of a template, one token per ___ (in-filling runs: maskgan, maskmle), '
                        'e.g. "a man riding a ___ down the ___ ."; --num alternatives')
    p.add_argument("--prompt", metavar="TEXT",
                   help='start every sample with these words and let the generator continue them, e.g. '
                        '"a man riding" (split as the run\'s data was; token ids for the synthetic oracle)')
    add_threads_flag(p)
    return p


@cli_entry
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.num < 1:
        raise UserError(f"--num must be >= 1, got {args.num}")
    if args.out:
        check_output_file(args.out, "--out")
    apply_threads(args.threads)
    spec, _ = load_run_config(Path(args.run))
    own = getattr(spec.algorithm, "sample_cli", None)  # models whose samples are not text (image GANs)
    if own is not None:
        return own(args)
    check_sampling_args(1.0 if args.temperature is None else args.temperature, args.top_k, args.top_p)
    run = load_run(args.run, args.checkpoint)
    if args.temperature is None:
        args.temperature = run.cfg.eval.temperature
    if args.infill is not None:
        if args.prompt is not None:
            raise UserError("--prompt and --infill are two ways to give words; use one (an --infill template "
                            "can hold the prompt followed by blanks)")
        if args.label is not None:  # no in-filling model is class-conditional
            raise UserError("--label picks a class of a conditional run; in-filling runs (maskgan, maskmle) have no "
                            "classes: drop --label")
        from textgan.infill import infill_run

        return _emit(args, infill_run(run, args.infill, num=args.num, temperature=args.temperature, top_k=args.top_k,
                                      top_p=args.top_p, seed=args.seed))
    names = run.meta.get("labels")
    if args.label is not None and not names:
        raise UserError(f"run '{args.run}' ({run.spec.name}) is not class-conditional, so --label does not apply; "
                        "train a conditional model (cgan_mle, cseqgan, sentigan) on labelled data")
    prefixes = None
    generator = run.generator
    if names:
        from textgan.conditional_evaluation import label_index

        if args.label is not None:
            generator = generator.bind(label_index(names, args.label))
        else:  # every class in turn, each line tagged with its label
            labels = torch.arange(args.num) % len(names)
            generator, prefixes = generator.bind(labels), [f"{names[i]}\t" for i in labels.tolist()]
    prompt = None
    if args.prompt is not None:
        from textgan.prompt import prompt_ids

        prompt = prompt_ids(run, args.prompt)
    # drawn and written a chunk at a time: a large --num streams out instead of waiting in memory
    chunks = sample_chunks(generator, args.num, run.seq_len, temperature=args.temperature, top_k=args.top_k,
                           top_p=args.top_p, eos_id=run.vocab.eos_id, pad_id=run.vocab.pad_id, seed=args.seed,
                           batch_size=args.num if prefixes else 2000, prefix=prompt)
    rows = (row for chunk in chunks for row in chunk.tolist())
    lines = ((prefixes[i] if prefixes else "") + run.vocab.decode(row) for i, row in enumerate(rows))
    return _emit(args, lines)


def _emit(args: argparse.Namespace, lines: Iterable[str]) -> int:
    """Print the lines as they come, or write them to --out (atomically: `write_output_file`)."""
    if not args.out:
        for line in lines:
            print(line)
        return 0
    count = write_output_file(args.out, lines)
    print(f"wrote {count} samples to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
