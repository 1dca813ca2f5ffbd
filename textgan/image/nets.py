"""Generators and discriminators for continuous data: MLPs for 2-D points, DCGAN-style convnets for images.

- MLP G / D for the 2-D mixtures (the Unrolled-GAN / VEEGAN setting, arXiv 1611.02163 / 1705.07761).
- DCGAN (Radford et al., arXiv 1511.06434): G projects z to a 4x4 map and doubles it with stride-2
  transposed convolutions, batch norm and ReLU, tanh out; D mirrors it with stride-2 convolutions and
  LeakyReLU(0.2), no pooling. D has no batch norm, so the per-sample gradient penalties of WGAN-GP and
  DRAGAN are well defined and spectral norm is the only normalisation where it is used.
- Conditional variant (CGAN, Mirza & Osindero, arXiv 1411.1784): the one-hot class label is concatenated to
  z in G and to D's input (as constant planes for images).
- Spectral normalisation (Miyato et al., arXiv 1802.05957) of every weight of D when `spectral_norm` is set.

Every generator takes `(z (B, z_dim), labels (B,) or None)` and exposes `z_dim` and `num_classes`
(0 = unconditional); every discriminator takes `(x, labels or None)` and returns logits (B,).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from textgan.config import param


@dataclass
class NetConfig:
    z_dim: int = param(16, min=1, help="dimension of the N(0, I) latent z")
    hidden: int = param(128, min=1, help="width of the MLP layers (2-D data)")
    layers: int = param(3, min=1, help="hidden layers of the MLPs (2-D data)")
    channels: int = param(32, min=1, help="DCGAN base width: G 2c -> c -> 1 channels, D c -> 2c (16x16 images)")
    conditional: bool = param(False, help="CGAN: condition G and D on the class label / mixture mode")
    init_std: float = param(0.02, min=0.0, help="DCGAN nets (images): weights from N(0, init_std), batch-norm "
                                                "scales from N(1, init_std), biases 0, as the DCGAN paper; 0 = "
                                                "PyTorch's default init. The MLPs (2-D data) keep PyTorch's",
                            before=0.0)  # runs saved before this key existed used PyTorch's default init


def one_hot(labels: torch.Tensor | None, num_classes: int, like: torch.Tensor) -> torch.Tensor | None:
    if not num_classes:
        return None
    if labels is None:
        raise ValueError("a conditional network needs class labels")
    return F.one_hot(labels, num_classes).to(like.dtype)  # (B, C)


def _mlp(sizes: list[int], act: nn.Module) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(act)
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    def __init__(self, cfg: NetConfig, out_dim: int, num_classes: int = 0) -> None:
        super().__init__()
        self.z_dim, self.num_classes = cfg.z_dim, num_classes
        self.net = _mlp([cfg.z_dim + num_classes] + [cfg.hidden] * cfg.layers + [out_dim], nn.ReLU())

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        y = one_hot(labels, self.num_classes, z)
        return self.net(z if y is None else torch.cat([z, y], dim=1))  # (B, out_dim)


class MLPDiscriminator(nn.Module):
    def __init__(self, cfg: NetConfig, in_dim: int, num_classes: int = 0) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.net = _mlp([in_dim + num_classes] + [cfg.hidden] * cfg.layers + [1], nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        y = one_hot(labels, self.num_classes, x)
        return self.net(x if y is None else torch.cat([x, y], dim=1)).squeeze(1)  # (B,)


def _num_upsamplings(size: int) -> int:
    n = int(round(math.log2(size / 4)))
    if size < 8 or 4 * 2**n != size:
        raise ValueError(f"DCGAN nets need a square image side of 4 * 2^k >= 8, got {size}")
    return n


class DCGANGenerator(nn.Module):
    """z (B, z_dim) -> (B, C_img, S, S) in [-1, 1], S = 4 * 2^n."""

    def __init__(self, cfg: NetConfig, shape: tuple[int, int, int], num_classes: int = 0) -> None:
        super().__init__()
        self.z_dim, self.num_classes = cfg.z_dim, num_classes
        n = _num_upsamplings(shape[-1])
        width = cfg.channels * 2 ** (n - 1)                        # 2c for 16x16
        self.start = (width, 4, 4)
        self.project = nn.Sequential(nn.Linear(cfg.z_dim + num_classes, width * 16, bias=False),
                                     nn.BatchNorm1d(width * 16), nn.ReLU())
        blocks: list[nn.Module] = []
        for _ in range(n - 1):
            blocks += [nn.ConvTranspose2d(width, width // 2, 4, stride=2, padding=1, bias=False),
                       nn.BatchNorm2d(width // 2), nn.ReLU()]
            width //= 2
        blocks += [nn.ConvTranspose2d(width, shape[0], 4, stride=2, padding=1), nn.Tanh()]
        self.up = nn.Sequential(*blocks)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        y = one_hot(labels, self.num_classes, z)
        h = self.project(z if y is None else torch.cat([z, y], dim=1))  # (B, 2c * 16) for 16x16
        return self.up(h.view(-1, *self.start))                          # (B, C_img, S, S)


class DCGANDiscriminator(nn.Module):
    """(B, C_img, S, S) -> logits (B,): stride-2 convolutions down to 4x4, LeakyReLU, a linear read-out."""

    def __init__(self, cfg: NetConfig, shape: tuple[int, int, int], num_classes: int = 0) -> None:
        super().__init__()
        self.num_classes = num_classes
        n = _num_upsamplings(shape[-1])
        width, blocks = cfg.channels, []
        in_ch = shape[0] + num_classes                             # label planes for CGAN
        for _ in range(n):
            blocks += [nn.Conv2d(in_ch, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            in_ch, width = width, width * 2
        self.down = nn.Sequential(*blocks)
        self.out = nn.Linear(in_ch * 16, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        y = one_hot(labels, self.num_classes, x)
        if y is not None:
            x = torch.cat([x, y[:, :, None, None].expand(-1, -1, *x.shape[2:])], dim=1)
        return self.out(self.down(x).flatten(1)).squeeze(1)      # (B,)


def dcgan_init(module: nn.Module, std: float) -> nn.Module:
    """DCGAN's initialisation (Radford et al. 2016, Sec. 4: "all weights were initialized from a zero-centered
    Normal distribution with standard deviation 0.02"), in place: every linear and (transposed) convolution
    weight from N(0, std); batch-norm scales from N(1, std), as the authors' code, so the scale starts near
    the identity; biases 0."""
    for child in module.modules():
        if isinstance(child, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(child.weight, 0.0, std)
        elif isinstance(child, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(child.weight, 1.0, std)
        else:
            continue
        if child.bias is not None:
            nn.init.zeros_(child.bias)
    return module


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Spectral-normalise the weight of every linear and convolutional layer of `module` (in place)."""
    for child in list(module.modules()):
        if isinstance(child, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            spectral_norm(child)
    return module


def build_networks(cfg: NetConfig, shape: tuple[int, ...], num_classes: int,
                   use_spectral_norm: bool) -> tuple[nn.Module, nn.Module]:
    """(G, D) for samples of `shape`: MLPs for vectors (D,), DCGAN convnets for images (C, S, S)."""
    classes = num_classes if cfg.conditional else 0
    if len(shape) == 1:
        g, d = MLPGenerator(cfg, shape[0], classes), MLPDiscriminator(cfg, shape[0], classes)
    elif len(shape) == 3:
        g, d = DCGANGenerator(cfg, shape, classes), DCGANDiscriminator(cfg, shape, classes)
        if cfg.init_std > 0:  # before spectral norm, which takes its first estimate from these weights
            dcgan_init(g, cfg.init_std)
            dcgan_init(d, cfg.init_std)
    else:
        raise ValueError(f"no networks for samples of shape {shape}")
    return g, apply_spectral_norm(d) if use_spectral_norm else d
