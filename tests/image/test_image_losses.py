"""The losses and penalties the image baseline uses (textgan/losses.py), against hand-computed values on
fixed inputs; the gradient penalty of a linear critic; spectral norm bounding D's largest singular value."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from textgan.image.nets import NetConfig, apply_spectral_norm, build_networks
from textgan.losses import discriminator_loss, dragan_penalty, generator_loss, wgan_gradient_penalty

REAL = torch.tensor([2.0, -1.0])
FAKE = torch.tensor([0.5, -3.0])


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


# (loss, D loss, G loss) by hand for REAL / FAKE
KNOWN = {
    "standard": ((softplus(-2) + softplus(1)) / 2 + (softplus(0.5) + softplus(-3)) / 2,
                 (softplus(-0.5) + softplus(3)) / 2),
    "wasserstein": ((0.5 - 3.0) / 2 - (2.0 - 1.0) / 2, -(0.5 - 3.0) / 2),
    "lsgan": (0.5 * ((1.0 + 4.0) / 2 + (0.25 + 9.0) / 2), 0.5 * ((0.25 + 16.0) / 2)),
    "hinge": ((0.0 + 2.0) / 2 + (1.5 + 0.0) / 2, -(0.5 - 3.0) / 2),
}


@pytest.mark.parametrize("name", KNOWN)
def test_loss_known_values(name):
    d_expected, g_expected = KNOWN[name]
    assert discriminator_loss(name, REAL, FAKE).item() == pytest.approx(d_expected, rel=1e-6)
    assert generator_loss(name, REAL, FAKE).item() == pytest.approx(g_expected, rel=1e-6)


class Linear(nn.Module):
    """D(x) = <w, x> + b: its input gradient is w everywhere."""

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1) @ self.w + 0.3


@pytest.mark.parametrize("w", [[3.0, 4.0], [0.6, 0.0], [1.0, 0.0]])
def test_gradient_penalties_of_a_linear_critic(w):
    critic = Linear(torch.tensor(w))
    norm = math.hypot(*w)
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    gp = wgan_gradient_penalty(critic, real, fake)
    assert gp.item() == pytest.approx((norm - 1.0) ** 2, rel=1e-5, abs=1e-9)
    assert dragan_penalty(critic, real).item() == pytest.approx((norm - 1.0) ** 2, rel=1e-5, abs=1e-9)
    gp.backward()  # d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w|
    torch.testing.assert_close(critic.w.grad, 2 * (norm - 1) * torch.tensor(w) / norm)


def test_gradient_penalty_on_images_uses_per_sample_norms():
    w = torch.full((1 * 4 * 4,), 0.5)          # |w| = 0.5 * 4 = 2
    critic = Linear(w)
    gp = wgan_gradient_penalty(critic, torch.randn(8, 1, 4, 4), torch.randn(8, 1, 4, 4))
    assert gp.item() == pytest.approx(1.0, rel=1e-5)


def largest_singular_value(weight: torch.Tensor) -> float:
    return torch.linalg.matrix_norm(weight.flatten(1), ord=2).item()


@pytest.mark.parametrize("shape", [(2,), (1, 16, 16)])
def test_spectral_norm_bounds_largest_singular_value(shape):
    torch.manual_seed(0)
    _, d = build_networks(NetConfig(hidden=32, channels=4), shape, 10, use_spectral_norm=True)
    layers = [m for m in d.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    assert layers and all(hasattr(m, "parametrizations") for m in layers)
    for m in layers:  # scale the raw weight up: the normalised one must not follow
        with torch.no_grad():
            m.parametrizations.weight.original.mul_(25.0)
    d.train()
    x = torch.randn(4, *shape)
    for _ in range(30):  # power iterations run on each training-mode forward
        d(x)
    for m in layers:
        assert largest_singular_value(m.weight) == pytest.approx(1.0, abs=0.05)


def test_without_spectral_norm_the_singular_value_is_unconstrained():
    layer = apply_spectral_norm(nn.Sequential(nn.Linear(8, 8)))[0]
    plain = nn.Linear(8, 8)
    with torch.no_grad():
        plain.weight.mul_(25.0)
    assert largest_singular_value(plain.weight) > 2.0
    layer.train()
    for _ in range(30):
        layer(torch.randn(2, 8))
    assert largest_singular_value(layer.weight) == pytest.approx(1.0, abs=0.05)
