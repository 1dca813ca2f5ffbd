"""Gumbel-softmax decoding through the generator step protocol, and RelGAN's inverse-temperature schedules.

Gumbel-softmax (Jang et al. 2017, arXiv 1611.01144; Maddison et al. 2017, arXiv 1611.00712) as the text
GANs use it — GSGAN (Kusner & Hernandez-Lobato 2016, arXiv 1611.04051) and RelGAN (Nie et al., ICLR 2019):
at every step the generator's logits o_t (B, V) are perturbed with Gumbel noise g_t, and

    token_t = argmax(o_t + g_t)                      an exact sample of softmax(o_t) (the Gumbel-max trick)
    soft_t  = softmax(beta * (o_t + g_t))            its relaxation, differentiable in o_t

beta is RelGAN's *inverse* temperature (temperature tau = 1 / beta): beta = 1 is the plain Gumbel-softmax,
large beta makes soft_t close to one_hot(token_t). The discriminator reads soft_t (B, T, V).

`gumbel_decode` is written once against `init_state(B)` / `step(inputs, state)`, so every generator kind
works. What is fed back as the next input is a choice (`feedback`):
- "soft": soft_t itself (B, V) — the relaxed one-hot is the next input, so gradients also flow through
  the inputs of later steps (GSGAN's generator feeds its Gumbel-softmax output back).
- "hard": token_t (ids). RelGAN's official code does this (`x_tp1 = embedding_lookup(next_token)`):
  the gradient reaches earlier steps only through the recurrent state.
`straight_through` replaces soft_t by one_hot(token_t) in the forward pass while keeping soft_t's
gradient (Bengio et al. 2013; Jang et al. 2017's ST Gumbel-softmax).

`beta_schedule` is RelGAN's `get_fixed_temperature` (its options `no`, `lin`, `exp`, `log`, `sigmoid`,
`quad`, `sqrt`), written in terms of the progress p = i / (N - 1) so that every increasing schedule
starts at 1 and ends at beta_max exactly (sigmoid: within 5e-5 * (beta_max - 1) of both, as RelGAN's).
Deviation: RelGAN's code fixes N = 5000 whatever the number of adversarial steps (its oracle runs stop
at 3000, i.e. beta ends at beta_max ** 0.6 for `exp`) and uses i / N for `exp` and `sigmoid`; set
`adversarial.temperature_steps: 5000` to follow the code's horizon.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from textgan.sampling import check_decode_length

SCHEDULES = ("no", "lin", "exp", "log", "sigmoid", "quad", "sqrt")
_EPS = 1e-10  # RelGAN's add_gumbel epsilon


def beta_schedule(name: str, step: int, total: int, beta_max: float) -> float:
    """Inverse temperature at adversarial step `step` (0-based) of a schedule `total` steps long.

    Every schedule but `no` (constant beta_max) rises from 1 at step 0 to beta_max at step total - 1
    and stays there afterwards.
    """
    if name not in SCHEDULES:
        raise ValueError(f"unknown temperature schedule {name!r}; one of {', '.join(SCHEDULES)}")
    if name == "no":
        return float(beta_max)
    span = max(total - 1, 1)
    p = min(max(step, 0), span) / span                              # progress in [0, 1]
    if name == "lin":
        return 1.0 + p * (beta_max - 1.0)
    if name == "exp":
        return float(beta_max) ** p
    if name == "log":  # RelGAN: 1 + (bm - 1) log(i + 1) / log(N); here normalised by log(span + 1)
        return 1.0 + (beta_max - 1.0) * math.log1p(p * span) / math.log1p(span)
    if name == "sigmoid":
        return 1.0 + (beta_max - 1.0) / (1.0 + math.exp(20.0 * (0.5 - p)))
    if name == "quad":
        return 1.0 + (beta_max - 1.0) * p * p
    return 1.0 + (beta_max - 1.0) * math.sqrt(p)                    # sqrt


def gumbel_noise(shape: tuple[int, ...], device: torch.device | str = "cpu",
                 rng: torch.Generator | None = None) -> torch.Tensor:
    """Standard Gumbel noise -log(-log(u + eps) + eps), u ~ U[0, 1) (RelGAN's add_gumbel)."""
    u = torch.rand(shape, generator=rng, device=device)
    return -torch.log(-torch.log(u + _EPS) + _EPS)


class _StraightThrough(torch.autograd.Function):
    """Forward the exact one-hot, backward the gradient to the soft draw (hard + soft - soft.detach()
    is not exactly one-hot in floating point)."""

    @staticmethod
    def forward(ctx, soft: torch.Tensor, hard: torch.Tensor) -> torch.Tensor:
        return hard.clone()

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad, None


def gumbel_softmax(logits: torch.Tensor, beta: float, noise: torch.Tensor | None = None,
                   straight_through: bool = False, rng: torch.Generator | None = None
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """One relaxed draw per row: logits (B, V) -> (soft (B, V) summing to 1, token ids (B,)).

    `noise` (B, V) fixes the Gumbel perturbation (else drawn from `rng` / the global RNG).
    """
    logits = logits.float()
    if noise is None:
        noise = gumbel_noise(tuple(logits.shape), logits.device, rng)
    perturbed = logits + noise                                      # (B, V)
    token = perturbed.detach().argmax(dim=-1)                       # (B,)
    soft = torch.softmax(beta * perturbed, dim=-1)                  # (B, V)
    if straight_through:
        hard = F.one_hot(token, logits.shape[-1]).to(soft.dtype)
        soft = _StraightThrough.apply(soft, hard)                   # forward: one-hot; backward: soft
    return soft, token


def gumbel_decode(generator: nn.Module, batch: int, seq_len: int, beta: float, *,
                  straight_through: bool = False, feedback: str = "soft", eos_id: int | None = None,
                  pad_id: int = 0, rng: torch.Generator | None = None
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode `batch` sequences with Gumbel-softmax -> (soft one-hots (B, T, V), token ids (B, T)).

    Differentiable in the generator's parameters (run it under `torch.no_grad()` when no gradient is
    needed). After a row's first EOS, its positions hold `pad_id` and their soft one-hots are the constant
    one_hot(pad_id), exactly what a padded real sequence looks like to the discriminator.
    """
    if feedback not in ("soft", "hard"):
        raise ValueError(f"feedback must be 'soft' or 'hard', got {feedback!r}")
    check_decode_length(generator, seq_len)
    device = next(generator.parameters()).device
    state = generator.init_state(batch)
    inputs: torch.Tensor = torch.full((batch,), generator.bos_id, dtype=torch.long, device=device)
    finished = torch.zeros(batch, dtype=torch.bool, device=device)
    softs, tokens = [], []
    pad_row = None
    for _ in range(seq_len):
        logits, state = generator.step(inputs, state)               # (B, V)
        soft, token = gumbel_softmax(logits, beta, straight_through=straight_through, rng=rng)
        if eos_id is not None:
            if pad_row is None:
                pad_row = F.one_hot(torch.tensor(pad_id, device=device), soft.shape[-1]).to(soft.dtype)
            soft = torch.where(finished[:, None], pad_row, soft)
            token = token.masked_fill(finished, pad_id)
            finished = finished | (token == eos_id)
        softs.append(soft)
        tokens.append(token)
        inputs = soft if feedback == "soft" else token
    return torch.stack(softs, dim=1), torch.stack(tokens, dim=1)     # (B, T, V), (B, T)
