"""Tests of the Transformer (GPT-2) generator: its cached step against the full forward pass for ids and soft
one-hots, per-row positions in one batch, states that never change once returned, length errors, the config
section, and initialisation from a local `save_pretrained` folder with its errors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from textgan.config import ConfigError, set_value
from textgan.errors import UserError
from textgan.nn import GeneratorConfig, TransformerConfig, TransformerGenerator, build_generator
from textgan.nn.transformer_generator import gpt2_config

V, B, T, BOS = 30, 4, 7, 1


def make(layers=2, heads=2, d_model=8, max_len=T + 2, dropout=0.0, seed=0, vocab=V) -> TransformerGenerator:
    torch.manual_seed(seed)
    cfg = TransformerConfig(layers=layers, heads=heads, d_model=d_model, max_len=max_len, dropout=dropout,
                            init_std=0.3)   # a large init so that attention is far from uniform
    return TransformerGenerator(gpt2_config(cfg, vocab), bos_id=BOS).eval()


@pytest.fixture(params=[1, 2], ids=["1-layer", "2-layer"])
def gen(request) -> TransformerGenerator:
    return make(layers=request.param)


def tokens(seed=0) -> torch.Tensor:
    return torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(seed))


def decode(gen, inputs: list[torch.Tensor]) -> torch.Tensor:
    """Step through `inputs` (each (B,) ids or (B, V) soft) from the initial state -> logits (B, len, V)."""
    state, out = gen.init_state(inputs[0].shape[0]), []
    for x in inputs:
        logits, state = gen.step(x, state)
        out.append(logits)
    return torch.stack(out, dim=1)


def test_state_shapes_have_the_batch_in_dim_1(gen):
    state = gen.init_state(B)
    *caches, pos = state                       # a key and a value cache per layer, then the positions
    assert len(caches) == 2 * gen.num_layers and pos.shape == (1, B)
    assert all(c.shape == (1, B, 2, T + 2, 4) and not c.any() for c in caches)
    assert pos.dtype == torch.long and not pos.any()
    logits, new = gen.step(torch.zeros(B, dtype=torch.long), state)
    assert logits.shape == (B, V) and [c.shape for c in new] == [c.shape for c in state]
    assert torch.equal(new[-1], torch.ones(1, B, dtype=torch.long))
    # the step wrote slot 0 of every cache and nothing else
    assert all(c[:, :, :, 0].abs().sum() > 0 and not c[:, :, :, 1:].any() for c in new[:-1])


def test_cached_step_equals_full_forward_for_ids(gen):
    x = tokens()
    bos = torch.full((B,), BOS, dtype=torch.long)
    with torch.no_grad():
        forced = gen(x)
        stepped = decode(gen, [bos] + [x[:, t] for t in range(T - 1)])
    assert forced.shape == (B, T, V) and forced.std() > 0.1
    torch.testing.assert_close(stepped, forced, rtol=0, atol=1e-5)


def test_cached_step_equals_full_forward_for_soft_inputs(gen):
    # relaxed one-hots as Gumbel-softmax decoding feeds them: (B, V) rows on the simplex
    soft = torch.softmax(3 * torch.randn(T, B, V, generator=torch.Generator().manual_seed(1)), dim=-1)
    with torch.no_grad():
        embeds = soft.transpose(0, 1) @ gen.transformer.wte.weight               # (B, T, D)
        full = gen.head(gen.transformer(inputs_embeds=embeds).last_hidden_state)  # (B, T, V)
        stepped = decode(gen, list(soft))
    torch.testing.assert_close(stepped, full, rtol=0, atol=1e-5)


def test_soft_one_hot_of_ids_equals_ids(gen):
    x = tokens(2)
    with torch.no_grad():
        by_id = decode(gen, list(x.T))
        by_soft = decode(gen, list(F.one_hot(x, V).float().transpose(0, 1)))
    torch.testing.assert_close(by_soft, by_id, rtol=0, atol=1e-6)


def test_soft_inputs_are_differentiable(gen):
    soft = torch.softmax(torch.randn(B, V), dim=-1).requires_grad_(True)
    state = gen.init_state(B)
    logits, state = gen.step(soft, state)
    logits2, _ = gen.step(torch.softmax(logits, dim=-1), state)   # fed back, as Gumbel decoding does
    logits2.sum().backward()
    assert soft.grad is not None and soft.grad.abs().sum() > 0


def test_rows_at_different_positions_share_a_batch(gen):
    """Rows joined from states of different lengths (indexed / concatenated along dim 1) decode as alone."""
    x = tokens(3)
    states = []
    with torch.no_grad():
        state = gen.init_state(B)
        for t in range(5):
            _, state = gen.step(x[:, t], state)
            states.append(state)
        early, late = states[1], states[4]                                    # positions 2 and 5
        idx = torch.tensor([2, 0])
        mixed = tuple(torch.cat([a.index_select(1, idx), b], dim=1) for a, b in zip(early, late))
        inputs = torch.cat([x[idx, 2], x[:, 5]])
        logits, new = gen.step(inputs, mixed)
        alone_early, _ = gen.step(x[idx, 2], tuple(s.index_select(1, idx) for s in early))
        alone_late, _ = gen.step(x[:, 5], late)
    torch.testing.assert_close(logits, torch.cat([alone_early, alone_late]), rtol=0, atol=1e-5)
    assert new[-1][0].tolist() == [3, 3] + [6] * B


def test_step_leaves_the_given_state_unchanged(gen):
    state = gen.init_state(B)
    _, state = gen.step(tokens()[:, 0], state)
    before = tuple(s.clone() for s in state)
    gen.step(tokens()[:, 1], state)
    assert all(torch.equal(a, b) for a, b in zip(before, state))


def test_dropout_is_active_in_training_only():
    gen = make(dropout=0.5)
    x = tokens()
    with torch.no_grad():
        assert torch.equal(gen(x), gen(x))
        gen.train()
        assert not torch.equal(gen(x), gen(x))
        s = gen.init_state(B)
        assert not torch.equal(gen.step(x[:, 0], s)[0], gen.step(x[:, 0], s)[0])


def test_too_long_sequences_are_user_errors():
    gen = make(max_len=3)
    with pytest.raises(UserError, match="generator.transformer.max_len=5"):
        gen(torch.zeros(2, 5, dtype=torch.long))
    state = gen.init_state(2)
    for _ in range(3):
        _, state = gen.step(torch.zeros(2, dtype=torch.long), state)
    with pytest.raises(UserError, match="generator.transformer.max_len"):
        gen.step(torch.zeros(2, dtype=torch.long), state)


def test_build_from_config_and_overrides():
    cfg = GeneratorConfig()
    set_value(cfg, "kind", "transformer")
    set_value(cfg, "transformer.layers", 3)
    set_value(cfg, "transformer.d_model", 12)
    set_value(cfg, "transformer.heads", 3)
    g = build_generator(cfg, vocab_size=11, bos_id=2)
    assert isinstance(g, TransformerGenerator) and g.bos_id == 2 and g.num_layers == 3
    assert g.head.out_features == 11 and g.transformer.config.n_embd == 12
    with pytest.raises(ConfigError, match="generator.transformer.heads"):
        set_value(cfg, "transformer.heads", 0, prefix="generator")
    cfg.transformer.heads = 5
    with pytest.raises(UserError, match="must be a multiple of 'generator.transformer.heads'"):
        build_generator(cfg, vocab_size=11, bos_id=2)


def test_gradients_reach_every_parameter(gen):
    gen.train()
    gen(tokens()).sum().backward()
    assert all(p.grad is not None for p in gen.parameters())


# -- pretrained initialisation ------------------------------------------------------------------


def pretrained_cfg(path, **kw) -> GeneratorConfig:
    cfg = GeneratorConfig(kind="transformer")
    for key, value in {"layers": 2, "heads": 2, "d_model": 8, "max_len": T + 2, "dropout": 0.0,
                       "pretrained_dir": str(path), **kw}.items():
        setattr(cfg.transformer, key, value)
    return cfg


def test_pretrained_round_trip(tmp_path, capfd):
    from transformers.utils import logging as hf_logging

    trained = make(layers=2, seed=5)
    trained.save_pretrained(tmp_path / "gpt")
    loaded = build_generator(pretrained_cfg(tmp_path / "gpt"), vocab_size=V, bos_id=BOS).eval()
    # no transformers progress bars between a run's log lines, and the user's setting is left as it was
    assert "%|" not in capfd.readouterr().err and hf_logging.is_progress_bar_enabled()
    fresh = build_generator(pretrained_cfg(""), vocab_size=V, bos_id=BOS).eval()
    x = tokens()
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), trained(x), rtol=0, atol=1e-6)
        assert not torch.allclose(fresh(x), trained(x))


def test_pretrained_gpt2_with_tied_head(tmp_path):
    from transformers import GPT2LMHeadModel

    config = gpt2_config(TransformerConfig(layers=2, heads=2, d_model=8, max_len=T + 2), V)
    config.tie_word_embeddings = True
    torch.manual_seed(6)
    GPT2LMHeadModel(config).save_pretrained(tmp_path / "tied")
    g = build_generator(pretrained_cfg(tmp_path / "tied"), vocab_size=V, bos_id=BOS)
    assert torch.equal(g.head.weight, g.transformer.wte.weight)
    assert g.head.weight.data_ptr() != g.transformer.wte.weight.data_ptr()  # a copy, not tied


@pytest.mark.parametrize("case,needles", [
    ("missing", ["is not a directory"]),
    ("no_config", ["holds no config.json"]),
    ("not_gpt2", ["holds a llama config.json, not a GPT-2 model"]),
    ("no_weights", ["could not be loaded as a GPT-2 model"]),
    ("vocab", ["vocabulary of 31 tokens", "has 30"]),
    ("layers", ["has layers 2", "generator.transformer.layers=2"]),
])
def test_pretrained_errors(tmp_path, case, needles):
    kw = {}
    if case == "missing":
        path = tmp_path / "nowhere"
    elif case == "no_config":
        path = tmp_path / "empty"
        path.mkdir()
    elif case in ("not_gpt2", "no_weights"):
        path = tmp_path / "other"
        make().save_pretrained(path)
        for weights in path.glob("*.safetensors"):
            weights.unlink()
        if case == "not_gpt2":
            (path / "config.json").write_text('{"model_type": "llama"}')
    else:
        path = tmp_path / "gpt"
        make(vocab=V + 1 if case == "vocab" else V).save_pretrained(path)
        kw = {"layers": 3} if case == "layers" else {}
    with pytest.raises(UserError) as err:
        build_generator(pretrained_cfg(path, **kw), vocab_size=V, bos_id=BOS)
    message = str(err.value)
    assert "\n" not in message and "generator.transformer.pretrained_dir" in message
    for needle in needles:
        assert needle in message


def test_gumbel_softmax_decoding_trains_the_transformer(gen):
    """RelGAN / GSGAN decode with relaxed one-hots fed back into `step`: gradients reach every weight."""
    from textgan.gumbel import gumbel_decode

    gen.train()
    soft, ids = gumbel_decode(gen, B, T, beta=2.0, rng=torch.Generator().manual_seed(0))
    assert soft.shape == (B, T, V) and ids.shape == (B, T)
    torch.testing.assert_close(soft.sum(dim=-1), torch.ones(B, T))
    (soft * torch.randn(V)).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in gen.parameters())


@pytest.mark.parametrize("inner_dim, width", [(0, 4 * 8), (20, 20)])
def test_inner_dim_sets_the_mlp_width(inner_dim, width):
    # generator.transformer.inner_dim: the width of every block's MLP (0 = 4 * d_model, as GPT-2)
    cfg = GeneratorConfig()
    set_value(cfg, "kind", "transformer")
    set_value(cfg, "transformer.d_model", 8)
    set_value(cfg, "transformer.heads", 2)
    set_value(cfg, "transformer.inner_dim", inner_dim)
    g = build_generator(cfg, vocab_size=11, bos_id=2)
    for block in g.transformer.h:                          # GPT-2's Conv1D weights are (in, out)
        assert block.mlp.c_fc.weight.shape == (8, width) and block.mlp.c_proj.weight.shape == (width, 8)
    default = sum(p.numel() for p in build_generator(GeneratorConfig(kind="transformer", transformer=TransformerConfig(
        d_model=8, heads=2)), vocab_size=11, bos_id=2).parameters())
    ours = sum(p.numel() for p in g.parameters())
    # per block: c_fc (8 x w + w) and c_proj (w x 8 + 8)
    assert ours - default == g.num_layers * (8 * width + width + width * 8 + 8 - (8 * 32 + 32 + 32 * 8 + 8))
    assert g(torch.randint(0, 11, (2, 5))).shape == (2, 5, 11)
