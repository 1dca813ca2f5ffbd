"""Tests of textgan.rollout: the batched Monte Carlo rollout against a per-prefix reference decode that
uses the same per-row uniforms, the last-token reward, EOS masking, states cached while sampling, and
the rollout-network update."""

from __future__ import annotations

import copy

import pytest
import torch

from tests.rollout_reference import reference_completions
from textgan.nn import CNNDiscriminator, LSTMGenerator
from textgan.rollout import (
    draw_uniforms,
    eos_mask,
    rollout_completions,
    rollout_rewards,
    sample_rows,
    update_rollout_network,
)
from textgan.sampling import sample_batch, sample_with_states, teacher_forced_states

V, BOS, EOS, PAD, T, B, R = 13, 1, 2, 0, 7, 5, 3


@pytest.fixture
def nets():
    torch.manual_seed(0)
    gen = LSTMGenerator(V, 6, 5, bos_id=BOS, init_std=0.5)
    disc = CNNDiscriminator(V, 4, [1, 2, 9], [3, 4, 2])  # width 9 > T
    return gen, disc


def reference_rewards(policy, disc, samples, uniforms, eos_id=None):
    """SeqGAN's loop: every prefix k and rollout r decoded on its own (re-reading the prefix), scored alone."""
    completions = reference_completions(policy, samples, uniforms, eos_id=eos_id, pad_id=PAD)
    rollouts = uniforms.shape[2]
    rewards = torch.zeros(samples.shape)
    disc.eval()
    with torch.no_grad():
        for k in range(1, samples.shape[1]):
            for r in range(rollouts):
                rewards[:, k - 1] += torch.sigmoid(disc(completions[:, k - 1, r])) / rollouts
        rewards[:, -1] = torch.sigmoid(disc(samples))
    return completions, rewards * eos_mask(samples, eos_id)


@pytest.mark.parametrize("chunk_rows", [1, 40, 10_000])
def test_batched_rollout_equals_reference_loop(nets, chunk_rows):
    gen, disc = nets
    samples = sample_batch(gen, B, T, rng=torch.Generator().manual_seed(1))
    u = draw_uniforms(B, T, R, torch.Generator().manual_seed(2))
    ref_completions, ref_rewards = reference_rewards(gen, disc, samples, u)
    states = teacher_forced_states(gen, samples)
    completions = rollout_completions(gen, samples, states, u, chunk_rows=chunk_rows)
    assert torch.equal(completions, ref_completions)
    rewards = rollout_rewards(gen, disc, samples, rollouts=R, uniforms=u, chunk_rows=chunk_rows, d_chunk_rows=7)
    torch.testing.assert_close(rewards, ref_rewards, rtol=1e-5, atol=1e-6)
    # every completion keeps its prefix
    for k in range(1, T):
        assert torch.equal(completions[:, k - 1, :, :k], samples[:, None, :k].expand(B, R, k))


@pytest.mark.parametrize("temperature", [0.25, 3.0])
def test_completions_are_drawn_at_the_given_temperature(nets, temperature):
    # LeakGAN samples its policy-gradient batch at adversarial.temperature: the completions must continue
    # that policy, softmax(logits / T), not the untempered one (they used to ignore the temperature)
    gen, disc = nets
    samples = sample_batch(gen, B, T, temperature=temperature, rng=torch.Generator().manual_seed(1))
    u = draw_uniforms(B, T, R, torch.Generator().manual_seed(2))
    states = teacher_forced_states(gen, samples)
    completions = rollout_completions(gen, samples, states, u, chunk_rows=40, temperature=temperature)
    assert torch.equal(completions, reference_completions(gen, samples, u, temperature=temperature))
    assert not torch.equal(completions, rollout_completions(gen, samples, states, u, chunk_rows=40))
    rewards = rollout_rewards(gen, disc, samples, rollouts=R, uniforms=u, temperature=temperature)
    with torch.no_grad():
        expected = torch.sigmoid(disc.eval()(completions.reshape(-1, T))).view(B, T - 1, R)
    torch.testing.assert_close(rewards[:, :-1], expected.mean(dim=2), rtol=1e-5, atol=1e-6)


def test_reward_of_last_token_is_d_of_the_full_sequence(nets):
    gen, disc = nets
    samples = sample_batch(gen, B, T, rng=torch.Generator().manual_seed(3))
    disc.train()  # rewards must be taken with dropout off whatever mode D is in
    rewards = rollout_rewards(gen, disc, samples, rollouts=R, rng=torch.Generator().manual_seed(4))
    assert disc.training
    with torch.no_grad():
        expected = torch.sigmoid(disc.eval()(samples))
    torch.testing.assert_close(rewards[:, -1], expected)
    assert rewards.shape == (B, T) and ((rewards > 0) & (rewards < 1)).all()


