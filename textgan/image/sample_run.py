"""`python -m textgan.sample --run R` for continuous runs: a PNG of samples from the run's checkpoint.

The sample CLI calls this through the algorithm's `sample_cli` capability (samples that are not text);
the networks are rebuilt from the run's config and data exactly as in training.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from textgan.checkpoint import latest_checkpoint, load_checkpoint, load_weights_into, named_checkpoint
from textgan.data.sources import load_data
from textgan.errors import UserError
from textgan.gans.base import TrainContext
from textgan.runs import load_run_config, no_checkpoint_yet


def load_image_run(run: Path, checkpoint: str | Path | None = None):
    """(algorithm with the checkpoint's weights, its data's evaluator, config) of a continuous run."""
    spec, cfg = load_run_config(run)
    root = run / "checkpoints"
    ckpt = named_checkpoint(root, checkpoint) if checkpoint else latest_checkpoint(root)
    if ckpt is None:
        raise no_checkpoint_yet(run)
    data = load_data(cfg.data)
    algorithm = spec.algorithm(TrainContext(cfg, data, torch.device("cpu")))
    weights, _, _ = load_checkpoint(ckpt)
    load_weights_into(algorithm.modules(), weights, ckpt)
    return algorithm, data.make_evaluator(cfg.eval), cfg


def class_index(label: str, num_classes: int) -> int:
    """`--label` of a conditional image run: a class index (a digit, a mixture's mode) in 0..C-1."""
    if not num_classes:
        raise UserError("--label needs a class-conditional run (nets.conditional=true); this run is unconditional")
    if not label.isdigit() or int(label) >= num_classes:
        raise UserError(f"--label '{label}' is not a class of this run: give an index from 0 to {num_classes - 1}")
    return int(label)


def sample_image_run(args: argparse.Namespace) -> int:
    """Write `args.num` samples of the run as a PNG (`--out`, default RUN/samples/sample.png)."""
    text_only = {"--temperature": args.temperature is not None, "--top-k": bool(args.top_k),
                 "--top-p": args.top_p != 1.0,
                 "--infill": args.infill is not None, "--prompt": args.prompt is not None}
    if any(text_only.values()):
        given = [flag for flag, used in text_only.items() if used]
        verb, them = ("applies", "it") if len(given) == 1 else ("apply", "them")
        raise UserError(f"{', '.join(given)} {verb} to text runs only; drop {them} for this run (its samples "
                        "are images)")
    run = Path(args.run)
    out = Path(args.out) if args.out else run / "samples" / "sample.png"
    if out.suffix.lower() != ".png":
        raise UserError(f"--out '{out}' must be a .png file: this run's samples are not text")
    algorithm, evaluator, _ = load_image_run(run, args.checkpoint)
    label = None if args.label is None else class_index(args.label, algorithm.generator.num_classes)
    samples = evaluator.generate(algorithm.generator, num=args.num, seed=args.seed, label=label)
    evaluator.write_images(samples, out, limit=args.num)
    print(f"wrote {args.num} samples to {out}", file=sys.stderr)
    return 0
