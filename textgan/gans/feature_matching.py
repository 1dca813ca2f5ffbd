"""TextGAN: adversarial feature matching for text (Zhang et al., ICML 2017, arXiv 1706.03850).

The generator is an LSTM fed *soft-argmax* word embeddings, so the whole generated sentence is a
differentiable function of G's weights: the input of step t is W_e softmax(V h_{t-1} / tau), the soft
one-hot of the previous word multiplied into the embedding matrix (the paper's eq. 5 with L = 1 / tau;
the generator protocol's `step` takes the soft one-hot (B, V) and does the multiplication). A latent code
z ~ N(0, I) sets the initial hidden state h_1 = tanh(C z) (C without bias, so z = 0 is the zero state).

A CNN discriminator (SeqGAN's CNN + highway, `CNNDiscriminator.features`, which reads ids or soft
one-hots) gives sentence features f. The objectives (Sec. 2.2, eqs. 1-2):

    L_D = L_GAN - lambda_r L_recon + lambda_m MMD^2(f_real, f_fake)      maximised by D (+ its z-encoder)
    L_G = MMD^2(f_real, f_fake)                                            minimised by G
    L_GAN = E log D(s) + E log(1 - D(G(z))),   L_recon = ||z - z_hat(f_fake)||^2

with a Gaussian-kernel MMD over the configured bandwidths (`textgan/kernel_mmd.py`). So D separates
real from generated sentences, keeps its features informative about z (the reconstruction term fights
mode collapse) and makes the feature distributions as different as it can; G matches them. L_D has no
L2 term, as in the paper: `discriminator.l2` (SeqGAN's output-layer penalty, in the shared
discriminator section) is unused by this model.

Phases: `mle` (teacher-forced pretraining of G, shared with every model), `pretrain_d` (D alone on real
vs. soft-generated sentences), `adversarial` (rounds of `iterations` x [d_steps D steps, g_steps G steps]).
The soft-argmax temperature tau is annealed geometrically from `tau_start` to `tau_end` over
`anneal_rounds` adversarial rounds; its current value is part of the checkpoint (`extra_state`).

Deviations from the paper, deliberate:
- z enters only through the initial state, not every LSTM step: the shared generator protocol
  (`step(inputs, state)`) has no side input, and sampling, evaluation and the sample CLI then use the
  same network at z = 0 with ordinary sampling (as every other model here is evaluated).
- G is initialised by MLE pretraining (the paper initialises from a CNN-LSTM autoencoder) and D by
  `pretrain_d` on real vs. generated sentences (the paper pretrains it against word-swapped sentences).
- tau is annealed (the paper's code uses a fixed L = 1000, i.e. tau = 0.001 = our default `tau_end`).
- Soft sentences: after the first position whose argmax is EOS, the soft one-hots are replaced by the
  constant padding one-hot, like the real sentences' padding (the official code's `strip` option).
- The reconstruction loss is the paper's squared error on z ~ N(0, I) (the released Theano code uses
  a cross-entropy on z ~ U(-1, 1)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from textgan.config import ConfigError, param
from textgan.gans.base import Phase, TrainContext, mean_metrics
from textgan.gans.mle import mle_epoch
from textgan.kernel_mmd import mmd2
from textgan.nn import build_discriminator, build_generator, generator_has
from textgan.rollout import eos_mask


@dataclass
class TextGANConfig:
    latent_dim: int = param(32, min=1, help="size of the latent code z ~ N(0, I) that sets G's initial state")
    bandwidths: list[float] = param([1.0, 2.0, 4.0, 8.0, 16.0], min=0.0, min_exclusive=True,
                                    help="Gaussian kernel bandwidths sigma of the MMD (kernels summed)")
    unbiased_mmd: bool = param(False, help="unbiased MMD^2 estimate (no k(x_i, x_i) terms) instead of the "
                                           "V-statistic of TextGAN's code")
    mmd_sqrt: bool = param(False, help="G minimises sqrt(MMD^2) (the authors' Theano code, feature_match='mmd') "
                                       "instead of MMD^2 (paper)")
    lambda_recon: float = param(1.0, min=0.0, help="lambda_r: weight of D's z-reconstruction loss")
    lambda_mmd: float = param(1.0, min=0.0, help="lambda_m: weight of the MMD^2 that D maximises")
    tau_start: float = param(1.0, min=0.0, min_exclusive=True, help="soft-argmax temperature at round 0")
    tau_end: float = param(0.001, min=0.0, min_exclusive=True,
                           help="soft-argmax temperature after anneal_rounds (TextGAN's code: L = 1000)")
    anneal_rounds: int = param(100, min=0, help="adversarial rounds over which tau decays geometrically "
                                                "(0 = tau_end from the start)")


@dataclass
class FeatureMatchingConfig:
    """The `adversarial` section of TextGAN (defaults: the quick CPU profile)."""

    rounds: int = param(10, min=0, help="adversarial rounds (evaluation / checkpoint unit)")
    iterations: int = param(20, min=1, help="mini-batch iterations per round (and per D pretraining round)")
    d_steps: int = param(1, min=0, help="D updates per iteration")
    g_steps: int = param(5, min=0, help="G updates per iteration (TextGAN's released TF code updates G every "
                                        "iteration and D every 10th)")
    batch_size: int = param(64, min=1, help="sentences per step, real and generated each")
    g_lr: float = param(1e-4, min=0.0, min_exclusive=True, help="Adam learning rate of adversarial G steps")
    g_grad_clip: float = param(5.0, min=0.0, help="gradient-norm clip of G steps (0 = off)")
    pretrain_d_rounds: int = param(2, min=0, help="D pretraining rounds of `iterations` D steps")


def soft_generate(generator: nn.Module, h0: torch.Tensor, seq_len: int, tau: float, bos_id: int,
                  eos_id: int | None, pad_id: int) -> torch.Tensor:
    """Soft-argmax decoding from initial hidden state h0 (layers, B, H) -> soft one-hots (B, T, V).

    Differentiable end to end. Positions after the first argmax-EOS become the padding one-hot.
    """
    batch = h0.shape[1]
    state = generator.init_state(batch)
    state = (h0.to(state[0].dtype), *state[1:])
    inputs: torch.Tensor = torch.full((batch,), bos_id, dtype=torch.long, device=h0.device)
    steps = []
    for _ in range(seq_len):
        logits, state = generator.step(inputs, state)                   # (B, V)
        inputs = torch.softmax(logits.float() / tau, dim=-1)            # soft-argmax (B, V)
        steps.append(inputs)
    soft = torch.stack(steps, dim=1)                                    # (B, T, V)
    if eos_id is not None:
        keep = eos_mask(soft.detach().argmax(dim=-1), eos_id)           # (B, T), True up to EOS
        pad = F.one_hot(torch.tensor(pad_id, device=soft.device), soft.shape[-1]).to(soft.dtype)
        soft = torch.where(keep[..., None], soft, pad)
    return soft


def annealed_tau(cfg: TextGANConfig, rounds_done: int) -> float:
    """tau_start * (tau_end / tau_start) ** min(rounds_done / anneal_rounds, 1)."""
    frac = 1.0 if cfg.anneal_rounds == 0 else min(rounds_done / cfg.anneal_rounds, 1.0)
    return cfg.tau_start * math.exp(frac * math.log(cfg.tau_end / cfg.tau_start))


def check_textgan_config(cfg, h: torch.Tensor | None = None) -> None:
    """TextGAN's registry rule (`ModelSpec.check_config`, run before any data loads, from what the generator
    kind declares; again when the model is built, with its generator's initial hidden state `h`): z sets G's
    initial (layers, B, H) state, so the generator needs one, and the kernel needs a bandwidth."""
    declared = generator_has(cfg.generator.kind, "layered_state")
    if declared is False or (h is not None and h.dim() != 3):
        raise ConfigError(f"model textgan sets the generator's initial (layers, B, H) hidden state from z; "
                          f"generator.kind={cfg.generator.kind!r} has no such state, use generator.kind=lstm")
    if not cfg.textgan.bandwidths:
        raise ConfigError("config key 'textgan.bandwidths' must list at least one bandwidth, e.g. [1.0, 2.0]")


class TextGAN:
    def __init__(self, ctx: TrainContext) -> None:
        self.ctx = ctx
        cfg = ctx.cfg
        self.tcfg, self.adv = cfg.textgan, cfg.adversarial
        vocab = ctx.data.vocab
        self.bos_id, self.eos_id, self.pad_id = vocab.bos_id, vocab.eos_id, vocab.pad_id
        self.seq_len = ctx.data.seq_len
        dev = ctx.device
        self.generator = build_generator(cfg.generator, vocab.size, vocab.bos_id).to(dev)
        h = self.generator.init_state(1)[0]                             # (layers, 1, H)
        check_textgan_config(cfg, h)
        self.state_shape = (h.shape[0], h.shape[2])
        # C of h_1 = tanh(C z); no bias, so z = 0 is the zero state the shared sampler starts from.
        self.latent = nn.Linear(self.tcfg.latent_dim, h.shape[0] * h.shape[2], bias=False).to(dev)
        self.discriminator = build_discriminator(cfg.discriminator, vocab.size).to(dev)
        features = self.discriminator.features(torch.zeros(1, self.seq_len, dtype=torch.long, device=dev))
        self.encoder = nn.Linear(features.shape[1], self.tcfg.latent_dim).to(dev)  # z_hat from D's features
        self.g_optimizer = torch.optim.Adam(self.generator.parameters(), lr=cfg.mle.lr)
        self.g_adv_optimizer = torch.optim.Adam([*self.generator.parameters(), *self.latent.parameters()],
                                                lr=self.adv.g_lr)
        self.d_optimizer = torch.optim.Adam([*self.discriminator.parameters(), *self.encoder.parameters()],
                                            lr=cfg.discriminator.lr)
        self.rounds_done = 0
        self.tau = annealed_tau(self.tcfg, 0)

    def modules(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "latent": self.latent, "discriminator": self.discriminator,
                "encoder": self.encoder}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.g_optimizer, "generator_adv": self.g_adv_optimizer,
                "discriminator": self.d_optimizer}

    def extra_state(self) -> dict[str, float]:
        return {"tau": self.tau, "rounds_done": self.rounds_done}

    def load_extra_state(self, state: dict[str, float]) -> None:
        self.tau, self.rounds_done = float(state["tau"]), int(state["rounds_done"])

    def phases(self) -> list[Phase]:
        return [Phase("mle", self.ctx.cfg.mle.epochs, self.mle_iteration, unit="epoch", budget_key="mle.epochs"),
                Phase("pretrain_d", self.adv.pretrain_d_rounds, self.pretrain_d_round, unit="round",
                      budget_key="adversarial.pretrain_d_rounds"),
                Phase("adversarial", self.adv.rounds, self.adversarial_round, unit="round",
                      budget_key="adversarial.rounds")]

    # -- phases ----------------------------------------------------------------------------------

    def mle_iteration(self, epoch: int) -> dict[str, float]:
        mle = self.ctx.cfg.mle
        return mle_epoch(self.generator, self.g_optimizer, self.ctx.data.train, mle.batch_size,
                         mle.grad_clip, self.ctx.device)

    def pretrain_d_round(self, index: int) -> dict[str, float]:
        return mean_metrics([self.d_step() for _ in range(self.adv.iterations)])

    def adversarial_round(self, index: int) -> dict[str, float]:
        self.tau = annealed_tau(self.tcfg, self.rounds_done)
        records = []
        for _ in range(self.adv.iterations):
            d = [self.d_step() for _ in range(self.adv.d_steps)]
            g = [self.g_step() for _ in range(self.adv.g_steps)]
            records.append({**mean_metrics(d), **mean_metrics(g)})
        self.rounds_done += 1
        return {**mean_metrics(records), "tau": self.tau}

    # -- steps -----------------------------------------------------------------------------------

    def _real(self) -> torch.Tensor:
        data = self.ctx.data.train
        return data.tokens[torch.randint(len(data), (self.adv.batch_size,))].to(self.ctx.device)  # (B, T)

    def _fake(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(z (B, Z), soft sentences (B, T, V)) from fresh latent codes, differentiable w.r.t. G."""
        z = torch.randn(self.adv.batch_size, self.tcfg.latent_dim, device=self.ctx.device)
        layers, hidden = self.state_shape
        h0 = torch.tanh(self.latent(z)).view(-1, layers, hidden).transpose(0, 1).contiguous()  # (L, B, H)
        return z, soft_generate(self.generator, h0, self.seq_len, self.tau, self.bos_id, self.eos_id, self.pad_id)

    def _mmd2(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        return mmd2(fake, real, self.tcfg.bandwidths, self.tcfg.unbiased_mmd)

    def d_step(self) -> dict[str, float]:
        disc = self.discriminator
        disc.train()
        with torch.no_grad():
            z, fake = self._fake()
        real = self._real()
        f_real, f_fake = disc.features(real), disc.features(fake)             # (B, F) each
        # D's own output head on the features just computed (what `disc(x)` would do, without a 2nd pass)
        logit_real = disc.output(disc.dropout(f_real)).squeeze(1)            # (B,)
        logit_fake = disc.output(disc.dropout(f_fake)).squeeze(1)
        gan = (F.binary_cross_entropy_with_logits(logit_real, torch.ones_like(logit_real))
               + F.binary_cross_entropy_with_logits(logit_fake, torch.zeros_like(logit_fake)))
        recon = (self.encoder(f_fake) - z).square().sum(dim=1).mean()
        mmd = self._mmd2(f_fake, f_real)
        loss = gan + self.tcfg.lambda_recon * recon - self.tcfg.lambda_mmd * mmd
        self.d_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.d_optimizer.step()
        acc = ((logit_real.detach() > 0).float().mean() + (logit_fake.detach() < 0).float().mean()) / 2
        return {"d_loss": float(loss.detach()), "d_gan": float(gan.detach()), "d_recon": float(recon.detach()),
                "d_acc": float(acc)}

    def g_step(self) -> dict[str, float]:
        disc, gen = self.discriminator, self.generator
        disc.requires_grad_(False)  # G's step only needs gradients w.r.t. D's input
        try:
            with torch.no_grad():
                f_real = disc.features(self._real())
            gen.train()
            _, fake = self._fake()
            mmd = self._mmd2(disc.features(fake), f_real)
            loss = mmd.clamp(min=0.0).add(1e-12).sqrt() if self.tcfg.mmd_sqrt else mmd
            self.g_adv_optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if self.adv.g_grad_clip > 0:
                torch.nn.utils.clip_grad_norm_([*gen.parameters(), *self.latent.parameters()], self.adv.g_grad_clip)
            self.g_adv_optimizer.step()
        finally:
            disc.requires_grad_(True)
        return {"g_loss": float(loss.detach()), "mmd2": float(mmd.detach())}

