"""Maximum-likelihood training (teacher forcing): the MLE baseline and every GAN's pretraining phase.

`mle_loss` / `mle_epoch` are the shared pieces that adversarial models reuse for their generator
pretraining (SeqGAN, Yu et al. 2017; RelGAN, Nie et al. 2019, all pretrain this way). `MLE` is the
baseline algorithm: a single phase of `mle.epochs` epochs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from textgan.config import param
from textgan.data.corpus import Corpus
from textgan.gans.base import Phase, TrainContext
from textgan.nn import build_generator


@dataclass
class MLEConfig:
    epochs: int = param(30, min=0, help="MLE epochs over the training corpus")
    lr: float = param(0.01, min=0.0, min_exclusive=True, help="Adam learning rate (SeqGAN: 0.01)")
    grad_clip: float = param(5.0, min=0.0, help="global gradient-norm clip (0 = off; SeqGAN: 5.0)")
    batch_size: int = param(64, min=1, help="sequences per MLE step (SeqGAN: 64)")


def mle_loss(generator: nn.Module, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Mean NLL per real token (and EOS) of a batch under teacher forcing; padding is ignored."""
    logits = generator(tokens)                                   # (B, T, V)
    mask = torch.arange(tokens.shape[1], device=tokens.device)[None, :] < lengths[:, None]
    targets = tokens.masked_fill(~mask, -100)                    # -100 = ignore_index
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)


def supervised_epoch(batch_losses: Iterable[torch.Tensor], optimizer: torch.optim.Optimizer,
                     params: Iterable[nn.Parameter], grad_clip: float) -> dict[str, float]:
    """Run one optimiser step per loss of `batch_losses` (a generator computing each batch's loss lazily):
    backward, gradient-norm clip of `params` (0 = off), step. Returns the mean loss as `mle_loss`.

    The loop every teacher-forced pretraining shares (MLE, conditional MLE, MaskGAN's MaskMLE); the callers
    differ only in how a batch becomes a loss.
    """
    params = list(params)
    total, batches = torch.zeros((), dtype=torch.float64), 0
    for loss in batch_losses:
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(params, grad_clip)
        optimizer.step()
        # not in place: the sum moves to the loss's device, so no .cpu() / .item() waits for a GPU every batch
        total = total + loss.detach().double()
        batches += 1
    return {"mle_loss": float(total) / max(batches, 1)}


def mle_epoch(generator: nn.Module, optimizer: torch.optim.Optimizer, corpus: Corpus, batch_size: int,
              grad_clip: float, device: torch.device, model: nn.Module | None = None) -> dict[str, float]:
    """One pass of teacher-forced training over `corpus`; returns the mean training loss.

    `model`: what the forward pass runs through, when not `generator` itself (its DDP wrapper under torchrun,
    `ctx.ddp(generator)`, which averages the gradients across processes).
    """
    generator.train()
    losses = (mle_loss(model or generator, tokens.to(device), lengths.to(device))
              for tokens, lengths in corpus.batches(batch_size, shuffle=True))
    return supervised_epoch(losses, optimizer, generator.parameters(), grad_clip)


class MLE:
    """The maximum-likelihood baseline: the generator trained by teacher forcing alone."""

    def __init__(self, ctx: TrainContext) -> None:
        self.ctx = ctx
        self.cfg = ctx.cfg.mle
        vocab = ctx.data.vocab
        self.generator = build_generator(ctx.cfg.generator, vocab.size, vocab.bos_id).to(ctx.device)
        self.optimizer = torch.optim.Adam(self.generator.parameters(), lr=self.cfg.lr)
        self.train_generator = ctx.ddp(self.generator)  # the generator itself in a single process

    def modules(self) -> dict[str, nn.Module]:
        return {"generator": self.generator}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.optimizer}

    def mle_iteration(self, epoch: int) -> dict[str, float]:
        return mle_epoch(self.generator, self.optimizer, self.ctx.data.train, self.cfg.batch_size,
                         self.cfg.grad_clip, self.ctx.device, model=self.train_generator)

    def phases(self) -> list[Phase]:
        return [Phase("mle", self.cfg.epochs, self.mle_iteration, unit="epoch", budget_key="mle.epochs")]
