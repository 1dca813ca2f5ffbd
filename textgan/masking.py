"""Masking schemes for in-filling models (MaskGAN, Fedus, Goodfellow & Dai 2018, arXiv 1801.07736).

A mask says which positions of a sequence are *present* (given to the generator, copied unchanged) and
which are *masked* (to be filled in). MaskGAN's two schemes, both at a configurable present rate
(the paper: 0.5 present, contiguous):

- `random`: every maskable position is present with probability `present_rate`, independently.
- `contiguous`: one block of round((1 - present_rate) * L) consecutive positions is masked, its start
  uniform over the positions where it fits.

What counts as maskable, and where we deviate from the paper's code:
- A row holds L = `length` maskable positions: the real tokens and, for real text, the EOS (so the
  generator also learns where a sentence ends). The paper's code works on fixed-length windows without
  EOS and never masks position 0 (its block starts at 1 and is one token shorter than (1 - rate) * T);
  we mask relative to each sentence's own length and let the block start anywhere.
- When a row's EOS is masked, the padding after it is masked too: the sentence's length is then
  unknown to the generator, exactly as in unconditional sampling from an all-masked input. Masked
  padding is never a training target (losses stop at the EOS).

Every function draws from the given `torch.Generator` (or the global RNG, which the training loop
checkpoints), so masks are reproducible and resumed runs identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from textgan.config import param

SCHEMES = ("contiguous", "random")


@dataclass
class MaskConfig:
    scheme: str = param("contiguous", choices=SCHEMES,
                        help="which positions are masked: one contiguous block (MaskGAN paper) or random positions")
    present_rate: float = param(0.5, min=0.0, max=1.0,
                                help="fraction of each sentence's positions left present (MaskGAN: 0.5)")


def make_mask(lengths: torch.Tensor, seq_len: int, scheme: str = "contiguous", present_rate: float = 0.5,
              has_eos: bool = True, rng: torch.Generator | None = None) -> torch.Tensor:
    """Present-mask (B, T) bool for rows of `lengths` (B,) maskable positions; True = present.

    With `has_eos`, position length - 1 is the EOS and masking it masks the padding after it too.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown masking scheme {scheme!r}; use one of {SCHEMES}")
    b = lengths.shape[0]
    device = lengths.device
    pos = torch.arange(seq_len, device=device)[None, :]                        # (1, T)
    inside = pos < lengths[:, None]                                           # (B, T) maskable
    if scheme == "random":
        u = torch.rand(b, seq_len, generator=rng, device=device)
        present = (u < present_rate) | ~inside
    else:
        k = torch.floor((1.0 - present_rate) * lengths.double() + 0.5).long()  # (B,) masked count
        u = torch.rand(b, generator=rng, device=device, dtype=torch.float64)
        start = torch.floor(u * (lengths - k + 1).double()).long()             # uniform in [0, L - k]
        start = torch.minimum(start, lengths - k)
        masked = (pos >= start[:, None]) & (pos < (start + k)[:, None])
        present = ~masked
    if has_eos:
        eos_masked = ~present.gather(1, (lengths - 1).clamp(min=0)[:, None])   # (B, 1)
        present = present & ~(eos_masked & ~inside)
    return present


def mask_tokens(tokens: torch.Tensor, present: torch.Tensor, mask_id: int) -> torch.Tensor:
    """The generator's view m(x): tokens (B, T) with every masked position replaced by `mask_id`."""
    return tokens.masked_fill(~present, mask_id)


def target_positions(present: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """(B, T) bool: masked positions that hold a real token or the EOS (what a loss is taken over)."""
    pos = torch.arange(present.shape[1], device=present.device)[None, :]
    return ~present & (pos < lengths[:, None])


def filled_spans(present: torch.Tensor, length: int) -> list[tuple[int, int]]:
    """Maximal runs [start, end) of masked positions below `length` in one row `present` (T,)."""
    spans, start = [], None
    for t, is_present in enumerate(present[:length].tolist()):
        if not is_present and start is None:
            start = t
        elif is_present and start is not None:
            spans.append((start, t))
            start = None
    if start is not None:
        spans.append((start, length))
    return spans
