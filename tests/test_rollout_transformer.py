"""The batched Monte Carlo rollout (textgan/rollout.py) with the Transformer generator: its key/value-cache
states, cached while sampling and indexed / concatenated along dim 1 as rows join at every prefix length,
give the completions of a per-prefix reference decode and the same rewards as recomputed states."""

from __future__ import annotations

import copy

import pytest
import torch

from tests.rollout_reference import reference_completions
from textgan.nn import CNNDiscriminator, TransformerConfig, TransformerGenerator
from textgan.nn.transformer_generator import gpt2_config
from textgan.rollout import draw_uniforms, rollout_completions, rollout_rewards
from textgan.sampling import sample_batch, sample_with_states, teacher_forced_states

V, BOS, EOS, PAD, T, B, R = 13, 1, 2, 0, 6, 4, 3


@pytest.fixture(scope="module")
def nets():
    torch.manual_seed(0)
    cfg = TransformerConfig(layers=2, heads=2, d_model=8, max_len=T, dropout=0.1, init_std=0.5)
    gen = TransformerGenerator(gpt2_config(cfg, V), bos_id=BOS)   # dropout: the rollout must turn it off
    disc = CNNDiscriminator(V, 4, [1, 2, 3], [3, 4, 2])
    return gen, disc


@pytest.mark.parametrize("chunk_rows", [1, 7, 10_000])
@pytest.mark.parametrize("eos_id", [None, EOS])
def test_batched_rollout_equals_reference_loop(nets, chunk_rows, eos_id):
    gen, _ = nets
    if eos_id is not None:  # EOS likely enough that some rows stop early
        gen = copy.deepcopy(gen)
        with torch.no_grad():
            gen.transformer.ln_f.bias.fill_(1.0)
            gen.head.weight[EOS] += 0.3
    samples = sample_batch(gen.eval(), B, T, eos_id=eos_id, pad_id=PAD, rng=torch.Generator().manual_seed(1))
    if eos_id is not None:
        assert (samples[:, :-1] == EOS).any(dim=1).sum() >= 2
    u = draw_uniforms(B, T, R, torch.Generator().manual_seed(2))
    states = teacher_forced_states(gen, samples)
    completions = rollout_completions(gen.train(), samples, states, u, eos_id=eos_id, pad_id=PAD,
                                      chunk_rows=chunk_rows)
    assert gen.training
    assert torch.equal(completions, reference_completions(gen, samples, u, eos_id))


def test_cached_sampling_states_equal_teacher_forced_ones(nets):
    gen, disc = nets
    gen.eval()
    tokens, states = sample_with_states(gen, B, T, eos_id=EOS, rng=torch.Generator().manual_seed(3))
    assert torch.equal(tokens, sample_batch(gen, B, T, eos_id=EOS, rng=torch.Generator().manual_seed(3)))
    *caches, pos = states                                     # time first: (T, *component shape)
    assert [c.shape for c in caches] == [(T, 1, B, 2, T, 4)] * 4 and pos.shape == (T, 1, B)
    assert pos[:, 0, 0].tolist() == list(range(1, T + 1))   # entry j: j + 1 inputs read
    for a, b in zip(states, teacher_forced_states(gen, tokens)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    u = draw_uniforms(B, T, R, torch.Generator().manual_seed(4))
    cached = rollout_rewards(gen, disc, tokens, rollouts=R, uniforms=u, states=states, eos_id=EOS)
    recomputed = rollout_rewards(gen, disc, tokens, rollouts=R, uniforms=u, eos_id=EOS)
    torch.testing.assert_close(cached, recomputed)
    assert cached.shape == (B, T) and (cached >= 0).all() and (cached <= 1).all()


def test_states_recomputed_for_a_rollout_network_in_training_mode_are_its_eval_states(nets):
    # SeqGAN's rollout network is a training-mode copy of G; its states over G's samples must be those of
    # sampling (dropout off), or completions start from dropout-perturbed states
    gen, disc = nets
    gen.eval()
    tokens, states = sample_with_states(gen, B, T, eos_id=EOS, rng=torch.Generator().manual_seed(5))
    u = draw_uniforms(B, T, R, torch.Generator().manual_seed(6))
    cached = rollout_rewards(gen, disc, tokens, rollouts=R, uniforms=u, states=states, eos_id=EOS)
    gen.train()
    torch.manual_seed(7)  # dropout masks, were they drawn
    recomputed = rollout_rewards(gen, disc, tokens, rollouts=R, uniforms=u, eos_id=EOS)
    assert gen.training
    torch.testing.assert_close(recomputed, cached)
