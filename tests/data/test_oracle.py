"""Tests of textgan.data.oracle: SeqGAN's oracle LSTM against an independent numpy implementation.

The numpy code follows the equations in the shared data's PROVENANCE.md (from SeqGAN's target_lstm.py):
row vectors, x_0 = E[0], h_0 = c_0 = 0,
i = σ(x·Wi + h·Ui + bi), f = σ(x·Wf + h·Uf + bf), o = σ(x·Wog + h·Uog + bog), g = tanh(x·Wc + h·Uc + bc),
c = f⊙c + i⊙g, h = o⊙tanh(c), logits = h·Wo + bo.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from textgan.data.oracle import PARAM_NAMES, load_seqgan_oracle, oracle_from_arrays, seeded_oracle
from textgan.errors import UserError
from textgan.metrics.nll import nll_oracle


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def numpy_log_likelihoods(p: dict[str, np.ndarray], tokens: np.ndarray) -> np.ndarray:
    """log p(token_t | prefix) for every position of `tokens` (N, T), in float64."""
    p = {k: v.astype(np.float64) for k, v in p.items()}
    n, t = tokens.shape
    hidden = p["Ui"].shape[0]
    h, c = np.zeros((n, hidden)), np.zeros((n, hidden))
    prev = np.zeros(n, dtype=np.int64)  # start token 0
    out = np.empty((n, t))
    for step in range(t):
        x = p["E"][prev]
        i = _sigmoid(x @ p["Wi"] + h @ p["Ui"] + p["bi"])
        f = _sigmoid(x @ p["Wf"] + h @ p["Uf"] + p["bf"])
        o = _sigmoid(x @ p["Wog"] + h @ p["Uog"] + p["bog"])
        g = np.tanh(x @ p["Wc"] + h @ p["Uc"] + p["bc"])
        c = f * c + i * g
        h = o * np.tanh(c)
        logits = h @ p["Wo"] + p["bo"]
        m = logits.max(axis=1, keepdims=True)
        log_z = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
        out[:, step] = logits[np.arange(n), tokens[:, step]] - log_z
        prev = tokens[:, step]
    return out


def small_arrays(vocab=50, emb=6, hidden=8, seed=0) -> dict[str, np.ndarray]:
    """SeqGAN-shaped N(0, 1) arrays; emb != hidden so a transposed matrix cannot go unnoticed."""
    rng = np.random.default_rng(seed)
    shapes = {"E": (vocab, emb), "Wo": (hidden, vocab), "bo": (vocab,)}
    for gate in ("i", "f", "og", "c"):
        shapes.update({f"W{gate}": (emb, hidden), f"U{gate}": (hidden, hidden), f"b{gate}": (hidden,)})
    return {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}


def torch_log_likelihoods(oracle, tokens: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        logp = torch.log_softmax(oracle(tokens).double(), dim=-1)
    return logp.gather(-1, tokens[..., None])[..., 0].numpy()


def test_oracle_matches_numpy_equations():
    arrays = small_arrays()
    oracle = oracle_from_arrays(arrays)
    tokens = torch.randint(0, 50, (16, 12), generator=torch.Generator().manual_seed(0))
    ours = torch_log_likelihoods(oracle, tokens)
    ref = numpy_log_likelihoods(arrays, tokens.numpy())
    np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=0)


def test_oracle_is_frozen_and_in_eval_mode():
    oracle = oracle_from_arrays(small_arrays())
    assert not oracle.training
    assert not any(p.requires_grad for p in oracle.parameters())


def test_seeded_oracle_is_deterministic():
    a, b, c = seeded_oracle(50, 8, 8, seed=3), seeded_oracle(50, 8, 8, seed=3), seeded_oracle(50, 8, 8, seed=4)
    for (name, pa), pb, pc in zip(a.state_dict().items(), b.state_dict().values(), c.state_dict().values()):
        assert torch.equal(pa, pb), name
        if name != "lstm.bias_hh_l0":  # zero in every oracle (SeqGAN has one bias per gate)
            assert not torch.equal(pa, pc), name
    assert a.embedding.weight.shape == (50, 8) and a.output.weight.shape == (50, 8)


def test_load_seqgan_oracle_from_npz(tmp_path):
    arrays = small_arrays()
    path = tmp_path / "params.npz"
    np.savez(path, **{f"param_{i:02d}": arrays[name] for i, name in enumerate(PARAM_NAMES)})
    oracle = load_seqgan_oracle(path)
    tokens = torch.randint(0, 50, (4, 6), generator=torch.Generator().manual_seed(1))
    np.testing.assert_allclose(torch_log_likelihoods(oracle, tokens),
                               numpy_log_likelihoods(arrays, tokens.numpy()), atol=1e-5, rtol=0)


def test_load_seqgan_oracle_errors(tmp_path):
    with pytest.raises(UserError, match="cannot read oracle parameters"):
        load_seqgan_oracle(tmp_path / "missing.npz")
    path = tmp_path / "short.npz"
    np.savez(path, param_00=np.zeros((3, 2), dtype=np.float32))
    with pytest.raises(UserError, match="cannot read oracle parameters"):
        load_seqgan_oracle(path)


@pytest.fixture
def seqgan(data_dir):
    """(SeqGAN's oracle, its arrays, the 9,984 sequences of real_data.txt) from the shared data."""
    params, real = data_dir / "seqgan_oracle" / "target_params.npz", data_dir / "seqgan_oracle" / "real_data.txt"
    if not (params.is_file() and real.is_file()):
        pytest.skip(f"{data_dir} has no seqgan_oracle/target_params.npz and real_data.txt")
    with np.load(params) as npz:
        arrays = {name: npz[f"param_{i:02d}"] for i, name in enumerate(PARAM_NAMES)}
    tokens = torch.tensor(np.loadtxt(real, dtype=np.int64))
    assert tokens.shape == (9984, 20)
    return load_seqgan_oracle(params), arrays, tokens


def test_seqgan_oracle_matches_numpy_on_real_data(seqgan):
    oracle, arrays, tokens = seqgan
    assert (oracle.vocab_size, oracle.hidden_dim) == (5000, 32)
    np.testing.assert_allclose(torch_log_likelihoods(oracle, tokens[:64]),
                               numpy_log_likelihoods(arrays, tokens[:64].numpy()), atol=1e-5, rtol=1e-5)


# PROVENANCE.md: 5.7609 nats over all of real_data.txt (an independent numpy implementation).
def test_seqgan_oracle_scores_real_data_subset(seqgan):
    """A quarter of the file (fast): its mean lies within 0.02 of the whole file's."""
    oracle, _, tokens = seqgan
    assert nll_oracle(oracle, tokens[:2496]) == pytest.approx(5.7609, abs=0.02)


@pytest.mark.slow
def test_seqgan_oracle_scores_all_real_data(seqgan):
    oracle, _, tokens = seqgan
    assert nll_oracle(oracle, tokens) == pytest.approx(5.7609, abs=0.01)
