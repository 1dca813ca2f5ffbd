"""Tests of textgan.sampling: sequence sampling, seeds, EOS handling, temperature / top-k / top-p, and the
two-level inverse-CDF `sample_next` against the softmax it must draw from, and continuations of given
prefixes."""

from __future__ import annotations

import math

import pytest
import torch

from textgan.errors import UserError
from textgan.nn import LSTMGenerator
from textgan.sampling import check_sampling_args, filter_logits, sample, sample_batch, sample_continuations, sample_next

V, BOS, EOS, PAD = 20, 1, 2, 0


@pytest.fixture
def gen() -> LSTMGenerator:
    torch.manual_seed(0)
    return LSTMGenerator(V, 8, 8, bos_id=BOS, init_std=0.5)


def greedy(gen, num, seq_len) -> torch.Tensor:
    with torch.no_grad():
        state, inputs, out = gen.init_state(num), torch.full((num,), BOS), []
        for _ in range(seq_len):
            logits, state = gen.step(inputs, state)
            inputs = logits.argmax(-1)
            out.append(inputs)
    return torch.stack(out, dim=1)


def test_shapes_and_chunking(gen):
    x = sample(gen, 10, 6, batch_size=4, seed=0)
    assert x.shape == (10, 6) and x.dtype == torch.long and 0 <= x.min() and x.max() < V
    assert sample(gen, 0, 6, seed=0).shape == (0, 6)


def test_positions_after_eos_are_padding(gen):
    with torch.no_grad():
        gen.output.bias[EOS] += 2.0  # make EOS frequent
    x = sample(gen, 200, 10, eos_id=EOS, pad_id=PAD, seed=0)
    ended = 0
    for row in x.tolist():
        if EOS in row:
            cut = row.index(EOS)
            assert all(t == PAD for t in row[cut + 1:])
            ended += cut < 9
    assert ended > 20  # the check above was exercised on many rows


def test_seed_determinism_and_isolation(gen):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a, b = sample(gen, 50, 8, seed=7), sample(gen, 50, 8, seed=7)
    assert torch.equal(a, b)
    assert not torch.equal(a, sample(gen, 50, 8, seed=8))
    assert torch.equal(torch.get_rng_state(), before)  # a seeded draw leaves the global RNG alone
    rng = torch.Generator().manual_seed(7)
    assert torch.equal(sample(gen, 50, 8, rng=rng), a)


@pytest.mark.parametrize("training", [True, False])
def test_sampling_restores_training_mode(training):
    # with dropout, so that a draw made in training mode would differ; starting from train mode only, the
    # test passed with sample() ending in `generator.train()` (an eval-mode generator, a loaded run's, left
    # in training mode) and with sample() never switching to eval (draws made with dropout on)
    torch.manual_seed(0)
    gen = LSTMGenerator(V, 8, 8, dropout=0.5, bos_id=BOS, init_std=0.5)
    eval_draw = sample(gen.eval(), 50, 8, seed=0)
    gen.train(training)
    assert torch.equal(sample(gen, 50, 8, seed=0), eval_draw)  # drawn in eval mode whatever the mode
    assert gen.training is training


def test_top_k_1_and_tiny_top_p_are_greedy(gen):
    expected = greedy(gen, 16, 8)
    assert torch.equal(sample(gen, 16, 8, top_k=1, seed=0), expected)
    assert torch.equal(sample(gen, 16, 8, top_p=1e-6, seed=3), expected)
    assert torch.equal(sample(gen, 16, 8, temperature=1e-4, seed=5), expected)


@pytest.mark.parametrize("kwargs, message", [
    ({"temperature": 0.0}, "temperature must be > 0"),
    ({"temperature": -1.0}, "temperature must be > 0"),
    ({"temperature": float("nan")}, "temperature must be > 0"),
    ({"top_k": -1}, "top-k must be >= 0"),
    ({"top_p": 0.0}, r"top-p must be in \(0, 1\]"),
    ({"top_p": 1.5}, r"top-p must be in \(0, 1\]"),
    ({"temperature": float("inf")}, "temperature must be > 0 and finite"),
    ({"temperature": "0.8"}, "temperature must be a number"),
    ({"top_k": 2.5}, "top-k must be an integer"),
])
def test_argument_validation(gen, kwargs, message):
    args = {"temperature": 1.0, "top_k": 0, "top_p": 1.0} | kwargs
    with pytest.raises(UserError, match=message):
        check_sampling_args(**args)
    with pytest.raises(UserError, match=message):
        sample(gen, 2, 3, **kwargs)


@pytest.mark.parametrize("args, message", [
    ((-1, 3), "num must be an integer >= 0"),
    ((2.5, 3), "num must be an integer >= 0"),
    ((2, 0), "seq_len must be an integer >= 1"),
    ((2, 3, {"batch_size": 0}), "batch_size must be an integer >= 1"),
])
def test_counts_are_checked(gen, args, message):
    *positional, kwargs = args if isinstance(args[-1], dict) else (*args, {})
    with pytest.raises(UserError, match=message):
        sample(gen, *positional, **kwargs)
    assert sample(gen, 0, 3).shape == (0, 3)  # no samples is a valid (empty) request


def test_a_run_instead_of_its_generator_is_a_clear_error(gen):
    from types import SimpleNamespace

    from textgan.metrics.nll import sequence_nll

    with pytest.raises(TypeError, match=r"sample takes a generator module, e.g. load_run\(...\).generator; got str"):
        sample("runs/x", 2, 3)
    loaded_run = SimpleNamespace(generator=gen)  # what load_run returns, in the part that matters here
    with pytest.raises(TypeError, match=r"sequence_nll takes a generator module.*\(pass its .generator\)"):
        sequence_nll(loaded_run, torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="rng must be a torch.Generator"):
        sample(gen, 2, 3, rng=0)


