"""One adversarial algorithm for continuous data, parametrised by loss, gradient penalty and spectral norm.

The registered models (`textgan/image/gan_spec.py`) differ only in the defaults of `GANConfig`:
- `gan` / `dcgan`: standard GAN with the non-saturating G loss (Goodfellow et al., arXiv 1406.2661;
  DCGAN, Radford et al., arXiv 1511.06434: Adam lr 2e-4, beta1 0.5);
- `wgan_gp`: Wasserstein critic + gradient penalty 10, 5 critic steps, Adam(1e-4, 0.5, 0.9) (Gulrajani et
  al., arXiv 1704.00028);
- `lsgan`: least squares (Mao et al., arXiv 1611.04076);
- `hinge_sn`: hinge loss with a spectrally normalised D (Miyato et al., arXiv 1802.05957);
- `dragan`: standard loss + DRAGAN's penalty around the real data (Kodali et al., arXiv 1705.07215).
Losses and penalties come from `textgan/losses.py`; the networks (MLP for points, DCGAN for images,
optionally CGAN-conditional, arXiv 1411.1784) from `textgan/image/nets.py`.

Training is one phase, `adversarial`, of `gan.iterations` rounds; a round is `gan.steps` generator
updates, each preceded by `gan.d_steps` discriminator updates on fresh real and generated batches.
With `gan.lr_decay=linear` both learning rates fall linearly towards 0 over the `iterations * steps`
generator updates (the schedule of WGAN-GP's CIFAR-10 experiments, arXiv 1704.00028); the rate is a
function of the round and step alone, so a resumed run follows the same schedule with no extra
checkpoint state.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from textgan.config import param
from textgan.errors import UserError
from textgan.gans.base import Phase, TrainContext
from textgan.image.nets import build_networks
from textgan.image.sample_run import sample_image_run
from textgan.losses import GAN_LOSSES, dragan_penalty, get_gan_loss, wgan_gradient_penalty

PENALTIES = ("none", "wgan_gp", "dragan")
LR_DECAYS = ("none", "linear")
G_READS_REAL = {"rsgan"}  # losses whose generator term depends on D's outputs on real data (relativistic)


@dataclass
class GANConfig:
    loss: str = param("standard", choices=list(GAN_LOSSES), help="GAN loss of textgan.losses")
    penalty: str = param("none", choices=PENALTIES, help="gradient penalty added to D's loss")
    penalty_weight: float = param(10.0, min=0.0, help="weight of the gradient penalty (WGAN-GP: 10)")
    dragan_scale: float = param(0.5, min=0.0, min_exclusive=True,
                                help="DRAGAN's perturbation: real + scale * std(batch) * U[0, 1] (the paper's 0.5). "
                                     "std(batch) spans the whole data set, so on a mixture of narrow modes the "
                                     "default perturbs far past a mode's width")
    spectral_norm: bool = param(False, help="spectral-normalise every weight of D")
    iterations: int = param(20, min=0, help="training rounds (evaluation cadence: train.eval_every rounds)")
    steps: int = param(100, min=1, help="generator updates per round")
    d_steps: int = param(1, min=1, help="discriminator updates per generator update")
    batch_size: int = param(64, min=1, help="real and generated samples per D and G update")
    lr_g: float = param(2e-4, min=0.0, min_exclusive=True, help="Adam learning rate of G")
    lr_d: float = param(2e-4, min=0.0, min_exclusive=True, help="Adam learning rate of D")
    beta1: float = param(0.5, min=0.0, max=0.999, help="Adam beta1 of G and D (DCGAN: 0.5)")
    beta2: float = param(0.999, min=0.0, max=0.9999, help="Adam beta2 of G and D (WGAN-GP: 0.9)")
    lr_decay: str = param("none", choices=LR_DECAYS,
                          help="linear: both learning rates decay linearly to 0 over iterations * steps G updates")


def config_with_defaults(name: str, **defaults: Any) -> type:
    """A `GANConfig` with other defaults (same fields, ranges and help): one model's registration."""
    fields = []
    for f in dataclasses.fields(GANConfig):
        default = defaults.pop(f.name, f.default)
        fields.append((f.name, f.type, dataclasses.field(default=default, metadata=f.metadata)))
    if defaults:
        raise TypeError(f"unknown GANConfig fields: {', '.join(defaults)}")
    cls = dataclasses.make_dataclass(name, fields)
    cls.__module__ = __name__
    return cls


