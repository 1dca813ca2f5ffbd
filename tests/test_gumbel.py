"""Tests of textgan.gumbel: Gumbel-softmax draws (simplex, gradients, straight-through, Gumbel-max
sampling), RelGAN's inverse-temperature schedules, and decoding through the step protocol with soft
one-hots fed back to any generator."""

from __future__ import annotations

import math

import pytest
import torch

from textgan.gumbel import SCHEDULES, beta_schedule, gumbel_decode, gumbel_softmax
from textgan.nn import LSTMGenerator
from textgan.nn.relational_memory import RelationalMemoryGenerator

V = 11


def test_sample_sums_to_one_and_is_differentiable():
    torch.manual_seed(0)
    logits = torch.randn(5, V, requires_grad=True)
    for beta in (1.0, 10.0):
        soft, token = gumbel_softmax(logits, beta)
        assert soft.shape == (5, V) and token.shape == (5,)
        torch.testing.assert_close(soft.sum(dim=-1), torch.ones(5))
        assert (soft >= 0).all()
        assert torch.equal(soft.argmax(dim=-1), token)          # the relaxation peaks at the drawn token
    weights = torch.randn(5, V)
    (soft * weights).sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


def test_high_beta_approaches_one_hot_and_beta_one_is_plain_gumbel_softmax():
    torch.manual_seed(1)
    logits, noise = torch.randn(4, V), -torch.log(-torch.log(torch.rand(4, V)))
    soft, token = gumbel_softmax(logits, 1000.0, noise=noise)
    torch.testing.assert_close(soft, torch.nn.functional.one_hot(token, V).float(), atol=1e-3, rtol=0)
    soft1, _ = gumbel_softmax(logits, 1.0, noise=noise)
    torch.testing.assert_close(soft1, torch.softmax(logits + noise, dim=-1))


def test_straight_through_is_one_hot_forward_with_soft_gradient():
    torch.manual_seed(2)
    logits = torch.randn(6, V, requires_grad=True)
    noise = -torch.log(-torch.log(torch.rand(6, V)))
    hard, token = gumbel_softmax(logits, 2.0, noise=noise, straight_through=True)
    assert torch.equal(hard, torch.nn.functional.one_hot(token, V).float())
    weights = torch.randn(6, V)
    (hard * weights).sum().backward()
    st_grad = logits.grad.clone()
    logits.grad = None
    soft, _ = gumbel_softmax(logits, 2.0, noise=noise)
    (soft * weights).sum().backward()
    torch.testing.assert_close(st_grad, logits.grad)            # the same gradient as the soft draw


def test_hard_tokens_are_samples_of_the_softmax():
    """Gumbel-max: argmax(logits + g) ~ softmax(logits), whatever beta."""
    torch.manual_seed(3)
    logits = torch.tensor([[0.0, 1.0, 2.0, -1.0]])
    _, tokens = gumbel_softmax(logits.expand(40000, 4), beta=5.0)
    freq = torch.bincount(tokens, minlength=4).float() / 40000
    torch.testing.assert_close(freq, torch.softmax(logits[0], dim=0), atol=0.01, rtol=0)


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_endpoints(name):
    total, beta_max = 50, 100.0
    first, last = beta_schedule(name, 0, total, beta_max), beta_schedule(name, total - 1, total, beta_max)
    if name == "no":
        assert first == last == beta_max
        return
    tol = 5e-5 * (beta_max - 1) if name == "sigmoid" else 1e-9
    assert first == pytest.approx(1.0, abs=tol) and last == pytest.approx(beta_max, abs=tol * beta_max)
    values = [beta_schedule(name, i, total, beta_max) for i in range(total)]
    assert all(b >= a for a, b in zip(values, values[1:]))      # non-decreasing
    assert beta_schedule(name, total + 10, total, beta_max) == last   # stays at the end afterwards


