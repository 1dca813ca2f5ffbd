"""MaliGAN (Che et al. 2017, arXiv 1702.07983): SeqGAN's training with normalised importance rewards.

MaliGAN reads D's output as a likelihood ratio: with an optimal D, p_data(x) / p_G(x) = D(x) / (1 - D(x))
= r_D(x). Its generator gradient (Algorithm 1, "MaliGAN-basic") over m samples x_i ~ G is

    grad = sum_i ( r_D(x_i) / sum_j r_D(x_j)  -  b ) grad log p_G(x_i),

self-normalised importance weights minus a baseline b. We take b = 1/m, the mean of the normalised
weights, so the per-batch rewards sum to zero (TextGAN-PyTorch's MaliGAN subtracts the same mean).
r_D / sum r_D is a softmax over the batch of D's logits (r_D = exp(logit)), computed that way for
numerical stability. Everything else — phases, D, REINFORCE loss (a mean instead of the sum, see
seqgan.py), optimisers — is SeqGAN's; only the `rewards` hook differs.

`maligan.reward` picks the variant:
- "sequence" (default): MaliGAN-basic, one weight per sequence from D(full sequence), given to every
  token up to and including EOS. No rollouts, so a G step is far cheaper than SeqGAN's.
- "rollout": the same normalisation applied per position to SeqGAN's Monte Carlo rollout estimates
  (mean over rollouts of D(completion)), normalising over the batch's sequences still running at that
  position — the per-token form the Texygen benchmark runs. This is neither of the paper's two named
  variants exactly: the paper's "MaliGAN-full" adds mixed MLE training on real-data prefixes
  (Algorithm 2), which is not implemented here (`adversarial.mle_every` only interleaves plain MLE epochs).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from textgan.config import param
from textgan.gans.seqgan import SeqGAN
from textgan.rollout import discriminator_logits, eos_mask

_EPS = 1e-6


@dataclass
class MaliGANConfig:
    reward: str = param("sequence", choices=["sequence", "rollout"],
                        help="'sequence': MaliGAN-basic weights from D(full sequence); 'rollout': per-token "
                             "weights from Monte Carlo rollouts (see textgan/gans/maligan.py)")


def maligan_rewards(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Normalised importance weights minus the baseline 1/m, per column.

    logits (B, T): D's logit (log r_D) for each sequence (or prefix estimate); mask (B, T) bool: which
    entries take part. Column t: softmax over the rows with mask[:, t] of logits[:, t], minus 1/m_t
    (m_t = rows taking part); masked entries are 0.
    """
    masked = logits.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(masked, dim=0).nan_to_num(0.0)      # (B, T); all-masked columns -> 0
    count = mask.sum(dim=0, keepdim=True).clamp(min=1)          # (1, T)
    return (weights - 1.0 / count) * mask


class MaliGAN(SeqGAN):
    def rewards(self, samples: torch.Tensor, states: tuple[torch.Tensor, ...] | None
                ) -> tuple[torch.Tensor, dict[str, float]]:
        mask = eos_mask(samples, self.eos_id)                   # (B, T)
        if self.ctx.cfg.maligan.reward == "rollout":
            probs, info = super().rewards(samples, states)      # (B, T) mean D over rollouts, 0 after EOS
            p = probs.clamp(_EPS, 1.0 - _EPS)
            logits = torch.log(p) - torch.log1p(-p)             # log r_D of the rollout estimate
        else:
            seq_logits = discriminator_logits(self.discriminator, samples, self.adv.d_chunk_rows,
                                              self.adv.score_bf16)                           # (B,)
            logits = seq_logits[:, None].expand_as(mask)
            info = {"d_gen": float(torch.sigmoid(seq_logits).mean())}
        rewards = maligan_rewards(logits, mask)
        return rewards, {**info, "reward_abs": float(rewards.abs().sum() / mask.sum())}
