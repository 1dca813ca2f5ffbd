"""Kernel maximum mean discrepancy (Gretton et al. 2012, JMLR) with a sum of Gaussian kernels.

TextGAN's feature-matching loss (Zhang et al., ICML 2017, arXiv 1706.03850, eq. 3):

    MMD^2(X, Y) = E k(x, x') + E k(y, y') - 2 E k(x, y),   k(a, b) = sum_s exp(-||a - b||^2 / (2 s^2))

over the bandwidths s (the official TextGAN code sums the kernel over its `sigma_range` the same way).
`unbiased=False` is the V-statistic (means over all pairs, diagonals included, as TextGAN's code);
`unbiased=True` drops the k(x_i, x_i) and k(y_j, y_j) terms (Gretton et al.'s unbiased estimate, which
can be slightly negative).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def squared_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """||a_i - b_j||^2 for a (n, F), b (m, F) -> (n, m), clamped at 0 against rounding."""
    sq = a.square().sum(1)[:, None] + b.square().sum(1)[None, :] - 2.0 * a @ b.T
    return sq.clamp(min=0.0)


def gaussian_kernel(a: torch.Tensor, b: torch.Tensor, bandwidths: Sequence[float]) -> torch.Tensor:
    """sum over s of exp(-||a_i - b_j||^2 / (2 s^2)) -> (n, m)."""
    d2 = squared_distances(a, b)
    return sum(torch.exp(-d2 / (2.0 * s * s)) for s in bandwidths)


def _mean(k: torch.Tensor, drop_diagonal: bool) -> torch.Tensor:
    if not drop_diagonal:
        return k.mean()
    n = k.shape[0]
    return (k.sum() - k.diagonal().sum()) / max(n * (n - 1), 1)


def mmd2(x: torch.Tensor, y: torch.Tensor, bandwidths: Sequence[float], unbiased: bool = False) -> torch.Tensor:
    """Squared MMD between samples x (n, F) and y (m, F) under the summed Gaussian kernel (scalar)."""
    if not bandwidths:
        raise ValueError("mmd2 needs at least one bandwidth")
    k_xx = _mean(gaussian_kernel(x, x, bandwidths), unbiased)
    k_yy = _mean(gaussian_kernel(y, y, bandwidths), unbiased)
    k_xy = gaussian_kernel(x, y, bandwidths).mean()
    return k_xx + k_yy - 2.0 * k_xy
