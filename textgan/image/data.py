"""Continuous data sources: 2-D Gaussian mixtures (`ring8`, `grid25`) and scikit-learn's 8x8 digits (`digits`).

- `ring8` / `grid25`: the mode-collapse tests of Unrolled GAN (Metz et al., arXiv 1611.02163) and VEEGAN
  (Srivastava et al., arXiv 1705.07761): 8 Gaussians of std 0.02 evenly spaced on a circle of radius 2, and
  25 Gaussians of std 0.05 centred on the grid {-4, -2, 0, 2, 4}^2. Each point's label is its mode.
- `digits`: the 1,797 8x8 handwritten digits shipped inside scikit-learn (`load_digits`, the UCI set; no
  download), upsampled bilinearly to 16x16 (so two stride-2 layers reach 4x4) and scaled to [-1, 1];
  a fixed 80/20 train / test split (the test split only scores the digit classifier).

`ContinuousData` plays the part of the text `DataBundle` for the shared loop and CLIs: its `kind` says which
models train on it (`ModelSpec.data_kinds`), `make_evaluator` supplies its metrics, and `vocab` (a
`SampleShape`) describes what one sample is, which the checkpoint records to refuse a resume on other data.
The sources register themselves with `textgan.data.sources.register_source` when this module is imported.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from textgan.data.sources import DataConfig, register_source
from textgan.errors import UserError

DATA_SEED = 2024          # every run sees the same mixture sample and the same digits split
MIXTURE_POINTS = 50_000   # points drawn from a mixture when data.max_train is 0
DIGITS_SIZE = 16          # digits are upsampled from 8x8 to this side length
DIGITS_TEST_FRACTION = 0.2


@dataclass
class SampleShape:
    """What one sample is (in place of a vocabulary): `size` values in the shape `shape`."""

    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def save(self, run_dir: Path) -> None:
        (Path(run_dir) / "data_shape.json").write_text(json.dumps({"shape": list(self.shape)}))


@dataclass
class ContinuousData:
    name: str
    kind: str                          # "points" (2-D mixtures) or "images"
    train: torch.Tensor                # (N, 2) or (N, 1, H, W), float32
    train_labels: torch.Tensor         # (N,) int64: the mode / the digit
    num_classes: int
    test: torch.Tensor | None = None
    test_labels: torch.Tensor | None = None
    modes: torch.Tensor | None = None  # (K, 2) mixture centres
    mode_std: float = 0.0
    info: dict = field(default_factory=dict)

    @property
    def vocab(self) -> SampleShape:
        return SampleShape(tuple(self.train.shape[1:]))

    @property
    def seq_len(self) -> int:
        return 0  # not sequences; recorded in checkpoint metadata only

    def make_evaluator(self, cfg):
        from textgan.image.evaluator import ContinuousEvaluator  # the evaluator imports this module

        return ContinuousEvaluator(self, cfg)


# -- Gaussian mixtures ---------------------------------------------------------------------------------


def ring_modes(k: int = 8, radius: float = 2.0) -> torch.Tensor:
    angles = torch.arange(k, dtype=torch.float64) * (2 * math.pi / k)
    return torch.stack([radius * angles.cos(), radius * angles.sin()], dim=1).float()  # (K, 2)


def grid_modes(side: int = 5, spacing: float = 2.0) -> torch.Tensor:
    coords = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing  # -4, -2, 0, 2, 4
    gx, gy = torch.meshgrid(coords, coords, indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)                    # (K, 2)


MIXTURES = {"ring8": (ring_modes, 0.02), "grid25": (grid_modes, 0.05)}


def sample_mixture(modes: torch.Tensor, std: float, num: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`num` points from the equal-weight mixture: (points (num, 2), mode index (num,))."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, modes.shape[0], (num,), generator=gen)
    points = modes[labels] + std * torch.randn(num, 2, generator=gen)
    return points, labels


def load_mixture(cfg: DataConfig, data_root: Path) -> ContinuousData:
    build, std = MIXTURES[cfg.name]
    modes = build()
    num = cfg.max_train or MIXTURE_POINTS
    points, labels = sample_mixture(modes, std, num, DATA_SEED)
    info = {"train": num, "modes": modes.shape[0], "std": std}
    return ContinuousData(cfg.name, "points", points, labels, modes.shape[0], modes=modes, mode_std=std, info=info)


# -- digits --------------------------------------------------------------------------------------------


def load_digit_arrays() -> tuple[torch.Tensor, torch.Tensor]:
    """All 1,797 digits as (N, 1, 8, 8) floats in [0, 16] and their labels (N,)."""
    try:
        from sklearn.datasets import load_digits
    except ModuleNotFoundError:
        raise UserError("--data digits needs scikit-learn; install it with `pip install scikit-learn`") from None
    bunch = load_digits()
    images = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1)  # (N, 1, 8, 8)
    return images, torch.tensor(bunch.target, dtype=torch.long)


def to_model_space(images: torch.Tensor, size: int = DIGITS_SIZE) -> torch.Tensor:
    """(N, 1, 8, 8) in [0, 16] -> (N, 1, size, size) in [-1, 1] (the range of G's tanh)."""
    scaled = images / 8.0 - 1.0
    if size != scaled.shape[-1]:
        scaled = F.interpolate(scaled, size=(size, size), mode="bilinear", align_corners=False)
    return scaled.clamp(-1.0, 1.0)


def digits_split() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(train images, train labels, test images, test labels) in model space, a fixed split."""
    images, labels = load_digit_arrays()
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(DATA_SEED))
    n_test = int(round(DIGITS_TEST_FRACTION * len(labels)))
    test, train = order[:n_test], order[n_test:]
    x = to_model_space(images)
    return x[train], labels[train], x[test], labels[test]


def load_digits_data(cfg: DataConfig, data_root: Path) -> ContinuousData:
    train_x, train_y, test_x, test_y = digits_split()
    if cfg.max_train:
        train_x, train_y = train_x[: cfg.max_train], train_y[: cfg.max_train]
    info = {"train": len(train_y), "test": len(test_y), "size": DIGITS_SIZE, "source": "sklearn.datasets.load_digits"}
    return ContinuousData("digits", "images", train_x, train_y, 10, test_x, test_y, info=info)


for _name in MIXTURES:
    register_source(_name, load_mixture, kind="points")
register_source("digits", load_digits_data, kind="images")
