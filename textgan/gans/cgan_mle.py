"""Conditional MLE baseline: a class-conditional generator p(x | y) trained by teacher forcing alone.

The conditional counterpart of the MLE baseline (SeqGAN, Yu et al. 2017, arXiv 1609.05473), with the
label fed to the generator as in CGAN (Mirza & Osindero 2014, arXiv 1411.1784): the reference every
conditional GAN (`cseqgan`, `sentigan`) must beat on class accuracy, BLEU and self-BLEU per class.
"""

from __future__ import annotations

import torch
from torch import nn

from textgan.gans.base import Phase, TrainContext
from textgan.gans.conditional import build_conditional_g, conditional_mle_epoch, labels_of


class ConditionalMLE:
    def __init__(self, ctx: TrainContext) -> None:
        self.ctx = ctx
        self.cfg = ctx.cfg.mle
        self.labels = labels_of(ctx)
        self.generator = build_conditional_g(ctx)
        self.optimizer = torch.optim.Adam(self.generator.parameters(), lr=self.cfg.lr)

    def modules(self) -> dict[str, nn.Module]:
        return {"generator": self.generator}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.optimizer}

    def mle_iteration(self, epoch: int) -> dict[str, float]:
        return conditional_mle_epoch(self.generator, self.optimizer, self.ctx.data.train, self.labels.train,
                                     self.cfg.batch_size, self.cfg.grad_clip, self.ctx.device)

    def phases(self) -> list[Phase]:
        return [Phase("mle", self.cfg.epochs, self.mle_iteration, unit="epoch", budget_key="mle.epochs")]
