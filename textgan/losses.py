"""GAN losses and gradient penalties shared by every adversarial model, text or continuous.

Each loss is a pair of functions of the discriminator's raw outputs (logits / critic values, any shape,
batch first) on real and generated data, returning a scalar to *minimise*:

- `standard`: the minimax game of Goodfellow et al. (2014), with the non-saturating generator loss
  -log D(G(z)) the paper recommends in practice.
- `rsgan`: relativistic standard GAN (Jolicoeur-Martineau 2018, arXiv 1807.00734), the loss RelGAN
  (Nie et al., ICLR 2019) uses: D(x_r, x_f) = sigmoid(C(x_r) - C(x_f)), real and fake paired by index.
- `hinge`: hinge loss (Lim & Ye 2017; Miyato et al. 2018 with spectral normalisation).
- `wasserstein`: WGAN critic loss (Arjovsky et al. 2017); pair it with `wgan_gradient_penalty`
  (Gulrajani et al. 2017, arXiv 1704.00028) or weight clipping.
- `lsgan`: least squares GAN (Mao et al. 2017, arXiv 1611.04076) with targets a=0, b=c=1.

Penalties (add `weight * penalty` to the discriminator loss):
- `wgan_gradient_penalty`: (||grad_x D(x_hat)|| - 1)^2 at random interpolates of real and fake.
- `dragan_penalty`: DRAGAN (Kodali et al. 2017, arXiv 1705.07215), (||grad_x D(x_hat)|| - k)^2 at
  x_hat = x + alpha * delta, small perturbations of *real* data only (delta = c * std(x) * U[0, 1] per
  element, c = 0.5, alpha ~ U[0, 1] per sample, as the paper's code), so D stays smooth around the data
  manifold.

Inputs of the penalties are whatever D reads: images, 2-D points, or (B, T, V) soft one-hots of text.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from textgan.config import ConfigError

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _standard_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    # -log sigmoid(real) - log(1 - sigmoid(fake)), in the stable softplus form.
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def _standard_g(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return F.softplus(-fake).mean()  # non-saturating: -log D(G(z))


def _rsgan_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return F.softplus(-(real - fake)).mean()  # -log sigmoid(C(x_r) - C(x_f))


def _rsgan_g(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return F.softplus(-(fake - real)).mean()


def _hinge_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return torch.relu(1.0 - real).mean() + torch.relu(1.0 + fake).mean()


def _hinge_g(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean()


def _wasserstein_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return fake.mean() - real.mean()


def _wasserstein_g(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean()


def _lsgan_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return 0.5 * ((real - 1.0).square().mean() + fake.square().mean())


def _lsgan_g(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return 0.5 * (fake - 1.0).square().mean()


# name -> (discriminator loss, generator loss); both take (real outputs, fake outputs).
GAN_LOSSES: dict[str, tuple[LossFn, LossFn]] = {
    "standard": (_standard_d, _standard_g),
    "rsgan": (_rsgan_d, _rsgan_g),
    "hinge": (_hinge_d, _hinge_g),
    "wasserstein": (_wasserstein_d, _wasserstein_g),
    "lsgan": (_lsgan_d, _lsgan_g),
}


def get_gan_loss(name: str, key: str = "loss") -> tuple[LossFn, LossFn]:
    """(d_loss, g_loss) of the loss `name`; `key` names the config key in the error message."""
    if name not in GAN_LOSSES:
        raise ConfigError(f"config key '{key}' must be one of {', '.join(GAN_LOSSES)}; got {name!r}")
    return GAN_LOSSES[name]


def discriminator_loss(name: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return get_gan_loss(name)[0](real, fake)


def generator_loss(name: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return get_gan_loss(name)[1](real, fake)


def _input_gradient_norm(discriminator: Callable[[torch.Tensor], torch.Tensor], points: torch.Tensor) -> torch.Tensor:
    """||d sum D(points) / d points|| per sample (B,), differentiable (create_graph) for D's update."""
    points = points.detach().requires_grad_(True)
    out = discriminator(points)
    (grad,) = torch.autograd.grad(out.sum(), points, create_graph=True)
    return grad.flatten(1).norm(2, dim=1)


def wgan_gradient_penalty(discriminator: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                          fake: torch.Tensor, target: float = 1.0,
                          generator: torch.Generator | None = None) -> torch.Tensor:
    """WGAN-GP: mean (||grad D(eps x_r + (1 - eps) x_f)|| - target)^2, eps ~ U[0, 1] per sample."""
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(shape, generator=generator, device=real.device, dtype=real.dtype)
    mixed = eps * real.detach() + (1.0 - eps) * fake.detach()
    return (_input_gradient_norm(discriminator, mixed) - target).square().mean()


def dragan_penalty(discriminator: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                   scale: float = 0.5, target: float = 1.0,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """DRAGAN: mean (||grad D(x + alpha delta)|| - target)^2, delta = scale * std(x) * U[0, 1] elementwise.

    As the paper's code: std(x) is the standard deviation of the real batch (over all its elements), and
    the penalty is taken at a random point alpha ~ U[0, 1] (one per sample) of the segment from x to its
    perturbation x + delta, so it probes D near the data as well as at the perturbation's full reach.
    """
    real = real.detach()
    noise = torch.rand(real.shape, generator=generator, device=real.device, dtype=real.dtype)
    alpha = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), generator=generator, device=real.device,
                       dtype=real.dtype)
    perturbed = real + alpha * (scale * real.std() * noise)
    return (_input_gradient_norm(discriminator, perturbed) - target).square().mean()
