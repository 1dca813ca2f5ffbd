"""The adversarial Gumbel-softmax phase shared by GSGAN and RelGAN: G's relaxed one-hots go straight into D.

GSGAN (Kusner & Hernandez-Lobato 2016, arXiv 1611.04051) and RelGAN (Nie et al., ICLR 2019) train the
same way once G can emit differentiable "soft" sequences (`textgan/gumbel.py`); they differ in networks,
loss and defaults, which are config. Phases (through the shared loop):

1. `mle` — teacher-forced pretraining of G (`mle_epoch`; RelGAN: 150 epochs, Adam 1e-2, clip 5).
2. `adversarial` — one iteration is one adversarial step (RelGAN's training loop):
   `g_steps` generator updates, then `d_steps` discriminator updates, each on a fresh random batch of
   real sequences and a fresh Gumbel-softmax batch from G at the step's inverse temperature beta
   (`beta_schedule`: RelGAN's schedules up to `beta_max` over `temperature_steps`). Losses come by name
   from `textgan/losses.py` (`adversarial.loss`); D may add a gradient penalty (`adversarial.penalty`:
   WGAN-GP at interpolates of real and soft fake one-hots, or DRAGAN around real one-hots).
   Both updates clip the gradient norm at `grad_clip` (RelGAN: 5.0); Adam with betas (0.9, 0.999) and
   RelGAN's learning rates (`adversarial.g_lr` 1e-4, `discriminator.lr` 1e-4). D's batches are
   `adversarial.batch_size` (`discriminator.batch_size` is the policy-gradient models' key, unused here).

Real sequences are fed to D as token ids (B, T), which D embeds exactly as their one-hots (B, T, V);
the penalties build the one-hots. A discriminator may expose
`logits_per_representation` (RelGAN's multi-representation D): the loss then treats each
(sequence, representation) logit as a sample, as RelGAN's code does; otherwise its (B,) logits are used.

Resume: beta is a pure function of the adversarial step index, which the loop restores, and the Gumbel
noise and real batches come from the global torch RNG, which the checkpoint restores, so a resumed run
repeats the uninterrupted one bit for bit. Raising `adversarial.steps` on resume stretches the rest of
the schedule unless `temperature_steps` fixes its horizon.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from textgan.config import param
from textgan.gans.base import Phase, TrainContext
from textgan.gans.mle import mle_epoch
from textgan.gumbel import SCHEDULES, beta_schedule, gumbel_decode
from textgan.losses import GAN_LOSSES, dragan_penalty, get_gan_loss, wgan_gradient_penalty
from textgan.nn import build_discriminator, build_generator


@dataclass
class GumbelAdversarialConfig:
    """The `adversarial` section of the Gumbel-softmax GANs (defaults: RelGAN's, quick step budget)."""

    steps: int = param(200, min=0, help="adversarial steps (RelGAN: 3000 on the oracle, 2000 on COCO)")
    g_steps: int = param(1, min=0, help="generator updates per step (RelGAN: 1)")
    d_steps: int = param(5, min=0, help="discriminator updates per step (RelGAN: 5)")
    batch_size: int = param(64, min=1, help="real and generated sequences per update (RelGAN: 64)")
    loss: str = param("rsgan", choices=list(GAN_LOSSES), help="GAN loss from textgan/losses.py (RelGAN: rsgan)")
    penalty: str = param("none", choices=["none", "wgan_gp", "dragan"],
                         help="gradient penalty added to D's loss (textgan/losses.py)")
    penalty_weight: float = param(10.0, min=0.0, help="weight of the gradient penalty")
    g_lr: float = param(1e-4, min=0.0, min_exclusive=True, help="Adam lr of adversarial G updates (RelGAN: 1e-4)")
    grad_clip: float = param(5.0, min=0.0, help="gradient-norm clip of G and D updates (0 = off; RelGAN: 5.0)")
    beta_max: float = param(100.0, min=1.0, help="final inverse temperature beta = 1 / tau (RelGAN: 100 or 1000)")
    temperature_schedule: str = param("exp", choices=list(SCHEDULES),
                                      help="how beta rises from 1 to beta_max (RelGAN's --adapt; 'exp' in its runs)")
    temperature_steps: int = param(0, min=0, help="schedule horizon in steps (0 = adversarial.steps; "
                                                  "RelGAN's code: 5000)")
    straight_through: bool = param(False, help="D reads one_hot(token) forward, soft gradients backward")
    feedback: str = param("hard", choices=["soft", "hard"],
                          help="next input of G: 'hard' = the sampled token (RelGAN's code), 'soft' = the "
                               "relaxed one-hot (GSGAN)")
    eval_every: int = param(100, min=1, help="evaluate (and checkpoint) every N adversarial steps")


class GumbelGAN:
    """MLE pretraining, then adversarial Gumbel-softmax training; GSGAN and RelGAN are configurations of it."""

    def __init__(self, ctx: TrainContext) -> None:
        self.ctx = ctx
        cfg = ctx.cfg
        self.adv: GumbelAdversarialConfig = cfg.adversarial
        vocab = ctx.data.vocab
        self.eos_id, self.pad_id, self.vocab_size = vocab.eos_id, vocab.pad_id, vocab.size
        self.seq_len = ctx.data.seq_len
        self.d_loss_fn, self.g_loss_fn = get_gan_loss(self.adv.loss, "adversarial.loss")
        self.generator = build_generator(cfg.generator, vocab.size, vocab.bos_id).to(ctx.device)
        self.discriminator = build_discriminator(cfg.discriminator, vocab.size).to(ctx.device)
        self.g_optimizer = torch.optim.Adam(self.generator.parameters(), lr=cfg.mle.lr)
        betas = (0.9, 0.999)  # RelGAN's Adam (TensorFlow's defaults)
        self.g_adv_optimizer = torch.optim.Adam(self.generator.parameters(), lr=self.adv.g_lr, betas=betas)
        self.d_optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=cfg.discriminator.lr, betas=betas)

    def modules(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "discriminator": self.discriminator}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.g_optimizer, "generator_adv": self.g_adv_optimizer,
                "discriminator": self.d_optimizer}

    def phases(self) -> list[Phase]:
        return [Phase("mle", self.ctx.cfg.mle.epochs, self.mle_iteration, unit="epoch", budget_key="mle.epochs"),
                Phase("adversarial", self.adv.steps, self.adversarial_step, unit="step",
                      eval_every=self.adv.eval_every, budget_key="adversarial.steps")]

    # -- phases ----------------------------------------------------------------------------------

    def mle_iteration(self, epoch: int) -> dict[str, float]:
        mle = self.ctx.cfg.mle
        return mle_epoch(self.generator, self.g_optimizer, self.ctx.data.train, mle.batch_size,
                         mle.grad_clip, self.ctx.device)

    def beta(self, step: int) -> float:
        """Inverse temperature of adversarial step `step` (0-based)."""
        horizon = self.adv.temperature_steps or self.adv.steps
        return beta_schedule(self.adv.temperature_schedule, step, horizon, self.adv.beta_max)

    def adversarial_step(self, index: int) -> dict[str, float]:
        beta = self.beta(index)
        metrics: dict[str, float] = {"beta": beta}
        for _ in range(self.adv.g_steps):
            metrics.update(self.generator_update(beta))
        for _ in range(self.adv.d_steps):
            metrics.update(self.discriminator_update(beta))
        return metrics

    # -- updates ---------------------------------------------------------------------------------

    def real_batch(self) -> torch.Tensor:
        """A random batch of real sequences as token ids (B, T) (RelGAN's random_batch).

        Ids, not one-hots: every discriminator embeds ids by lookup, which equals the one-hot matmul
        exactly but skips building (B, T, V) tensors (on COCO, V = 6,587, ~8% of a step in a profile).
        Only the gradient penalties need the (B, T, V) form.
        """
        tokens = self.ctx.data.train.tokens
        idx = torch.randint(0, len(tokens), (self.adv.batch_size,))
        return tokens[idx].to(self.ctx.device)

    def fake_batch(self, beta: float) -> tuple[torch.Tensor, torch.Tensor]:
        """G's Gumbel-softmax batch: (soft one-hots (B, T, V), token ids (B, T)), differentiable."""
        return gumbel_decode(self.generator, self.adv.batch_size, self.seq_len, beta,
                             straight_through=self.adv.straight_through, feedback=self.adv.feedback,
                             eos_id=self.eos_id, pad_id=self.pad_id)

    def scores(self, inputs: torch.Tensor) -> torch.Tensor:
        """D's logits on (B, T, V) inputs: (B, R) per representation when D offers them, else (B,)."""
        per_rep = getattr(self.discriminator, "logits_per_representation", None)
        return per_rep(inputs) if per_rep is not None else self.discriminator(inputs)

    def generator_update(self, beta: float) -> dict[str, float]:
        self.generator.train()
        self.discriminator.train()  # RelGAN's D keeps its dropout on in the generator's loss too
        fake, _ = self.fake_batch(beta)
        with torch.no_grad():  # only G is updated: D's output on real data is a constant here
            real_scores = self.scores(self.real_batch())
        loss = self.g_loss_fn(real_scores, self.scores(fake))
        self.g_adv_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.adv.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.generator.parameters(), self.adv.grad_clip)
        self.g_adv_optimizer.step()
        return {"g_loss": float(loss.detach())}

    def discriminator_update(self, beta: float) -> dict[str, float]:
        disc, cfg = self.discriminator, self.ctx.cfg.discriminator
        disc.train()
        real = self.real_batch()
        with torch.no_grad():
            fake, _ = self.fake_batch(beta)
        real_scores, fake_scores = self.scores(real), self.scores(fake)
        loss = self.d_loss_fn(real_scores, fake_scores)
        out: dict[str, float] = {}
        if self.adv.penalty != "none" and self.adv.penalty_weight > 0:
            real_soft = F.one_hot(real, self.vocab_size).float()  # the penalties interpolate / perturb one-hots
            if self.adv.penalty == "wgan_gp":
                gp = wgan_gradient_penalty(self.scores, real_soft, fake)
            else:
                gp = dragan_penalty(self.scores, real_soft)
            loss = loss + self.adv.penalty_weight * gp
            out["gp"] = float(gp.detach())
        l2 = getattr(disc, "l2_penalty", None)
        if l2 is not None and cfg.l2 > 0:
            loss = loss + cfg.l2 * l2()
        self.d_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.adv.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(disc.parameters(), self.adv.grad_clip)
        self.d_optimizer.step()
        with torch.no_grad():
            # mean over representations: how often D ranks a real sequence above its paired fake
            gap = (real_scores - fake_scores).detach()
            out.update(d_loss=float(loss.detach()), d_real_gt_fake=float((gap > 0).float().mean()))
        return out
