"""Tests of textgan.kernel_mmd: the Gaussian-kernel MMD^2 against a direct double loop, zero on identical
sets, growth with a shift, and gradients."""

from __future__ import annotations

import math

import pytest
import torch

from textgan.kernel_mmd import gaussian_kernel, mmd2, squared_distances


def _direct_mmd2(x, y, bandwidths, unbiased):
    """Textbook MMD^2 with explicit loops over pairs (float64)."""
    def k(a, b):
        d2 = sum((float(p) - float(q)) ** 2 for p, q in zip(a, b))
        return sum(math.exp(-d2 / (2 * s * s)) for s in bandwidths)

    def mean_within(s):
        pairs = [(i, j) for i in range(len(s)) for j in range(len(s)) if not (unbiased and i == j)]
        return sum(k(s[i], s[j]) for i, j in pairs) / len(pairs)

    cross = sum(k(a, b) for a in x for b in y) / (len(x) * len(y))
    return mean_within(x) + mean_within(y) - 2 * cross


@pytest.mark.parametrize("unbiased", [False, True])
def test_mmd2_equals_direct_computation(unbiased):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(5, 3, generator=g, dtype=torch.float64)
    y = torch.randn(4, 3, generator=g, dtype=torch.float64) + 0.5
    bandwidths = [0.5, 1.0, 3.0]
    got = mmd2(x, y, bandwidths, unbiased=unbiased).item()
    assert got == pytest.approx(_direct_mmd2(x.tolist(), y.tolist(), bandwidths, unbiased), rel=1e-10, abs=1e-12)


def test_kernel_and_distances_known_values():
    a = torch.tensor([[0.0, 0.0], [3.0, 4.0]], dtype=torch.float64)
    torch.testing.assert_close(squared_distances(a, a), torch.tensor([[0.0, 25.0], [25.0, 0.0]], dtype=torch.float64))
    k = gaussian_kernel(a, a, [5.0])
    torch.testing.assert_close(k, torch.tensor([[1.0, math.exp(-0.5)], [math.exp(-0.5), 1.0]], dtype=torch.float64))
    assert gaussian_kernel(a, a, [1.0, 2.0])[0, 0].item() == 2.0   # kernels are summed over bandwidths


def test_identical_sets_give_zero_and_a_shift_makes_it_grow():
    x = torch.randn(32, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert mmd2(x, x.clone(), [1.0, 2.0]).item() == pytest.approx(0.0, abs=1e-12)
    values = [mmd2(x, x + shift, [1.0, 2.0]).item() for shift in (0.1, 0.5, 1.0, 3.0)]
    assert all(b > a > 0 for a, b in zip(values, values[1:])), values
    assert values[-1] < 2 * 2  # bounded by 2 x (number of kernels)


def test_gradient_pulls_samples_together():
    y = torch.zeros(8, 2)
    x = (torch.ones(8, 2) + 0.1 * torch.randn(8, 2, generator=torch.Generator().manual_seed(2))).requires_grad_()
    mmd2(x, y, [1.0]).backward()
    assert torch.isfinite(x.grad).all()
    assert (x.grad > 0).all()  # moving x towards y (decreasing x) lowers the MMD


def test_no_bandwidth_is_an_error():
    with pytest.raises(ValueError, match="bandwidth"):
        mmd2(torch.zeros(2, 2), torch.zeros(2, 2), [])