def test_eos_completions_are_padded_and_rewards_masked(nets):
    gen, disc = nets
    with torch.no_grad():
        gen.output.bias[EOS] += 2.5  # EOS likely enough that most rows stop early
    samples = sample_batch(gen, B, T, eos_id=EOS, pad_id=PAD, rng=torch.Generator().manual_seed(5))
    mask = eos_mask(samples, EOS)
    assert (~mask).any() and mask[:, 0].all()
    u = draw_uniforms(B, T, R, torch.Generator().manual_seed(6))
    ref_completions, ref_rewards = reference_rewards(gen, disc, samples, u, eos_id=EOS)
    states = teacher_forced_states(gen, samples)
    completions = rollout_completions(gen, samples, states, u, eos_id=EOS, pad_id=PAD, chunk_rows=16)
    assert torch.equal(completions, ref_completions)
    rewards = rollout_rewards(gen, disc, samples, rollouts=R, uniforms=u, eos_id=EOS, pad_id=PAD)
    torch.testing.assert_close(rewards, ref_rewards, rtol=1e-5, atol=1e-6)
    assert (rewards[~mask] == 0).all() and (rewards[mask] > 0).all()
    # after a completion's first EOS only padding follows
    flat = completions.reshape(-1, T)
    after = ~eos_mask(flat, EOS)
    assert (flat[after] == PAD).all()
    # a prefix that already holds EOS is completed by the sample itself
    for b in range(B):
        first = int(mask[b].sum()) - 1           # index of the EOS (or T-1)
        for k in range(first + 1, T):
            assert torch.equal(completions[b, k - 1], samples[b, None].expand(R, T))


def test_eos_mask():
    tokens = torch.tensor([[5, 2, 0, 0], [5, 6, 7, 8], [2, 0, 0, 0]])
    assert eos_mask(tokens, 2).tolist() == [[True, True, False, False], [True] * 4, [True, False, False, False]]
    assert eos_mask(tokens, None).all()


def test_sample_with_states_matches_sampling_and_teacher_forcing(nets):
    gen, _ = nets
    tokens, states = sample_with_states(gen, B, T, eos_id=EOS, rng=torch.Generator().manual_seed(7))
    assert torch.equal(tokens, sample_batch(gen, B, T, eos_id=EOS, rng=torch.Generator().manual_seed(7)))
    assert [s.shape for s in states] == [(T, 1, B, 5)] * 2
    for a, b in zip(states, teacher_forced_states(gen, tokens)):
        torch.testing.assert_close(a, b)
    # using the cached states gives the same rewards as recomputing them
    _, disc = nets
    u = draw_uniforms(B, T, R, torch.Generator().manual_seed(8))
    torch.testing.assert_close(rollout_rewards(gen, disc, tokens, rollouts=R, uniforms=u, states=states, eos_id=EOS),
                               rollout_rewards(gen, disc, tokens, rollouts=R, uniforms=u, eos_id=EOS))


def test_rollout_network_update_rate(nets):
    gen, _ = nets
    old = copy.deepcopy(gen)
    with torch.no_grad():
        for p in gen.parameters():
            p.add_(1.0)
    mixed = copy.deepcopy(old)
    update_rollout_network(mixed, gen, 0.8)
    for (_, a), (_, o), (_, g) in zip(mixed.named_parameters(), old.named_parameters(), gen.named_parameters()):
        torch.testing.assert_close(a, 0.8 * o + 0.2 * g)
    frozen = copy.deepcopy(old)
    update_rollout_network(frozen, gen, 1.0)
    copied = copy.deepcopy(old)
    update_rollout_network(copied, gen, 0.0)
    for f, c, o, g in zip(frozen.parameters(), copied.parameters(), old.parameters(), gen.parameters()):
        assert torch.equal(f, o) and torch.equal(c, g)


def test_sequence_of_length_one(nets):
    gen, disc = nets
    samples = sample_batch(gen, B, 1, rng=torch.Generator().manual_seed(9))
    rewards = rollout_rewards(gen, disc, samples, rollouts=R)
    with torch.no_grad():
        torch.testing.assert_close(rewards[:, 0], torch.sigmoid(disc.eval()(samples)))


@pytest.mark.parametrize("vocab", [5, 64, 150])
def test_sample_rows_draws_from_the_softmax(vocab):
    g = torch.Generator().manual_seed(10)
    logits = torch.randn(1, vocab, generator=g) * 2
    n = 200_000
    u = torch.rand(n, 2, generator=g)
    tokens = sample_rows(logits.expand(n, vocab).clone(), u)
    freq = torch.bincount(tokens, minlength=vocab).double() / n
    probs = torch.softmax(logits[0].double(), dim=0)
    assert (freq - probs).abs().max() < 5 * (probs * (1 - probs) / n).sqrt().max() + 1e-4
    # the shared sampler is the same draw on a copy: identical tokens, its input left untouched
    from textgan.sampling import sample_from_uniforms
    kept = logits.expand(n, vocab).clone()
    assert torch.equal(sample_from_uniforms(kept, u), tokens)
    assert torch.equal(kept, logits.expand(n, vocab))


def test_sample_rows_never_draws_a_zero_weight_token():
    logits = torch.randn(4, 150)
    logits[:, 60:] = float("-inf")                           # trailing zero-weight tokens
    u = torch.full((4, 2), 1.0 - 2**-24)                     # the largest float32 below 1
    assert (sample_rows(logits, u) < 60).all()
