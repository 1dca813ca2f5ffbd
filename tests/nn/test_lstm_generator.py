"""Tests of the LSTM generator and its step protocol (what sampling, rollouts and Gumbel decoding rely on)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from textgan.config import ConfigError, set_value
from textgan.errors import UserError
from textgan.nn import GENERATORS, GeneratorConfig, LSTMGenerator, build_generator

V, B, T = 30, 4, 7


@pytest.fixture(params=[1, 2], ids=["1-layer", "2-layer"])
def gen(request) -> LSTMGenerator:
    torch.manual_seed(0)
    return LSTMGenerator(V, emb_dim=6, hidden_dim=5, num_layers=request.param, bos_id=1).eval()


def tokens(seed=0) -> torch.Tensor:
    return torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(seed))


def test_forward_and_state_shapes(gen):
    assert gen(tokens()).shape == (B, T, V)
    h, c = gen.init_state(B)
    assert h.shape == c.shape == (gen.num_layers, B, 5) and not h.any()
    logits, (h2, c2) = gen.step(torch.zeros(B, dtype=torch.long), (h, c))
    assert logits.shape == (B, V) and h2.shape == h.shape and c2.shape == c.shape


def test_soft_one_hot_step_equals_id_step(gen):
    ids = tokens()[:, 0]
    state = gen.init_state(B)
    with torch.no_grad():
        by_id, (h1, c1) = gen.step(ids, state)
        by_soft, (h2, c2) = gen.step(F.one_hot(ids, V).float(), state)
    assert torch.equal(by_soft, by_id) and torch.equal(h2, h1) and torch.equal(c2, c1)


def test_teacher_forcing_equals_step_by_step_decoding(gen):
    x = tokens()
    with torch.no_grad():
        forced = gen(x)
        state = gen.init_state(B)
        inputs = torch.full((B,), gen.bos_id, dtype=torch.long)
        stepped = []
        for t in range(T):
            logits, state = gen.step(inputs, state)
            stepped.append(logits)
            inputs = x[:, t]
    torch.testing.assert_close(torch.stack(stepped, dim=1), forced, rtol=0, atol=1e-5)


def test_first_position_depends_only_on_bos(gen):
    a, b = tokens(0), tokens(1)
    with torch.no_grad():
        la, lb = gen(a), gen(b)
    torch.testing.assert_close(la[:, 0], lb[:, 0])
    assert not torch.allclose(la[:, 1:], lb[:, 1:])


def test_init_std_and_gradients():
    torch.manual_seed(0)
    g = LSTMGenerator(V, 16, 16, init_std=0.1)
    assert abs(g.embedding.weight.std().item() - 0.1) < 0.02
    g(tokens()).sum().backward()
    assert all(p.grad is not None for p in g.parameters())


def test_build_generator_from_config():
    g = build_generator(GeneratorConfig(emb_dim=4, hidden_dim=3, num_layers=2), vocab_size=11, bos_id=2)
    assert isinstance(g, LSTMGenerator) and g.bos_id == 2 and g.output.out_features == 11 and g.num_layers == 2
    with pytest.raises(UserError, match="generator.kind"):
        build_generator(GeneratorConfig(kind="gru"), vocab_size=11, bos_id=2)


def test_the_kind_is_checked_when_the_config_is_read_and_registered_kinds_are_allowed(monkeypatch):
    cfg = GeneratorConfig()
    with pytest.raises(ConfigError, match="'generator.kind' must be one of lstm, transformer, .*got 'gru'"):
        set_value(cfg, "kind", "gru", prefix="generator")
    monkeypatch.setitem(GENERATORS, "gru", lambda cfg, vocab_size, bos_id: LSTMGenerator(vocab_size, 4, 4))
    set_value(cfg, "kind", "gru", prefix="generator")  # a kind registered after the config class was defined
    assert isinstance(build_generator(cfg, vocab_size=11, bos_id=2), LSTMGenerator)