class ImageGAN:
    """G and D for the data's kind, trained with the configured loss, penalty and normalisation."""

    # capability the sample CLI looks for: these samples are written as a PNG, not decoded as text
    sample_cli = staticmethod(sample_image_run)

    def __init__(self, ctx: TrainContext) -> None:
        self.ctx = ctx
        self.cfg = ctx.cfg.gan
        data = ctx.data
        if getattr(data, "kind", None) not in ("points", "images"):
            raise UserError(f"model '{ctx.cfg.model}' trains on continuous data (--data ring8, grid25 or digits), "
                            f"not '{data.name}'")
        self.d_loss_fn, self.g_loss_fn = get_gan_loss(self.cfg.loss, "gan.loss")
        self.generator, self.discriminator = build_networks(ctx.cfg.nets, tuple(data.train.shape[1:]),
                                                            data.num_classes, self.cfg.spectral_norm)
        self.generator.to(ctx.device)
        self.discriminator.to(ctx.device)
        betas = (self.cfg.beta1, self.cfg.beta2)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=self.cfg.lr_g, betas=betas)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=self.cfg.lr_d, betas=betas)
        self.conditional = bool(self.generator.num_classes)

    def modules(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "discriminator": self.discriminator}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.opt_g, "discriminator": self.opt_d}

    def phases(self) -> list[Phase]:
        return [Phase("adversarial", self.cfg.iterations, self.round, unit="round", budget_key="gan.iterations")]

    # -- one round ---------------------------------------------------------------------------------

    def real_batch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """A batch of training samples drawn with replacement (global RNG: part of the resumable state)."""
        data, device = self.ctx.data, self.ctx.device
        idx = torch.randint(0, data.train.shape[0], (self.cfg.batch_size,))
        labels = data.train_labels[idx].to(device) if self.conditional else None
        return data.train[idx].to(device), labels

    def fake_batch(self, labels: torch.Tensor | None) -> torch.Tensor:
        z = torch.randn(self.cfg.batch_size, self.generator.z_dim, device=self.ctx.device)  # (B, z_dim)
        return self.generator(z, labels)

    def penalty(self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        critic = lambda x: self.discriminator(x, labels)
        if self.cfg.penalty == "wgan_gp":
            return wgan_gradient_penalty(critic, real, fake)
        if self.cfg.penalty == "dragan":
            return dragan_penalty(critic, real, scale=self.cfg.dragan_scale)
        return torch.zeros((), device=real.device)

    def d_step(self) -> tuple[torch.Tensor, torch.Tensor]:
        real, labels = self.real_batch()
        with torch.no_grad():
            fake = self.fake_batch(labels)  # G in train mode: batch norm sees the same statistics as in g_step
        # one D call on real and fake together (D has no batch norm, so this equals two calls, at half the cost;
        # a spectrally normalised D runs one power iteration instead of two)
        both = self.discriminator(torch.cat([real, fake]), None if labels is None else torch.cat([labels, labels]))
        loss = self.d_loss_fn(both[: len(real)], both[len(real):])
        pen = self.penalty(real, fake, labels) if self.cfg.penalty != "none" else torch.zeros((), device=real.device)
        self.opt_d.zero_grad(set_to_none=True)
        (loss + self.cfg.penalty_weight * pen).backward()
        self.opt_d.step()
        return loss.detach(), pen.detach()

    def g_step(self) -> torch.Tensor:
        real, labels = self.real_batch()
        fake_out = self.discriminator(self.fake_batch(labels), labels)
        if self.cfg.loss in G_READS_REAL:
            with torch.no_grad():
                real_out = self.discriminator(real, labels)
        else:
            real_out = fake_out.detach()  # the loss ignores it; skip a D call
        loss = self.g_loss_fn(real_out, fake_out)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        return loss.detach()

    def lr_factor(self, iteration: int, step: int) -> float:
        """Learning-rate multiplier before generator update `step` of round `iteration` (both 0-based)."""
        if self.cfg.lr_decay == "none":
            return 1.0
        total = max(self.cfg.iterations * self.cfg.steps, 1)
        return max(1.0 - (iteration * self.cfg.steps + step) / total, 0.0)

    def set_lr(self, factor: float) -> None:
        # set from the base rates each time (not multiplied in place), so the schedule cannot drift
        for opt, base in ((self.opt_g, self.cfg.lr_g), (self.opt_d, self.cfg.lr_d)):
            for group in opt.param_groups:
                group["lr"] = base * factor

    def round(self, iteration: int) -> dict[str, float]:
        self.generator.train()
        self.discriminator.train()
        # sums kept on the device: a .cpu() per step would wait for a GPU three times a step
        d_total, pen_total, g_total = (torch.zeros((), device=self.ctx.device) for _ in range(3))
        for step in range(self.cfg.steps):
            if self.cfg.lr_decay != "none":
                self.set_lr(self.lr_factor(iteration, step))
            for _ in range(self.cfg.d_steps):
                d_loss, pen = self.d_step()
                d_total += d_loss
                pen_total += pen
            g_total += self.g_step()
        n_d = self.cfg.steps * self.cfg.d_steps
        out = {"d_loss": float(d_total) / n_d, "g_loss": float(g_total) / self.cfg.steps}
        if self.cfg.penalty != "none":
            out["penalty"] = float(pen_total) / n_d
        return out
