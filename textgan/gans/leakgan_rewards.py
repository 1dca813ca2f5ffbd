"""LeakGAN's rewards and generator losses (Guo et al. 2018, arXiv 1709.08624, Sec. "Training of G" and
"Training Techniques").

- `rescaled_activation`: bootstrapped rescaled activation. Column t of a batch's rewards (B, T) is
  replaced by sigma(delta * (0.5 - rank(i) / B)), rank(i) = 1 for the highest reward of the column; so
  the rewards of every step have the same spread whatever D's scale.
- `carry_final_value`: on text, a sequence that ended before column t takes part in column t's ranking with
  its final value (D of the whole sequence), so every column ranks all B rows. (Ranking only the rows still
  running gave the few long samples' late columns a small B_t, and a lone survivor the lowest value,
  sigma(-delta / 2), whatever D said; the paper's oracle has no EOS, where both readings agree.)
- `manager_loss`: -mean Q_t * cos(f_{t+c} - f_t, g_t) (adversarial) or -mean cos(...) on real text
  (pretraining, Q = 1). Q_t: the rescaled Monte Carlo value of the prefix after the c tokens the
  goal's window covers, i.e. column t + c - 1 of the per-token rollout rewards (a reading of the
  paper's Q_F(s_t, g_t); the reference code scores one rollout per window of c tokens and pairs it
  with that window's goal in the same way).
- `worker_loss`: REINFORCE, -mean log p(y_t) * (r^I_t + lambda * extrinsic_t) over the unmasked tokens,
  r^I_t the intrinsic reward (textgan/nn/leakgan_generator.py); lambda = `leakgan.worker_extrinsic`.
  p is the worker's policy at the temperature alpha the samples were drawn at, softmax(O_t w_t / alpha).
"""

from __future__ import annotations

import torch

from textgan.gans.log_probs import gather_log_probs
from textgan.nn.leakgan_generator import Unrolled, intrinsic_rewards, manager_cosines
from textgan.sampling import filter_logits


def rescaled_activation(rewards: torch.Tensor, delta: float, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Rank-based rescaling per column: rewards (B, T) -> sigma(delta (0.5 - rank / B_t)), 0 where masked.

    Ranks are 1 (highest) .. B_t among the unmasked rows of column t (ties: the earlier row ranks higher).
    """
    if mask is None:
        mask = torch.ones_like(rewards, dtype=torch.bool)
    keyed = rewards.float().masked_fill(~mask, float("-inf"))
    order = torch.sort(keyed, dim=0, descending=True, stable=True).indices        # (B, T)
    rank = torch.empty_like(order)
    rank.scatter_(0, order, torch.arange(1, rewards.shape[0] + 1, device=rewards.device)[:, None].expand_as(order))
    count = mask.sum(dim=0, keepdim=True).clamp(min=1)                             # (1, T)
    return torch.sigmoid(delta * (0.5 - rank / count)) * mask


def carry_final_value(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """values (B, T) with each row's entries after its last real token (mask False) replaced by the value at
    that token: a finished sequence's value is its own from then on."""
    last = (mask.sum(dim=1, keepdim=True) - 1).clamp(min=0)                        # (B, 1)
    return torch.where(mask, values, values.gather(1, last))


def _masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weight = mask.to(values.dtype)
    return (values * weight).sum() / weight.sum().clamp(min=1.0)


def manager_loss(out: Unrolled, window: int, mask: torch.Tensor, values: torch.Tensor | None = None) -> torch.Tensor:
    """-mean over goals t = 0..T-c of Q_t cos(f_{t+c} - f_t, g_t); values (B, T) per-token Q (None = 1).

    mask (B, T): real tokens; a goal counts when its window starts inside the sequence (mask[:, t]).
    """
    cos = manager_cosines(out.features, out.goals, window)                         # (B, T - c + 1)
    span = cos.shape[1]
    q = 1.0 if values is None else values[:, window - 1:window - 1 + span]
    return -_masked_mean(q * cos, mask[:, :span])


def worker_loss(out: Unrolled, tokens: torch.Tensor, window: int, mask: torch.Tensor,
                extrinsic: torch.Tensor | None = None, weight: float = 0.0, temperature: float = 1.0
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """REINFORCE on the intrinsic (+ weighted extrinsic) reward -> (loss, intrinsic rewards (B, T)).

    `temperature`: the alpha `tokens` were sampled at; the policy whose log-probabilities are pushed is
    softmax(logits / alpha), else the update is off-policy whenever alpha != 1."""
    with torch.no_grad():
        reward = intrinsic_rewards(out.features, out.goals.detach(), window)       # (B, T)
    total = reward if extrinsic is None or weight == 0.0 else reward + weight * extrinsic
    logits = filter_logits(out.logits, temperature)  # the sampler's own scaling: finite even as alpha -> 0
    return -_masked_mean(gather_log_probs(logits, tokens) * total, mask), reward