def test_script_friendly_arguments(gen):
    """numpy seeds and int32 ids work; a pad id outside the vocabulary is named before it reaches the
    embedding; a double-precision generator samples."""
    import numpy as np

    from textgan.metrics.nll import sequence_nll

    assert sample(gen, 3, 4, seed=np.int64(5)).equal(sample(gen, 3, 4, seed=5))
    ids = sample(gen, 3, 4, seed=1)
    assert sequence_nll(gen, ids.int(), [4, 4, 4]) == pytest.approx(sequence_nll(gen, ids, torch.tensor([4, 4, 4])))
    with pytest.raises(UserError, match="pad_id must be a token id"):
        sample(gen, 2, 3, eos_id=1, pad_id=-1)
    assert sample(gen.double(), 2, 3, seed=1).shape == (2, 3)
    gen.float()


def test_filter_logits():
    logits = torch.tensor([[0.5, 0.3, 0.15, 0.05]]).log()
    torch.testing.assert_close(filter_logits(logits, temperature=2.0), logits / 2)
    kept = lambda **kw: torch.isfinite(filter_logits(logits, **kw))[0].tolist()
    assert kept(top_k=2) == [True, True, False, False]
    assert kept(top_k=10) == [True] * 4
    assert kept(top_p=0.7) == [True, True, False, False]   # 0.5 + 0.3 >= 0.7
    assert kept(top_p=0.5) == [True, False, False, False]
    assert kept(top_p=0.96) == [True] * 4
    assert kept(top_k=3, top_p=0.6) == [True, True, False, False]
    # ties at the k-th value do not widen the set: top-k keeps exactly k tokens
    flat = filter_logits(torch.zeros(3, 10), top_k=4)
    assert torch.isfinite(flat).sum(dim=1).tolist() == [4, 4, 4]
    tied = filter_logits(torch.tensor([[2.0, 1.0, 1.0, 1.0, 0.0]]), top_k=2)
    assert torch.isfinite(tied).sum().item() == 2 and torch.isfinite(tied[0, 0])


def test_a_tiny_temperature_is_greedy_not_the_last_token(gen):
    # logits / 1e-39 overflow to +inf in float32 and inf - inf is NaN: the draw returned token V - 1 for
    # every position instead of the greedy limit
    expected = greedy(gen, 16, 8)
    for temperature in (1e-30, 1e-39, 1e-300):
        assert torch.equal(sample(gen, 16, 8, temperature=temperature, seed=0), expected), temperature
    tied = filter_logits(torch.tensor([[3.0, 3.0, -1.0, float("-inf")]]), temperature=1e-300)
    assert tied[0, :2].tolist() == [0.0, 0.0] and tied[0, 2:].tolist() == [float("-inf")] * 2


def chi_square(counts: torch.Tensor, probs: torch.Tensor) -> float:
    expected = probs * counts.sum()
    keep = expected > 0
    return float(((counts[keep] - expected[keep]) ** 2 / expected[keep]).sum())


@pytest.mark.parametrize("v", [10, 64, 130])
def test_sample_next_matches_softmax(v):
    g = torch.Generator().manual_seed(v)
    logits = torch.randn(v, generator=g) * 1.5
    logits[torch.randperm(v, generator=g)[: v // 4]] = float("-inf")
    n = 60_000
    draws = sample_next(logits.expand(n, v), rng=g)
    counts = torch.bincount(draws, minlength=v).double()
    probs = torch.softmax(logits.double(), dim=0)
    assert counts[probs == 0].sum() == 0  # never a -inf token
    dof = int((probs > 0).sum()) - 1
    assert chi_square(counts, probs) < dof + 6 * math.sqrt(2 * dof)  # ~6 sigma of a chi-square(dof)


def test_sample_next_single_finite_token_and_batch_rows():
    logits = torch.full((3, 100), float("-inf"))
    logits[0, 0], logits[1, 63], logits[2, 99] = 0.0, 5.0, -3.0
    for _ in range(20):
        assert sample_next(logits).tolist() == [0, 63, 99]


def test_continuations_keep_the_prefix_and_an_empty_prefix_is_plain_sampling(gen):
    prefixes = torch.tensor([[3, 4, 5], [6, 7, 8]])
    x = sample_continuations(gen, prefixes, 7, rng=torch.Generator().manual_seed(0))
    assert x.shape == (2, 7) and torch.equal(x[:, :3], prefixes)
    empty = torch.empty(4, 0, dtype=torch.long)
    a = sample_continuations(gen, empty, 6, eos_id=EOS, pad_id=PAD, rng=torch.Generator().manual_seed(3))
    b = sample_batch(gen, 4, 6, eos_id=EOS, pad_id=PAD, rng=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_continuations_depend_on_the_prefix_and_pad_after_an_eos_in_it(gen):
    # a prefix that already ended: nothing is sampled after its EOS
    ended = sample_continuations(gen, torch.tensor([[3, EOS, PAD]]), 8, eos_id=EOS, pad_id=PAD)
    assert ended.tolist() == [[3, EOS] + [PAD] * 6]
    # the state after the prefix drives the continuation: different prefixes, same noise, other tokens
    rows = [sample_continuations(gen, torch.full((64, 2), tok), 6, rng=torch.Generator().manual_seed(1))
            for tok in (3, 9)]
    assert not torch.equal(rows[0][:, 2:], rows[1][:, 2:])
    with pytest.raises(ValueError, match="exceeds seq_len"):
        sample_continuations(gen, torch.zeros(1, 5, dtype=torch.long), 4)
