"""Tests of MaskGAN's networks: the seq2seq generator's step protocol agrees with teacher forcing, the
unconditional path encodes an all-masked input, and the discriminator / critic shapes and gradients."""

from __future__ import annotations

import torch

from textgan.nn import GeneratorConfig, build_generator
from textgan.nn.mask_discriminator import MaskDiscriminator
from textgan.nn.seq2seq import MaskSeq2SeqGenerator

V, T, B = 11, 7, 3


def gen() -> MaskSeq2SeqGenerator:
    torch.manual_seed(0)
    g = MaskSeq2SeqGenerator(V, 6, 8, num_layers=2, bos_id=1, max_len=T, init_std=0.3)
    return g.eval()


def test_step_protocol_matches_teacher_forcing():
    g = gen()
    tokens = torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(1))
    masked = tokens.clone()
    masked[:, 2:5] = g.mask_id
    with torch.no_grad():
        full = g.teacher_force(masked, tokens)                      # (B, T, V)
        state = g.encode(masked)
        inputs = torch.full((B,), g.bos_id)
        for t in range(T):
            logits, state = g.step(inputs, state)
            torch.testing.assert_close(logits, full[:, t], rtol=1e-5, atol=1e-5)
            inputs = tokens[:, t]
    assert full.shape == (B, T, V)


def test_unconditional_path_is_the_all_masked_input():
    g = gen()
    tokens = torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        torch.testing.assert_close(g(tokens), g.teacher_force(torch.full((B, T), g.mask_id), tokens))
        state = g.init_state(B)
    assert state[2].shape == (T, B, 8)                               # memory over max_len positions, batch dim 1
    assert all(s.shape[1] == B for s in state)


def test_registered_as_generator_kind_and_max_len_is_saved():
    cfg = GeneratorConfig(kind="seq2seq", emb_dim=4, hidden_dim=4)
    g = build_generator(cfg, V, 1)
    assert isinstance(g, MaskSeq2SeqGenerator) and g.embedding.num_embeddings == V + 1
    g.max_len.fill_(13)
    fresh = build_generator(cfg, V, 1)
    fresh.load_state_dict(g.state_dict())
    assert int(fresh.max_len) == 13 and fresh.init_state(2)[2].shape[0] == 13


def test_discriminator_scores_every_position_and_critic_is_detached():
    torch.manual_seed(0)
    d = MaskDiscriminator(V, 6, 8)
    masked = torch.full((B, T), V)
    filled = torch.randint(0, V, (B, T))
    logits, values = d.with_values(masked, filled)
    assert logits.shape == (B, T) and values.shape == (B, T)
    values.sum().backward()
    grads = {n: p.grad for n, p in d.named_parameters()}
    assert all(grads[n] is None for n in grads if not n.startswith("critic."))
    assert all(grads[n] is not None for n in grads if n.startswith("critic."))
    # D's output at t depends on x_hat_0..t only (its decoder reads left to right)
    changed = filled.clone()
    changed[:, -1] = (changed[:, -1] + 1) % V
    with torch.no_grad():
        torch.testing.assert_close(d(masked, changed)[:, :-1], d(masked, filled)[:, :-1])
