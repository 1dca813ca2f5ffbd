"""The continuous data sources: mixture geometry, the digits split and scaling, and how they plug into
`load_data` (by name, with a kind that models' data_kinds are checked against)."""

from __future__ import annotations

import math

import pytest
import torch

from textgan.data.sources import DATA_SETS, DataConfig, load_data
from textgan.image.data import ContinuousData, grid_modes, ring_modes, sample_mixture, to_model_space


def test_mixture_geometry():
    ring = ring_modes()
    assert ring.shape == (8, 2)
    torch.testing.assert_close(ring.norm(dim=1), torch.full((8,), 2.0))
    gaps = (ring - ring.roll(1, dims=0)).norm(dim=1)
    torch.testing.assert_close(gaps, torch.full((8,), 2 * 2.0 * math.sin(math.pi / 8)))  # evenly spaced
    grid = grid_modes()
    assert grid.shape == (25, 2) and set(grid[:, 0].tolist()) == {-4.0, -2.0, 0.0, 2.0, 4.0}


def test_mixture_sample_is_seeded_and_balanced():
    a, la = sample_mixture(ring_modes(), 0.02, 8000, seed=3)
    b, lb = sample_mixture(ring_modes(), 0.02, 8000, seed=3)
    assert a.equal(b) and la.equal(lb)
    counts = torch.bincount(la, minlength=8).double()
    assert (counts / 8000 - 1 / 8).abs().max() < 0.02
    offsets = a - ring_modes()[la]
    assert offsets.std().item() == pytest.approx(0.02, rel=0.05)


@pytest.mark.parametrize("name,kind,shape,classes", [("ring8", "points", (2,), 8), ("grid25", "points", (2,), 25)])
def test_mixture_sources_through_load_data(name, kind, shape, classes):
    data = load_data(DataConfig(name=name, max_train=1000))
    assert isinstance(data, ContinuousData) and data.kind == kind and name in DATA_SETS
    assert tuple(data.train.shape) == (1000, *shape) and data.num_classes == classes
    assert data.vocab.size == 2 and data.info["train"] == 1000


def test_digits_source():
    data = load_data(DataConfig(name="digits"))
    assert data.kind == "images" and data.num_classes == 10
    assert tuple(data.train.shape[1:]) == (1, 16, 16) and data.vocab.size == 256
    assert len(data.train) + len(data.test) == 1797 and len(data.test) == 359
    assert data.train.min() >= -1 and data.train.max() <= 1
    assert set(data.train_labels.tolist()) == set(range(10))
    capped = load_data(DataConfig(name="digits", max_train=100))
    assert len(capped.train) == 100 and capped.train.equal(data.train[:100])  # a fixed split


def test_to_model_space_maps_the_pixel_range_and_upsamples():
    ramp = torch.arange(8, dtype=torch.float32).repeat(8, 1).view(1, 1, 8, 8) * (16 / 7)  # 0 .. 16 left to right
    x = to_model_space(ramp)
    assert x.shape == (1, 1, 16, 16)
    assert x[0, 0, :, 0].tolist() == [-1.0] * 16 and x[0, 0, :, -1].tolist() == [1.0] * 16
    assert (x[0, 0, 0, 1:] >= x[0, 0, 0, :-1]).all()   # bilinear upsampling keeps the ramp monotone
    torch.testing.assert_close(to_model_space(ramp, size=8), ramp / 8 - 1)
