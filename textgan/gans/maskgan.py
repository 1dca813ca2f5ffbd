"""MaskGAN (Fedus, Goodfellow & Dai, ICLR 2018, arXiv 1801.07736): in-filling with an actor-critic GAN.

Phases (through the shared loop):
1. `mle` — MaskMLE pretraining of the seq2seq generator (`textgan/gans/maskmle.py`).
2. `pretrain_d` — `pretrain_d_steps` discriminator steps against the pretrained generator.
3. `adversarial` — rounds of `g_steps` actor-critic generator steps, then `d_steps` discriminator steps.

One generator step (Section 3 of the paper): mask a batch of real sentences (`textgan/masking.py`), fill
the masked positions with G (present tokens copied; `textgan/infill.py`, the shared exact sampler), score
every filled token with D(x_hat_t | x_hat_0..t, m(x)) (`textgan/nn/mask_discriminator.py`), and use the
per-token rewards r_t = log D(x_hat_t) at the masked positions. The return is discounted,
R_t = sum_{s >= t} gamma^(s - t) r_s (the paper writes gamma^s; its code, like us, discounts from t).
G's loss is REINFORCE with the critic's baseline on masked positions only,
-sum_t m_t (R_t - b_t) log G(x_hat_t), and the critic is trained by regression, sum_t m_t (R_t - b_t)^2,
both averaged over the masked positions of the batch. log G is taken under the distribution the blanks were
sampled from (`infill`'s rules: padding / BOS never, EOS only after the last present token; see
`blank_log_probs`), so the update stays on-policy. D is trained on real and filled versions of the
same masked sentences with binary cross-entropy at the masked positions (present positions are real in
both and carry no signal).

Not in the paper / choices of ours: a masked EOS lets G end the sentence (see masking.py), rewards stop at
the filled sentence's EOS; the critic is a detached head on D (see mask_discriminator.py); G's adversarial
steps use their own Adam (as SeqGAN here). Defaults are a quick CPU profile; the paper's hyperparameters
(2 x 650 LSTMs, variational dropout, lr 3.9e-5 for G) are far beyond a CPU budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from textgan.config import param
from textgan.gans.base import Phase, TrainContext
from textgan.gans.log_probs import gather_log_probs
from textgan.gans.maskmle import SECTIONS as MASKMLE_SECTIONS
from textgan.gans.maskmle import MaskMLE, batch_masks
from textgan.gans.mle import MLEConfig
from textgan.infill import apply_blank_rules, eos_allowed, infill, training_banned
from textgan.masking import mask_tokens, target_positions
from textgan.nn.dropout_off import dropout_off
from textgan.nn.mask_discriminator import MaskDiscriminator, MaskDiscriminatorConfig


@dataclass
class MaskPretrainConfig(MLEConfig):
    """The `mle` section of MaskGAN: MaskMLE pretraining, with a shorter quick-profile default."""

    epochs: int = param(10, min=0, help="MaskMLE pretraining epochs of G")


@dataclass
class MaskGANConfig:
    rounds: int = param(50, min=0, help="adversarial rounds")
    g_steps: int = param(1, min=0, help="actor-critic generator steps per round")
    d_steps: int = param(1, min=0, help="discriminator steps per round (MaskGAN's code: dis_train_iterations)")
    pretrain_d_steps: int = param(50, min=0, help="discriminator steps before the adversarial rounds")
    batch_size: int = param(64, min=1, help="sentences per generator step")
    discount: float = param(0.89, min=0.0, max=1.0, help="gamma of the discounted returns (MaskGAN's released "
                                                          "hyperparameters: rl_discount_rate 0.89)")
    g_lr: float = param(1e-4, min=0.0, min_exclusive=True, help="Adam lr of the adversarial G steps")
    g_grad_clip: float = param(5.0, min=0.0, help="gradient-norm clip of G steps (0 = off)")
    critic_lr: float = param(1e-3, min=0.0, min_exclusive=True, help="Adam lr of the critic head")
    advantage_clip: float = param(0.0, min=0.0, help="clip the advantage R_t - b_t to +-N in G's loss (0 = off, "
                                                    "the default the committed benchmarks used; MaskGAN's "
                                                    "released code clips at advantage_clipping 5.0)")
    eval_every: int = param(0, min=0, help="evaluate (and checkpoint) every N D-pretraining steps and every N "
                                           "adversarial rounds (0 = train.eval_every); lets train.eval_every=1 "
                                           "select the MaskMLE epoch without evaluating every round")


def discounted_returns(rewards: torch.Tensor, gamma: float) -> torch.Tensor:
    """R_t = sum_{s >= t} gamma^(s - t) r_s for rewards (B, T) -> (B, T)."""
    t = rewards.shape[1]
    pos = torch.arange(t, device=rewards.device)
    power = (pos[:, None] - pos[None, :]).to(rewards.dtype)                  # (T, T): s - t
    weights = torch.where(power >= 0, torch.full_like(power, gamma) ** power.clamp(min=0),
                          torch.zeros_like(power))                          # weights[s, t] = gamma^(s-t), s >= t
    return rewards @ weights


def filled_lengths(filled: torch.Tensor, eos_id: int | None) -> torch.Tensor:
    """(B,) positions up to and including each row's first EOS (T when there is none)."""
    b, t = filled.shape
    if eos_id is None:
        return torch.full((b,), t, dtype=torch.long, device=filled.device)
    is_eos = filled == eos_id
    first = torch.where(is_eos.any(1), is_eos.long().argmax(1), torch.full((b,), t - 1, device=filled.device))
    return first + 1


