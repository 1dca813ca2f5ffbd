"""Metrics of the image baseline: mode counting on synthetic samples of known coverage, the Fréchet
distance against closed forms, the label-entropy / Inception-score analogue, and the PNG writers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from matplotlib.image import imread

from textgan.image.data import grid_modes, ring_modes, sample_mixture
from textgan.image.metrics import frechet_distance, gaussian_stats, label_entropy, mode_coverage
from textgan.image.plots import image_grid, save_image_grid, save_scatter


def test_real_samples_cover_every_mode():
    for modes, std in ((ring_modes(), 0.02), (grid_modes(), 0.05)):
        points, _ = sample_mixture(modes, std, 5000, seed=0)
        m = mode_coverage(points, modes, std)
        assert m["modes"] == modes.shape[0]
        # a 2-D isotropic Gaussian puts 1 - exp(-3^2 / 2) of its mass within 3 std of its mean
        assert m["high_quality"] == pytest.approx(1 - math.exp(-4.5), abs=0.005)


def test_known_partial_coverage_and_quality():
    modes, std = ring_modes(), 0.02
    gen = torch.Generator().manual_seed(1)
    # 3 modes hit exactly (600 samples each), 200 samples far from every mode, 1 mode with only 10 samples
    hits = torch.cat([modes[k].expand(600, 2) for k in (0, 2, 5)])
    stray = torch.zeros(200, 2) + 0.01 * torch.randn(200, 2, generator=gen)   # the ring's centre: no mode
    few = modes[7].expand(10, 2) + torch.tensor([0.0, 2.5 * std])            # inside 3 std
    samples = torch.cat([hits, stray, few])
    m = mode_coverage(samples, modes, std)
    n = len(samples)
    assert m["high_quality"] == pytest.approx((1800 + 10) / n)
    # covered: >= 0.2 * n / 8 = 50.25 samples -> only the three full modes
    assert m["modes"] == 3
    assert mode_coverage(samples, modes, std, min_share=0.0)["modes"] == 4  # >= 1 sample


def test_collapsed_generator_covers_one_mode():
    modes = grid_modes()
    samples = modes[12] + 0.01 * torch.randn(2500, 2)
    assert mode_coverage(samples, modes, 0.05) == {"modes": 1.0, "high_quality": 1.0}


def test_frechet_distance_closed_forms():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    a = rng.normal(size=(5, 5))
    cov = a @ a.T + np.eye(5)
    assert frechet_distance(mu1, cov, mu1, cov) == pytest.approx(0.0, abs=1e-8)
    assert frechet_distance(mu1, cov, mu2, cov) == pytest.approx(float(((mu1 - mu2) ** 2).sum()), rel=1e-8)
    # commuting (diagonal) covariances: sum (s1 - s2)^2 of the standard deviations
    s1, s2 = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 0.5])
    fd = frechet_distance(np.zeros(3), np.diag(s1**2), np.zeros(3), np.diag(s2**2))
    assert fd == pytest.approx(float(((s1 - s2) ** 2).sum()), rel=1e-8)
    # symmetric
    b = rng.normal(size=(5, 5))
    cov2 = b @ b.T
    assert frechet_distance(mu1, cov, mu2, cov2) == pytest.approx(frechet_distance(mu2, cov2, mu1, cov), rel=1e-6)


def test_gaussian_stats_match_numpy():
    x = np.random.default_rng(1).normal(size=(200, 3))
    mu, cov = gaussian_stats(x)
    np.testing.assert_allclose(mu, x.mean(0))
    np.testing.assert_allclose(cov, np.cov(x.T))


def test_label_entropy_extremes():
    confident_diverse = torch.eye(10).repeat(3, 1)                      # one-hot, all classes
    m = label_entropy(confident_diverse)
    assert m["label_entropy"] == pytest.approx(0.0, abs=1e-6)
    assert m["marginal_entropy"] == pytest.approx(math.log(10), rel=1e-6)
    assert m["inception_score"] == pytest.approx(10.0, rel=1e-4)
    collapsed = torch.zeros(30, 10)
    collapsed[:, 3] = 1.0
    assert label_entropy(collapsed)["inception_score"] == pytest.approx(1.0, rel=1e-4)
    uniform = torch.full((30, 10), 0.1)
    u = label_entropy(uniform)
    assert u["label_entropy"] == pytest.approx(math.log(10), rel=1e-6) and u["inception_score"] == pytest.approx(1.0)


def test_image_grid_layout_and_png(tmp_path):
    images = torch.linspace(-1, 1, 6).view(6, 1, 1, 1).expand(6, 1, 4, 4)
    grid = image_grid(images, columns=3, pad=1, scale=1)
    assert grid.shape == (2 * 5 + 1, 3 * 5 + 1) and grid.dtype == np.uint8
    assert grid[1, 1] == 0 and grid[6, 11] == 255                       # first image black, last white
    path = save_image_grid(images, tmp_path / "g.png", columns=3)
    assert imread(path).shape[:2] == (2 * (2 * 5 + 1), 2 * (3 * 5 + 1))  # 2x enlarged
    scatter = save_scatter(torch.randn(50, 2), tmp_path / "s.png", ring_modes())
    assert scatter.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_loading_the_cached_digit_classifier_leaves_the_global_rng_alone(tmp_path, monkeypatch):
    # The classifier is loaded at a run's first evaluation in every process; a draw from the global RNG there
    # would make a resumed run (one more process) diverge from an uninterrupted one.
    import json

    from safetensors.torch import save_file

    from textgan.image import classifier

    monkeypatch.setenv("TEXTGAN_CACHE_DIR", str(tmp_path))
    cached = classifier.DigitClassifier()
    save_file(cached.state_dict(), tmp_path / f"digit_classifier_v{classifier.VERSION}.safetensors")
    (tmp_path / f"digit_classifier_v{classifier.VERSION}.json").write_text(json.dumps({"test_accuracy": 0.5}))
    torch.manual_seed(0)
    before = torch.get_rng_state()
    model, info = classifier.load_or_train(*(torch.empty(0),) * 4)
    assert torch.equal(torch.get_rng_state(), before)
    assert info["test_accuracy"] == 0.5
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), cached.state_dict().values()))
