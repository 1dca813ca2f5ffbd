"""Tests of LeakGAN's generator and leaked features: prefix features equal the discriminator's features of
zero-padded prefixes, step / forward consistency, the manager's goal window arithmetic, the intrinsic
reward on a hand-made case, parameter groups, and batched rollouts through the shared rollout code."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from textgan.nn.cnn_discriminator import CNNDiscriminator
from textgan.nn.leaked_features import prefix_features
from textgan.nn.leakgan_generator import LeakGANGenerator, intrinsic_rewards, manager_cosines
from textgan.rollout import draw_uniforms, rollout_completions, sample_rows
from textgan.sampling import sample_with_states

V, T, B = 13, 7, 3


def make(window: int = 2, widths=(1, 2, 3, 9)) -> LeakGANGenerator:
    torch.manual_seed(0)
    disc = CNNDiscriminator(V, 5, list(widths), [3, 4, 2, 3][: len(widths)], dropout=0.0)
    return LeakGANGenerator(V, disc, T, emb_dim=6, hidden_dim=5, manager_dim=4, goal_dim=3, window=window).eval()


def zero_padded(tokens: torch.Tensor, length: int) -> torch.Tensor:
    """Soft one-hots of `tokens` with every row at position >= length zero (a zero embedding)."""
    onehot = F.one_hot(tokens, V).float()
    onehot[:, length:] = 0.0
    return onehot


def test_prefix_features_equal_discriminator_features_of_padded_prefixes():
    gen = make()
    tokens = torch.randint(0, V, (B, T))
    feats = prefix_features(gen.discriminator, tokens)
    assert feats.shape == (B, T + 1, gen.feature_dim) == (B, T + 1, 12)
    for t in range(T + 1):
        torch.testing.assert_close(feats[:, t], gen.discriminator.features(zero_padded(tokens, t)))
    # the full prefix is the discriminator's own feature of the sequence
    torch.testing.assert_close(feats[:, T], gen.discriminator.features(tokens))


def test_step_equals_forward_and_tracks_the_leaked_features():
    gen = make()
    tokens = torch.randint(0, V, (B, T))
    logits = gen(tokens)
    assert logits.shape == (B, T, V)
    feats = prefix_features(gen.discriminator, tokens)
    state = gen.init_state(B)
    inputs = torch.full((B,), gen.bos_id)
    for t in range(T):
        feature, _ = gen.tracker.advance(gen.discriminator, inputs, state[5:])
        torch.testing.assert_close(feature, feats[:, t])
        step_logits, state = gen.step(inputs, state)
        torch.testing.assert_close(step_logits, logits[:, t])
        inputs = tokens[:, t]
    assert all(s.shape[1] == B for s in state)            # the batch is dim 1 of every component


def test_soft_one_hot_inputs_match_ids():
    gen = make()
    tokens = torch.randint(0, V, (B, T))
    a, b = gen.init_state(B), gen.init_state(B)
    inputs = torch.full((B,), gen.bos_id)
    for t in range(T):
        la, a = gen.step(inputs, a)
        lb, b = gen.step(F.one_hot(inputs, V).float(), b)
        torch.testing.assert_close(la, lb)
        inputs = tokens[:, t]


def test_goal_window_sums_the_previous_c_goals_starting_from_g_init():
    gen = make(window=3)
    goals = torch.arange(1.0, 6.0)[None, :, None].expand(1, 5, gen.feature_dim)      # g_t = t + 1
    with torch.no_grad():
        gen.goal_init.fill_(100.0)
    sums = gen.window_sums(goals)[0, :, 0]
    # w_t sums g_{t-3}, g_{t-2}, g_{t-1}; missing goals are (g_init, 0, 0): g_init only while t < 3
    assert sums.tolist() == [100.0, 101.0, 103.0, 6.0, 9.0]


def test_forward_on_a_shorter_batch_equals_step():
    # a prefix is scored at D's full length T whatever the batch's length; forward used to score a batch of
    # L < T tokens at length L (fewer windows), 0.03 away from the step protocol's logits
    gen = make(widths=(1, 2, 5, 7))
    for length in (2, 4):
        tokens = torch.randint(0, V, (B, length))
        logits = gen(tokens)
        state, inputs = gen.init_state(B), torch.full((B,), gen.bos_id)
        for t in range(length):
            step_logits, state = gen.step(inputs, state)
            torch.testing.assert_close(step_logits, logits[:, t])
            inputs = tokens[:, t]
    with pytest.raises(ValueError, match="at most its discriminator's 7 tokens"):
        gen(torch.randint(0, V, (B, T + 1)))


def test_step_window_matches_window_sums():
    gen = make(window=2)
    tokens = torch.randint(0, V, (B, T))
    out = gen.unroll(tokens)
    sums = gen.window_sums(out.goals)
    state, inputs = gen.init_state(B), torch.full((B,), gen.bos_id)
    for t in range(T):
        torch.testing.assert_close(state[4].sum(dim=0), sums[:, t])   # the window the step uses
        _, state = gen.step(inputs, state)
        torch.testing.assert_close(state[4][-1], out.goals[:, t])     # g_t slid in last
        inputs = tokens[:, t]
    assert torch.allclose(out.goals.norm(dim=-1), torch.ones(B, T))  # unit goals


def test_intrinsic_reward_on_a_known_case():
    f = torch.zeros(1, 4, 2)
    f[0, 1] = torch.tensor([1.0, 0.0])
    f[0, 2] = torch.tensor([1.0, 1.0])
    f[0, 3] = torch.tensor([1.0, 2.0])
    g = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]])               # g_0, g_1, g_2
    r = intrinsic_rewards(f, g, window=2)
    # y_0: cos(f1 - f0, g0) = 1; y_1: mean(cos(f2 - f1, g1), cos(f2 - f0, g0)) = (1 + 1/sqrt2) / 2;
    # y_2: mean(cos(f3 - f2, g2), cos(f3 - f1, g1)) = 1
    torch.testing.assert_close(r, torch.tensor([[1.0, (1 + 2 ** -0.5) / 2, 1.0]]))
    m = manager_cosines(f, g, window=2)                                     # cos(f_{t+2} - f_t, g_t), t = 0, 1
    torch.testing.assert_close(m, torch.tensor([[2 ** -0.5, 1.0]]))


def test_parameter_groups_and_gradient_routing():
    gen = make().train()
    worker, manager = gen.worker_parameters(), gen.manager_parameters()
    ids = {id(p) for p in worker} | {id(p) for p in manager}
    assert len(ids) == len(worker) + len(manager)                          # disjoint
    assert ids.isdisjoint(id(p) for p in gen.discriminator.parameters())   # D is not a generator weight
    assert len(ids) + len(list(gen.discriminator.parameters())) == len(list(gen.parameters()))
    out = gen.unroll(torch.randint(0, V, (B, T)))
    out.logits.sum().backward()                                            # the worker's path
    assert all(p.grad is None for p in manager) and gen.out_weight.grad is not None
    assert all(p.grad is None for p in gen.discriminator.parameters())


@pytest.mark.parametrize("eos", [None, 2])
def test_shared_batched_rollouts_match_a_per_prefix_reference(eos):
    gen = make()
    torch.manual_seed(1)
    samples, states = sample_with_states(gen, B, T, eos_id=eos, pad_id=0)
    u = draw_uniforms(B, T, 2, torch.Generator().manual_seed(3))
    fast = rollout_completions(gen, samples, states, u, eos_id=eos, pad_id=0, chunk_rows=5)
    for b in range(B):
        for k in range(1, T):
            for r in range(2):
                row = samples[b:b + 1].clone()
                state, inputs = gen.init_state(1), torch.full((1,), gen.bos_id)
                finished = eos is not None and bool((row[0, :k] == eos).any())
                with torch.inference_mode():
                    for j in range(T):
                        logits, state = gen.step(inputs, state)
                        if j >= k:
                            token = sample_rows(logits.float(), u[b, k - 1, r, j][None])
                            if finished:
                                token = torch.zeros_like(token)
                            finished = finished or (eos is not None and int(token) == eos)
                            row[0, j] = token
                        inputs = row[:, j]
                assert torch.equal(fast[b, k - 1, r], row[0]), (b, k, r)