def actor_critic_losses(logp: torch.Tensor, log_d: torch.Tensor, values: torch.Tensor, weights: torch.Tensor,
                        gamma: float, advantage_clip: float = 0.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(generator loss, critic loss, returns); all inputs (B, T), weights = masked positions (0 / 1).

    Rewards log D count at masked positions only; the advantage R_t - b_t is a constant for G's loss,
    clipped to +-`advantage_clip` when that is > 0 (log D is unbounded below while the critic is poor).
    """
    returns = discounted_returns(log_d * weights, gamma)
    count = weights.sum().clamp(min=1.0)
    advantage = (returns - values).detach()
    if advantage_clip > 0:
        advantage = advantage.clamp(-advantage_clip, advantage_clip)
    g_loss = -(logp * advantage * weights).sum() / count
    critic_loss = ((returns.detach() - values).square() * weights).sum() / count
    return g_loss, critic_loss, returns


def blank_log_probs(generator: nn.Module, tokens: torch.Tensor, present: torch.Tensor, filled: torch.Tensor,
                    weights: torch.Tensor, eos_id: int | None, pad_id: int) -> torch.Tensor:
    """(B, T) log-probabilities of the filled tokens under the policy `infill` sampled them from; 0 where
    `weights` is 0. That policy is the generator's softmax with `infill`'s rules applied (padding / BOS
    banned, EOS only after the last present token): with the unrestricted softmax, E[grad log p] =
    grad log Z != 0, so every update would push probability onto the banned tokens whatever D says.
    Call it with the generator's dropout off (`textgan.nn.dropout_off`), as `infill` samples: with
    generator.dropout > 0 a dropout mask would score another policy."""
    logits = generator.teacher_force(mask_tokens(tokens, present, generator.mask_id), filled).float()  # (B, T, V)
    allowed = apply_blank_rules(logits, eos_allowed(tokens, present, eos_id, pad_id), eos_id,
                                training_banned(generator, eos_id, pad_id))
    logits = torch.where(present[..., None], logits, allowed)
    return gather_log_probs(logits, filled).masked_fill(weights == 0, 0.0)  # -inf at padding after EOS


class MaskGAN(MaskMLE):
    def __init__(self, ctx: TrainContext) -> None:
        super().__init__(ctx)
        cfg = ctx.cfg
        self.adv = cfg.adversarial
        vocab = ctx.data.vocab
        self.eos_id, self.pad_id = vocab.eos_id, vocab.pad_id
        dcfg = cfg.discriminator
        self.discriminator = MaskDiscriminator(vocab.size, dcfg.emb_dim, dcfg.hidden_dim, dcfg.num_layers,
                                               dcfg.dropout).to(ctx.device)
        d_params = [p for n, p in self.discriminator.named_parameters() if not n.startswith("critic.")]
        self.d_optimizer = torch.optim.Adam(d_params, lr=dcfg.lr)
        self.critic_optimizer = torch.optim.Adam(self.discriminator.critic.parameters(), lr=self.adv.critic_lr)
        self.g_adv_optimizer = torch.optim.Adam(self.generator.parameters(), lr=self.adv.g_lr)

    def modules(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "discriminator": self.discriminator}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.optimizer, "generator_adv": self.g_adv_optimizer,
                "discriminator": self.d_optimizer, "critic": self.critic_optimizer}

    def phases(self) -> list[Phase]:
        every = self.adv.eval_every or None                    # None: the loop's train.eval_every
        return [Phase("mle", self.ctx.cfg.mle.epochs, self.mle_iteration, unit="epoch", budget_key="mle.epochs"),
                Phase("pretrain_d", self.adv.pretrain_d_steps, lambda i: self.discriminator_step(), unit="step",
                      budget_key="adversarial.pretrain_d_steps",
                      eval_every=every),
                Phase("adversarial", self.adv.rounds, self.adversarial_round, unit="round", eval_every=every,
                      budget_key="adversarial.rounds")]

    # -- data ----------------------------------------------------------------------------------

    def masked_batch(self, size: int) -> tuple[torch.Tensor, ...]:
        """A random batch of real sentences, their masks and G's fillings (global RNG), on the device."""
        data, dev = self.ctx.data.train, self.ctx.device
        idx = torch.randperm(len(data))[:size]
        tokens, lengths = data.tokens[idx], data.lengths[idx]
        present = batch_masks(lengths, data.seq_len, self.ctx.cfg.mask, self.has_eos)
        filled = infill(self.generator, tokens, present, eos_id=self.eos_id, pad_id=self.pad_id)
        return tokens.to(dev), lengths.to(dev), present.to(dev), filled.to(dev)

    def fill_weights(self, present: torch.Tensor, filled: torch.Tensor) -> torch.Tensor:
        """(B, T) float: masked positions up to and including the filled sentence's EOS."""
        return target_positions(present, filled_lengths(filled, self.eos_id)).float()

    # -- phases ----------------------------------------------------------------------------------

    def adversarial_round(self, index: int) -> dict[str, float]:
        g = [self.generator_step() for _ in range(self.adv.g_steps)]
        d = [self.discriminator_step() for _ in range(self.adv.d_steps)]
        metrics = {k: sum(r[k] for r in g) / len(g) for k in g[0]} if g else {}
        metrics.update(d[-1] if d else {})
        return metrics

    def generator_step(self) -> dict[str, float]:
        gen, disc = self.generator, self.discriminator
        tokens, lengths, present, filled = self.masked_batch(self.adv.batch_size)
        masked = mask_tokens(tokens, present, gen.mask_id)
        weights = self.fill_weights(present, filled)
        disc.eval()
        with torch.no_grad():
            att, before, memory = disc.features(masked, filled)
            log_d = F.logsigmoid(disc.output(att)[..., 0])                      # (B, T) rewards log D
        disc.train()
        values = disc.critic(torch.cat([before, memory], dim=-1))[..., 0]     # (B, T) baseline b_t
        # `infill` drew the blanks without dropout (eval mode): log G is taken without it too, else with
        # generator.dropout > 0 the update would push a policy the samples did not come from. Dropout then
        # regularises the MLE epochs only. (Training mode with the rates at 0, not eval mode: cuDNN has no
        # backward pass for an LSTM run in eval mode.)
        gen.train()
        with dropout_off(gen):
            logp = blank_log_probs(gen, tokens, present, filled, weights, self.eos_id, self.pad_id)
        g_loss, critic_loss, returns = actor_critic_losses(logp, log_d, values, weights, self.adv.discount,
                                                           self.adv.advantage_clip)
        self.g_adv_optimizer.zero_grad(set_to_none=True)
        self.critic_optimizer.zero_grad(set_to_none=True)
        (g_loss + critic_loss).backward()                                      # disjoint parameters
        if self.adv.g_grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(gen.parameters(), self.adv.g_grad_clip)
        self.g_adv_optimizer.step()
        self.critic_optimizer.step()
        count = weights.sum().clamp(min=1.0)
        return {"g_loss": float(g_loss.detach()), "critic_loss": float(critic_loss.detach()),
                "reward": float((log_d * weights).sum() / count)}

    def discriminator_step(self) -> dict[str, float]:
        """One BCE step of D on real and filled versions of the same masked batch (masked positions only)."""
        disc = self.discriminator
        tokens, lengths, present, filled = self.masked_batch(self.ctx.cfg.discriminator.batch_size)
        masked = mask_tokens(tokens, present, disc.mask_id)
        w_real = target_positions(present, lengths).float()
        w_fake = self.fill_weights(present, filled)
        disc.train()
        real, fake = disc(masked, tokens), disc(masked, filled)                # (B, T) logits
        loss_real = (F.binary_cross_entropy_with_logits(real, torch.ones_like(real), reduction="none") * w_real
                     ).sum() / w_real.sum().clamp(min=1.0)
        loss_fake = (F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake), reduction="none") * w_fake
                     ).sum() / w_fake.sum().clamp(min=1.0)
        loss = 0.5 * (loss_real + loss_fake)
        self.d_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.d_optimizer.step()
        with torch.no_grad():
            n = (w_real.sum() + w_fake.sum()).clamp(min=1.0)
            acc = (((real > 0).float() * w_real).sum() + ((fake <= 0).float() * w_fake).sum()) / n
            d_real = (torch.sigmoid(real) * w_real).sum() / w_real.sum().clamp(min=1.0)
            d_fake = (torch.sigmoid(fake) * w_fake).sum() / w_fake.sum().clamp(min=1.0)
        return {"d_loss": float(loss.detach()), "d_acc": float(acc), "d_real": float(d_real),
                "d_fake": float(d_fake)}


SECTIONS = {**MASKMLE_SECTIONS, "mle": MaskPretrainConfig, "discriminator": MaskDiscriminatorConfig,
            "adversarial": MaskGANConfig}
