"""Shared GAN losses and gradient penalties (textgan/losses.py)."""

import math

import pytest
import torch

from textgan.config import ConfigError
from textgan.losses import (
    GAN_LOSSES,
    discriminator_loss,
    dragan_penalty,
    generator_loss,
    get_gan_loss,
    wgan_gradient_penalty,
)


def test_standard_loss_matches_its_definition():
    real, fake = torch.tensor([0.3, -1.2]), torch.tensor([2.0, -0.5])
    d = -(torch.log(torch.sigmoid(real)).mean() + torch.log(1 - torch.sigmoid(fake)).mean())
    g = -torch.log(torch.sigmoid(fake)).mean()
    assert discriminator_loss("standard", real, fake).item() == pytest.approx(d.item(), rel=1e-6)
    assert generator_loss("standard", real, fake).item() == pytest.approx(g.item(), rel=1e-6)


def test_rsgan_is_relativistic_and_pairs_by_index():
    real, fake = torch.tensor([1.0, 2.0]), torch.tensor([0.5, 3.0])
    expected = -torch.log(torch.sigmoid(real - fake)).mean()
    assert discriminator_loss("rsgan", real, fake).item() == pytest.approx(expected.item(), rel=1e-6)
    # Shifting both outputs by a constant changes nothing: only the difference matters.
    assert discriminator_loss("rsgan", real + 7, fake + 7).item() == pytest.approx(expected.item(), rel=1e-6)


def test_hinge_wasserstein_lsgan_values():
    real, fake = torch.tensor([0.5, 2.0]), torch.tensor([-2.0, 0.0])
    assert discriminator_loss("hinge", real, fake).item() == pytest.approx((0.5 + 0.0) / 2 + (0.0 + 1.0) / 2)
    assert generator_loss("hinge", real, fake).item() == pytest.approx(1.0)
    assert discriminator_loss("wasserstein", real, fake).item() == pytest.approx(-1.0 - 1.25)
    assert discriminator_loss("lsgan", real, fake).item() == pytest.approx(0.5 * ((0.25 + 1.0) / 2 + 2.0))
    assert generator_loss("lsgan", real, fake).item() == pytest.approx(0.5 * (9.0 + 1.0) / 2)


@pytest.mark.parametrize("name", sorted(GAN_LOSSES))
def test_generator_gradient_pushes_fake_towards_real(name):
    fake = torch.zeros(4, requires_grad=True)
    generator_loss(name, torch.ones(4), fake).backward()
    assert (fake.grad < 0).all()  # descending the loss raises the fake outputs


def test_unknown_loss_names_the_key():
    with pytest.raises(ConfigError, match="config key 'adversarial.loss'.*rsgan"):
        get_gan_loss("nope", key="adversarial.loss")


def test_wgan_penalty_is_zero_for_a_unit_slope_critic():
    w = torch.tensor([0.6, 0.8])  # |w| = 1: the gradient norm is 1 everywhere
    critic = lambda x: x @ w
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    assert wgan_gradient_penalty(critic, real, fake).item() == pytest.approx(0.0, abs=1e-10)
    steep = lambda x: 3 * (x @ w)
    assert wgan_gradient_penalty(steep, real, fake).item() == pytest.approx(4.0, rel=1e-5)


def test_penalties_are_differentiable_in_the_critic():
    w = torch.tensor([1.5, 0.0], requires_grad=True)
    critic = lambda x: (x * w).sum(dim=1) ** 2
    real = torch.randn(6, 2)
    dragan_penalty(critic, real, generator=torch.Generator().manual_seed(0)).backward()
    assert w.grad is not None and torch.isfinite(w.grad).all() and w.grad.abs().sum() > 0


def test_dragan_perturbs_real_data_only_and_works_on_soft_one_hots():
    soft = torch.softmax(torch.randn(3, 5, 7), dim=-1)  # (B, T, V) relaxed text
    w = torch.randn(7)
    critic = lambda x: (x @ w).sum(dim=1)
    grad_norm = w.norm() * math.sqrt(5)  # D is linear: its input gradient is w at each of T positions
    value = dragan_penalty(critic, soft, generator=torch.Generator().manual_seed(1))
    assert value.item() == pytest.approx((grad_norm.item() - 1.0) ** 2, rel=1e-5)


def test_dragan_probes_random_points_between_real_data_and_its_perturbation():
    # the paper's code: x + alpha * (x_p - x), x_p = x + 0.5 std(x) U[0, 1], alpha ~ U[0, 1] per sample;
    # D(x) = |x|^2 / 2 reports where it was evaluated through its gradient (= the point itself)
    seen = []

    def critic(x):
        seen.append(x.detach().clone())
        return 0.5 * x.square().sum(dim=1)

    real = torch.randn(20000, 2)
    dragan_penalty(critic, real, scale=0.5, generator=torch.Generator().manual_seed(0))
    step = (seen[0] - real) / (0.5 * real.std())                  # alpha * U[0, 1] per element
    assert step.min() >= 0 and step.max() <= 1
    assert step.mean().item() == pytest.approx(0.25, abs=0.01)   # E[alpha] E[U] = 1/4 (without alpha: 1/2)
    # one alpha per sample: the two coordinates' steps are correlated through it
    assert torch.corrcoef(step.T)[0, 1].item() == pytest.approx(3 / 7, abs=0.03)
