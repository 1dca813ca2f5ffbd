"""Shared pieces of the conditional models (CGAN, Mirza & Osindero 2014, arXiv 1411.1784).

- `ConditionalConfig`: the `conditional` config section — how the generator and the discriminator take
  the label (see `textgan/nn/conditional_generator.py` and `conditional_discriminator.py`).
- `labels_of(ctx)`: the data's labels, or a one-line error when the data has none.
- `build_conditional_g` / `build_conditional_d`: the networks of a run, from its config.
- `labelled_batches` / `conditional_mle_epoch`: teacher-forced MLE of p(x | y), reusing `mle_loss`
  through a label-bound view of the generator.
- `draw_labels`: class ids for generated batches (uniform over classes: every class is trained equally,
  whatever the class balance of the data).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

from textgan.config import param
from textgan.data.corpus import Corpus
from textgan.data.labelled import LabelSet
from textgan.data.labels import LABELLED_DATA_HINT
from textgan.errors import UserError
from textgan.gans.base import TrainContext
from textgan.gans.mle import mle_loss, supervised_epoch
from textgan.nn import build_discriminator
from textgan.nn.conditional_discriminator import MODES, ConditionalDiscriminator
from textgan.nn.conditional_generator import build_conditional_generator


@dataclass
class ConditionalConfig:
    generator: str = param("prefix", choices=["prefix", "per_class"],
                           help="'prefix': one generator reading a label-embedding prefix; 'per_class': one "
                                "generator per class (SentiGAN's mixture)")
    discriminator: str = param("cgan", choices=list(MODES),
                               help="'cgan': label as D input; 'aux': extra class head (AC-GAN's); "
                                    "'multiclass': (K+1)-way softmax (SentiGAN)")
    label_dim: int = param(16, min=1, help="label embedding size of the cgan discriminator")
    hidden_dim: int = param(64, min=1, help="hidden layer mixing text features and label (cgan discriminator)")


def labels_of(ctx: TrainContext) -> LabelSet:
    if ctx.data.labels is None:
        raise UserError(f"model '{ctx.cfg.model}' is conditional and needs labelled data; {LABELLED_DATA_HINT}")
    return ctx.data.labels


def build_conditional_g(ctx: TrainContext) -> nn.Module:
    vocab = ctx.data.vocab
    return build_conditional_generator(ctx.cfg.conditional.generator, ctx.cfg.generator, vocab.size,
                                       vocab.bos_id, labels_of(ctx).num_classes).to(ctx.device)


def build_conditional_d(ctx: TrainContext) -> ConditionalDiscriminator:
    cond, dcfg = ctx.cfg.conditional, ctx.cfg.discriminator
    body = build_discriminator(dcfg, ctx.data.vocab.size)
    return ConditionalDiscriminator(body, labels_of(ctx).num_classes, cond.discriminator, cond.label_dim,
                                    cond.hidden_dim, dcfg.dropout).to(ctx.device)


def labelled_batches(corpus: Corpus, labels: torch.Tensor, batch_size: int
                     ) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Shuffled (tokens (b, T), lengths (b,), labels (b,)) mini-batches; draws from torch's global RNG."""
    order = torch.randperm(len(corpus))
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        yield corpus.tokens[idx], corpus.lengths[idx], labels[idx]


def conditional_mle_epoch(generator: nn.Module, optimizer: torch.optim.Optimizer, corpus: Corpus,
                          labels: torch.Tensor, batch_size: int, grad_clip: float,
                          device: torch.device, model: nn.Module | None = None) -> dict[str, float]:
    """One teacher-forced pass over a labelled corpus: mean NLL of x given its label.

    `model`: what the forward pass runs through when not `generator` (its DDP wrapper, as `mle_epoch`).
    """
    generator.train()
    losses = (mle_loss(generator.bind(y.to(device), model), tokens.to(device), lengths.to(device))
              for tokens, lengths, y in labelled_batches(corpus, labels, batch_size))
    return supervised_epoch(losses, optimizer, generator.parameters(), grad_clip)


def draw_labels(num: int, num_classes: int, device: torch.device) -> torch.Tensor:
    """Class ids (num,): balanced (each class num / K times, remainder random), in random order."""
    labels = torch.arange(num, device=device) % num_classes
    return labels[torch.randperm(num, device=device)]