def test_schedule_midpoints_match_relgan_formulas():
    n, bm = 101, 1000.0                                          # progress i / (n - 1) = 0.5 at i = 50
    assert beta_schedule("lin", 50, n, bm) == pytest.approx(1 + 0.5 * (bm - 1))
    assert beta_schedule("exp", 50, n, bm) == pytest.approx(bm ** 0.5)
    assert beta_schedule("quad", 50, n, bm) == pytest.approx(1 + 0.25 * (bm - 1))
    assert beta_schedule("sqrt", 50, n, bm) == pytest.approx(1 + math.sqrt(0.5) * (bm - 1))
    assert beta_schedule("sigmoid", 50, n, bm) == pytest.approx(1 + 0.5 * (bm - 1))
    assert beta_schedule("log", 50, n, bm) == pytest.approx(1 + (bm - 1) * math.log(51) / math.log(101))
    with pytest.raises(ValueError, match="unknown temperature schedule"):
        beta_schedule("cosine", 0, n, bm)


def _generators():
    torch.manual_seed(0)
    return [LSTMGenerator(V, 6, 7, bos_id=1), RelationalMemoryGenerator(V, 6, 2, 2, 4, bos_id=1)]


@pytest.mark.parametrize("feedback", ["soft", "hard"])
def test_decode_through_the_step_protocol(feedback):
    for gen in _generators():
        soft, tokens = gumbel_decode(gen, 3, 5, beta=3.0, feedback=feedback)
        assert soft.shape == (3, 5, V) and tokens.shape == (3, 5)
        torch.testing.assert_close(soft.sum(-1), torch.ones(3, 5))
        soft.pow(2).sum().backward()
        grads = [p.grad for p in gen.parameters() if p.grad is not None]
        assert grads and sum(g.abs().sum() for g in grads) > 0


def test_soft_feedback_reaches_the_embedding_through_the_inputs():
    """With soft feedback, step 2's input is step 1's relaxed one-hot: the embedding gets a gradient
    through it even when only the last position's output is used."""
    for gen in _generators():
        torch.manual_seed(4)
        soft, _ = gumbel_decode(gen, 4, 3, beta=1.0, feedback="soft")
        (soft[:, -1] * torch.randn(4, V)).sum().backward()
        soft_grad = gen.embedding.weight.grad.clone()
        gen.zero_grad()
        torch.manual_seed(4)
        hard, _ = gumbel_decode(gen, 4, 3, beta=1.0, feedback="hard")
        (hard[:, -1] * torch.randn(4, V)).sum().backward()
        # hard feedback: only the embedding rows of BOS and the sampled tokens are read
        hard_rows = (gen.embedding.weight.grad.abs().sum(1) > 0).sum()
        assert (soft_grad.abs().sum(1) > 0).sum() > hard_rows


def test_positions_after_eos_are_padding_one_hots():
    torch.manual_seed(5)
    gen = LSTMGenerator(V, 6, 7, bos_id=1)
    with torch.no_grad():
        gen.output.bias[2] = 4.0                                  # EOS = 2 is likely
    soft, tokens = gumbel_decode(gen, 8, 6, beta=2.0, eos_id=2, pad_id=0)
    after = (tokens == 2).long().cumsum(1) - (tokens == 2).long() > 0  # strictly after the first EOS
    assert after.any()
    assert (tokens[after] == 0).all()
    torch.testing.assert_close(soft[after], torch.nn.functional.one_hot(torch.zeros_like(tokens[after]), V).float())


@pytest.mark.parametrize("kind", ["lstm", "relational_memory", "transformer"])
def test_every_registered_generator_kind_decodes_with_soft_feedback(kind):
    """Gumbel decoding is written once against the step protocol: every generator kind takes soft one-hots."""
    from textgan.nn import GENERATORS, GeneratorConfig, build_generator

    if kind not in GENERATORS:
        pytest.fail(f"generator kind {kind!r} is not registered")
    cfg = GeneratorConfig(kind=kind, emb_dim=6, hidden_dim=6)
    cfg.relational.head_size = 3
    cfg.transformer.layers, cfg.transformer.heads, cfg.transformer.d_model, cfg.transformer.dropout = 1, 2, 8, 0.0
    torch.manual_seed(0)
    gen = build_generator(cfg, V, 1)
    soft, tokens = gumbel_decode(gen, 2, 4, beta=2.0, feedback="soft")
    assert soft.shape == (2, 4, V) and tokens.shape == (2, 4)
    soft.sum(dim=(0, 1)).pow(2).sum().backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in gen.parameters())
