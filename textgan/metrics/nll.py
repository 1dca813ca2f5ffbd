"""Negative log-likelihood metrics (SeqGAN's NLL-oracle; NLL-test / NLL-gen of the RelGAN tables).

- `sequence_nll`: mean per-token NLL of a batch of sequences under a generator. The default counts
  real tokens and EOS, not padding; `convention="padded"` averages over every position of the padded
  rows, padding included, as the peer toolkits' tables do (useful only to compare with them).
- `nll_oracle`: NLL of generated samples under the oracle (synthetic benchmark only).

`temperature` scores under softmax(logits / T), the temperature-scaled model that sampling at T draws
from; the quality-diversity sweep of Caccia et al. ("Language GANs Falling Short", 2020) plots
NLL-oracle of samples at T against NLL-test of that scaled model.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from textgan.sampling import filter_logits

CONVENTIONS = ("tokens", "padded")


@torch.inference_mode()
def sequence_nll(generator: nn.Module, tokens: torch.Tensor, lengths: torch.Tensor | None = None,
                 convention: str = "tokens", batch_size: int | None = None, temperature: float = 1.0) -> float:
    """Mean per-token NLL (nats) of `tokens` (N, T) under `generator` (its logits divided by `temperature`).

    Batches default to about 512 token positions: the (rows, V) logits then stay in cache, which on a
    CPU is several times faster than one large batch.
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown NLL convention {convention!r}; use one of {CONVENTIONS}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    from textgan.sampling import check_generator

    check_generator(generator, "sequence_nll")
    if isinstance(tokens, torch.Tensor) and not tokens.dtype.is_floating_point:
        tokens = tokens.long()  # int32 ids (torch.from_numpy) and the like: cross_entropy wants int64
    if lengths is not None:
        lengths = torch.as_tensor(lengths)
    _check_tokens(generator, tokens, lengths)
    was_training = generator.training
    generator.eval()
    device = next(generator.parameters()).device
    total, count = 0.0, 0
    n, t = tokens.shape
    batch_size = batch_size or max(1, 512 // t)
    for start in range(0, n, batch_size):
        batch = tokens[start:start + batch_size].to(device)
        # the sampler's own scaling: logits / T overflows to NaN for T near 0, where the limit is greedy
        logits = filter_logits(generator(batch).float(), temperature)            # (B, T, V)
        # flattened (B*T, V) rows: the contiguous layout is ~4x faster on CPU than (B, V, T)
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch.reshape(-1),
                              reduction="none").view(batch.shape)                # (B, T)
        if lengths is not None and convention == "tokens":
            lens = lengths[start:start + batch_size].to(device)
            mask = torch.arange(t, device=device)[None, :] < lens[:, None]
            total += nll[mask].double().sum().item()
            count += int(mask.sum().item())
        else:
            total += nll.double().sum().item()
            count += nll.numel()
    generator.train(was_training)
    return total / max(count, 1)


def _check_tokens(generator: nn.Module, tokens: torch.Tensor, lengths: torch.Tensor | None) -> None:
    """A ValueError / TypeError naming what is wrong with the input, instead of 0.0 for nothing to score or
    an IndexError from inside the embedding."""
    if not isinstance(tokens, torch.Tensor) or tokens.dim() != 2 or tokens.dtype.is_floating_point:
        got = f"a {tuple(tokens.shape)} {tokens.dtype} tensor" if isinstance(tokens, torch.Tensor) \
            else type(tokens).__name__
        raise TypeError(f"sequence_nll takes token ids as an (N, T) integer tensor, got {got}; encode sentences "
                        "with the run's vocabulary first (textgan.data.corpus.Corpus.from_sequences)")
    if tokens.shape[0] == 0 or tokens.shape[1] == 0:
        raise ValueError(f"sequence_nll needs at least one sequence of at least one token, got {tuple(tokens.shape)}")
    vocab_size = getattr(generator, "vocab_size", None)
    if vocab_size is not None and (int(tokens.min()) < 0 or int(tokens.max()) >= vocab_size):
        raise ValueError(f"token ids must lie in 0..{vocab_size - 1} (the generator's vocabulary), got "
                         f"{int(tokens.min())}..{int(tokens.max())}")
    if lengths is not None:
        if lengths.shape != (tokens.shape[0],):
            raise ValueError(f"lengths must have one entry per sequence, shape ({tokens.shape[0]},), got "
                             f"{tuple(lengths.shape)}")
        if int(lengths.min()) < 0 or int(lengths.max()) > tokens.shape[1] or int(lengths.sum()) == 0:
            raise ValueError(f"lengths must lie in 0..{tokens.shape[1]} (the sequence length) and not all be 0, "
                             f"got {int(lengths.min())}..{int(lengths.max())}")


def nll_oracle(oracle: nn.Module, samples: torch.Tensor, batch_size: int | None = None) -> float:
    """NLL-oracle: mean per-token NLL of generated samples (N, T) under the oracle."""
    return sequence_nll(oracle, samples, None, batch_size=batch_size)
