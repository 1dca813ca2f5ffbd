"""Conditional SeqGAN: SeqGAN (Yu et al. 2017, arXiv 1609.05473) with a class-conditional G and D.

The label y is given to both networks, as in CGAN (Mirza & Osindero 2014, arXiv 1411.1784): G models
p(x | y) (`conditional.generator`), D scores "x is a real sentence of class y" (`conditional.discriminator`:
label input, or an auxiliary class head). Everything else is SeqGAN's, reused from `textgan/gans/seqgan.py`
rather than copied — the phases, the adversarial round, the REINFORCE loss and the rollout-network update.
This class overrides only SeqGAN's hooks:
- `mle_iteration`: teacher forcing of p(x | y) on the labelled training set;
- `generator_step`: draws a balanced batch of labels, then runs SeqGAN's own step with G and the rollout
  network bound to those labels (`bind(labels)` gives the unconditional protocol), so sampling, the
  policy-gradient loss and the class-conditional rollouts are SeqGAN's code;
- `rewards`: SeqGAN's Monte Carlo rewards, each completion scored by D *given the row's label*;
- `train_discriminator`: fresh negatives of every class against real (x, y) pairs, D's mode-specific loss
  on outputs computed through `d_train` (under torchrun, its DDP wrapper averages D's gradients).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch

from textgan.gans.base import TrainContext
from textgan.gans.conditional import (
    build_conditional_d,
    build_conditional_g,
    conditional_mle_epoch,
    draw_labels,
    labels_of,
)
from textgan.gans.seqgan import SeqGAN
from textgan.rollout import eos_mask, rollout_rewards
from textgan.sampling import sample


def class_score(discriminator: torch.nn.Module, labels: torch.Tensor, seq_len: int, rollouts: int,
                chunk_rows: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """Score function for `rollout_rewards`: its rows are every completion (B, T-1, R) then the B samples."""
    row_labels = torch.cat([labels.repeat_interleave(max(seq_len - 1, 0) * rollouts), labels])  # (N,)

    def score(tokens: torch.Tensor) -> torch.Tensor:
        was_training = discriminator.training
        discriminator.eval()
        probs = torch.cat([torch.sigmoid(discriminator(tokens[s:s + chunk_rows], row_labels[s:s + chunk_rows]))
                           for s in range(0, len(tokens), chunk_rows)])
        discriminator.train(was_training)
        return probs                                                       # (N,) P(real sentence of class y)

    return score


class ConditionalSeqGAN(SeqGAN):
    def __init__(self, ctx: TrainContext) -> None:
        super().__init__(ctx)  # SeqGAN's attributes; its unconditional networks are replaced below
        self.labels = labels_of(ctx)
        self.generator = build_conditional_g(ctx)
        self.rollout = copy.deepcopy(self.generator).requires_grad_(False)
        self.discriminator = build_conditional_d(ctx)
        self.g_optimizer = torch.optim.Adam(self.generator.parameters(), lr=ctx.cfg.mle.lr)
        self.g_adv_optimizer = torch.optim.Adam(self.generator.parameters(), lr=self.adv.g_lr)
        self.d_optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=ctx.cfg.discriminator.lr)
        self.g_train, self.d_train = ctx.ddp(self.generator), ctx.ddp(self.discriminator)
        self._step_labels: torch.Tensor | None = None

    def mle_iteration(self, epoch: int) -> dict[str, float]:
        mle = self.ctx.cfg.mle
        return conditional_mle_epoch(self.generator, self.g_optimizer, self.ctx.data.train, self.labels.train,
                                     mle.batch_size, mle.grad_clip, self.ctx.device, model=self.g_train)

    def generator_step(self) -> dict[str, float]:
        """SeqGAN's REINFORCE step, with G and the rollout policy bound to a fresh balanced batch of labels."""
        labels = draw_labels(self.adv.batch_size, self.labels.num_classes, self.ctx.device)
        generator, rollout, g_train = self.generator, self.rollout, self.g_train
        self._step_labels = labels
        self.generator, self.rollout = generator.bind(labels), rollout.bind(labels)
        self.g_train = generator.bind(labels, g_train)
        try:
            return super().generator_step()
        finally:
            self.generator, self.rollout, self.g_train, self._step_labels = generator, rollout, g_train, None

    def rewards(self, samples: torch.Tensor, states: tuple[torch.Tensor, ...] | None
                ) -> tuple[torch.Tensor, dict[str, float]]:
        """Class-conditional Monte Carlo rewards (B, T): mean over rollouts of D(completion | row's label)."""
        policy = self.generator if self.adv.rollout_update_rate == 0.0 else self.rollout   # label-bound views
        score = class_score(self.discriminator, self._step_labels, samples.shape[1], self.adv.rollouts,
                            self.adv.d_chunk_rows)
        rewards = rollout_rewards(policy, None, samples, rollouts=self.adv.rollouts, states=states,
                                  eos_id=self.eos_id, pad_id=self.pad_id, chunk_rows=self.adv.rollout_chunk_rows,
                                  score=score)
        mask = eos_mask(samples, self.eos_id)
        return rewards, {"reward": float(rewards.sum() / mask.sum()), "d_gen": float(rewards[:, -1].mean())}

    def train_discriminator(self, epochs: int) -> dict[str, float]:
        """Fresh negatives of every class vs real labelled sentences; `epochs` epochs of D's conditional loss."""
        data, dev, n = self.ctx.data.train, self.ctx.device, self.adv.num_negatives
        fake_labels = draw_labels(n, self.labels.num_classes, dev)
        fake = sample(self.generator.bind(fake_labels), n, self.seq_len, batch_size=n, eos_id=self.eos_id,
                      pad_id=self.pad_id)
        real_rows = torch.randperm(len(data))[:n]
        tokens = torch.cat([data.tokens[real_rows], fake]).to(dev)                              # (N, T)
        labels = torch.cat([self.labels.train[real_rows].to(dev), fake_labels])                  # (N,)
        is_real = torch.cat([torch.ones(len(real_rows), dtype=torch.bool), torch.zeros(n, dtype=torch.bool)]).to(dev)
        disc, d_train, batch_size = self.discriminator, self.d_train, self.ctx.cfg.discriminator.batch_size
        disc.train()
        for _ in range(epochs):
            order = torch.randperm(len(tokens), device=dev)
            total = torch.zeros((), dtype=torch.float64, device=dev)
            correct = torch.zeros((), dtype=torch.long, device=dev)
            for start in range(0, len(order), batch_size):
                idx = order[start:start + batch_size]
                loss, right = disc.loss(d_train(tokens[idx], labels[idx], raw=True), labels[idx], is_real[idx])
                self.d_optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.d_optimizer.step()
                total += loss.detach().double() * len(idx)
                correct += right
        return {"d_loss": float(total) / len(tokens), "d_acc": float(correct) / len(tokens)}
