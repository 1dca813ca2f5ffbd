"""Tests of the relational-memory generator (RelGAN's G): shapes, the initial memory, step == forward,
soft one-hot inputs, the gated update, and Monte Carlo rollouts over its (1, B, N*D) state."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from textgan.nn import GeneratorConfig, build_generator
from textgan.nn.relational_memory import RelationalMemoryCore, RelationalMemoryGenerator
from textgan.rollout import rollout_rewards
from textgan.sampling import sample_with_states

V, E = 13, 6


def gen(slots=2, heads=2, head_size=4):
    torch.manual_seed(0)
    return RelationalMemoryGenerator(V, E, slots, heads, head_size, bos_id=1)


def test_shapes_and_state_layout():
    g = gen()
    tokens = torch.randint(0, V, (3, 7))
    assert g(tokens).shape == (3, 7, V)
    (state,) = g.init_state(3)
    assert state.shape == (1, 3, 2 * 8)                          # (1, B, slots * heads * head_size)
    logits, (new,) = g.step(tokens[:, 0], (state,))
    assert logits.shape == (3, V) and new.shape == state.shape


def test_initial_memory_is_padded_identity():
    core = RelationalMemoryCore(E, mem_slots=3, num_heads=1, head_size=5)
    mem = core.initial_memory(2, torch.device("cpu"))
    assert mem.shape == (2, 3, 5)
    torch.testing.assert_close(mem[1, :, :3], torch.eye(3))
    assert (mem[:, :, 3:] == 0).all()
    narrow = RelationalMemoryCore(E, mem_slots=4, num_heads=1, head_size=2).initial_memory(1, torch.device("cpu"))
    torch.testing.assert_close(narrow[0], torch.eye(4)[:, :2])   # truncated when D < N


def test_step_matches_forward():
    g = gen()
    tokens = torch.randint(0, V, (4, 6))
    full = g(tokens)
    state = g.init_state(4)
    inputs = torch.full((4,), 1)
    for t in range(6):
        logits, state = g.step(inputs, state)
        torch.testing.assert_close(logits, full[:, t], atol=1e-5, rtol=1e-5)
        inputs = tokens[:, t]


def test_soft_one_hot_inputs_equal_ids():
    g = gen()
    ids = torch.randint(0, V, (5,))
    state = g.init_state(5)
    by_id, _ = g.step(ids, state)
    by_soft, _ = g.step(F.one_hot(ids, V).float(), state)
    torch.testing.assert_close(by_id, by_soft)


def test_forget_gate_keeps_memory_when_input_gate_is_closed():
    core = RelationalMemoryCore(E, mem_slots=1, num_heads=2, head_size=3)
    core.input_bias, core.forget_bias = -1e4, 1e4                # input gate 0, forget gate 1
    memory = torch.randn(2, 1, 6)
    x = core.input_proj(torch.randn(2, E))
    torch.testing.assert_close(core(x, memory), memory)


def test_built_from_config_and_rollouts_work_over_its_state():
    cfg = GeneratorConfig(kind="relational_memory", emb_dim=E)
    cfg.relational.mem_slots, cfg.relational.num_heads, cfg.relational.head_size = 1, 2, 4
    torch.manual_seed(1)
    g = build_generator(cfg, V, 1)
    assert isinstance(g, RelationalMemoryGenerator) and g.state_size == 8
    samples, states = sample_with_states(g, 3, 5)
    assert states[0].shape == (5, 1, 3, 8)                       # (T, 1, B, N*D): batch in dim 1

    class MeanD(torch.nn.Module):
        def forward(self, ids):
            return ids.float().mean(dim=1) - V / 2

    rewards = rollout_rewards(g, MeanD(), samples, rollouts=2, states=states)
    assert rewards.shape == (3, 5) and ((rewards > 0) & (rewards < 1)).all()


def test_mlp_layers_sets_the_depth_of_the_post_attention_mlp():
    # generator.relational.mlp_layers: that many (D, D) linear layers after attention, ReLU between them
    def built(layers):
        cfg = GeneratorConfig(kind="relational_memory", emb_dim=E)
        cfg.relational.mem_slots, cfg.relational.num_heads, cfg.relational.head_size = 1, 2, 4
        cfg.relational.mlp_layers = layers
        torch.manual_seed(2)
        return build_generator(cfg, V, 1)

    one, three = built(1), built(3)
    d = one.core.mem_size
    assert len(one.core.mlp) == 1 and len(three.core.mlp) == 3
    assert all(layer.weight.shape == (d, d) for layer in three.core.mlp)
    count = lambda g: sum(p.numel() for p in g.parameters())   # noqa: E731
    assert count(three) - count(one) == 2 * (d * d + d)
    # one layer is a single linear map: the core's output is the layer norm of rows + W rows + b
    core, x, memory = one.core, torch.randn(2, d), torch.randn(2, 1, d)
    rows = core.attn_norm(torch.cat([memory, x[:, None]], 1) + core._attention(torch.cat([memory, x[:, None]], 1)))
    candidate = core.mlp_norm(rows + core.mlp[0](rows))[:, :1]
    gates = core.gate_input(x[:, None]) + core.gate_memory(torch.tanh(memory))
    i_gate, f_gate = gates.chunk(2, dim=-1)
    expected = torch.sigmoid(i_gate) * torch.tanh(candidate) + torch.sigmoid(f_gate + 1.0) * memory
    torch.testing.assert_close(core(x, memory), expected)
