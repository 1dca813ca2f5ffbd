"""MaliGAN's normalised importance weights (Che et al. 2017, arXiv 1702.07983, Algorithms 1 and 2).

With an optimal D, p_data(x) / p_G(x) = D(x) / (1 - D(x)) = r_D(x); MaliGAN weights each sample's
log-likelihood gradient by r_D normalised over the samples it is compared with, minus a baseline. Used by
MaliGAN-basic (`maligan.py`: over the batch) and MaliGAN-full (`maligan_mixed.py`: over the continuations
of one prefix).
"""

from __future__ import annotations

import torch


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
