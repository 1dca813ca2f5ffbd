"""Per-token log-probabilities of given tokens, the quantity every policy-gradient loss is built on.

`gather_log_probs` takes logits a model has already computed (LeakGAN's worker, MaskGAN's in-filling
generator); `token_log_probs` runs an autoregressive generator under teacher forcing first (SeqGAN,
MaliGAN, RankGAN). Both work in float32 whatever the logits' dtype, so mixed-precision runs do not lose
the small differences between log-probabilities that REINFORCE multiplies by rewards.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def gather_log_probs(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """log p(y_t) of the given tokens: logits (B, T, V), tokens (B, T) -> (B, T), float32."""
    return F.log_softmax(logits.float(), dim=-1).gather(2, tokens[..., None]).squeeze(2)


def token_log_probs(generator: nn.Module, tokens: torch.Tensor) -> torch.Tensor:
    """log pi(y_t | y_<t) of every token of `tokens` (B, T) under teacher forcing -> (B, T), float32."""
    return gather_log_probs(generator(tokens), tokens)
