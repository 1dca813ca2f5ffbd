"""Tests of the conditional generators and discriminators (textgan/nn/conditional_*.py): the step
protocol agrees with teacher forcing, the label changes the output distribution (and a tiny trained
generator writes its class's words), per-class sampling returns the requested count, rollouts run on
label-bound policies, and the discriminator's three modes mean what they say."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from textgan.data.corpus import Corpus
from textgan.errors import UserError
from textgan.gans.conditional import conditional_mle_epoch, draw_labels
from textgan.gans.cseqgan import class_score
from textgan.nn import DiscriminatorConfig, GeneratorConfig, build_discriminator
from textgan.nn.conditional_discriminator import ConditionalDiscriminator
from textgan.nn.conditional_generator import build_conditional_generator
from textgan.rollout import rollout_rewards
from textgan.sampling import sample, sample_with_states

V, K, T = 12, 3, 5
MODES = ["prefix", "per_class"]


def make_gen(mode: str, seed: int = 0, init_std: float = 0.1):
    torch.manual_seed(seed)
    return build_conditional_generator(mode, GeneratorConfig(emb_dim=8, hidden_dim=8, init_std=init_std), V, 1, K)


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
@pytest.mark.parametrize("mode", MODES)
def test_step_protocol_matches_teacher_forcing(mode, kind):
    if kind == "lstm":
        gen = make_gen(mode).eval()
    else:  # written once over the step protocol: any generator kind can be wrapped
        cfg = GeneratorConfig(kind="transformer")
        cfg.transformer.layers, cfg.transformer.heads, cfg.transformer.d_model = 1, 2, 16
        torch.manual_seed(0)
        gen = build_conditional_generator(mode, cfg, V, 1, K).eval()
    labels, tokens = torch.tensor([0, 1, 2, 1]), torch.randint(0, V, (4, T))
    forced = gen(tokens, labels)                                          # (B, T, V)
    bound = gen.bind(labels)
    state, inputs, steps = bound.init_state(4), torch.full((4,), gen.bos_id), []
    for t in range(T):
        logits, state = bound.step(inputs, state)
        steps.append(logits)
        inputs = tokens[:, t]
    assert forced.shape == (4, T, V)
    torch.testing.assert_close(torch.stack(steps, 1), forced, atol=1e-6, rtol=1e-5)
    # soft one-hot inputs give the same logits as ids
    soft, _ = bound.step(F.one_hot(tokens[:, 0], V).float(), bound.init_state(4))
    ids, _ = bound.step(tokens[:, 0], bound.init_state(4))
    torch.testing.assert_close(soft, ids)


@pytest.mark.parametrize("mode", MODES)
def test_label_changes_the_output_distribution(mode):
    gen = make_gen(mode, init_std=0.0).eval()                             # PyTorch's default init
    tokens = torch.randint(0, V, (1, T)).expand(K, T)
    probs = gen(tokens, torch.arange(K)).softmax(-1)                      # same text, each label
    for a in range(K):
        for b in range(a + 1, K):
            assert (probs[a] - probs[b]).abs().max() > 1e-3


@pytest.mark.parametrize("mode", MODES)
def test_tiny_generator_learns_to_write_its_class(mode):
    # class c's sentences are the token c + 3 repeated: a conditional model must tell them apart
    torch.manual_seed(0)
    labels = torch.arange(60) % K
    tokens = (labels[:, None] + 3).expand(60, T).clone()
    corpus = Corpus(tokens, torch.full((60,), T))
    gen = make_gen(mode)
    opt = torch.optim.Adam(gen.parameters(), lr=0.05)
    for _ in range(15):
        conditional_mle_epoch(gen, opt, corpus, labels, 20, 5.0, torch.device("cpu"))
    for c in range(K):
        out = sample(gen.bind(c), 20, T, seed=c)
        assert out.shape == (20, T)                                       # the requested count
        assert (out == c + 3).float().mean() > 0.9


@pytest.mark.parametrize("mode", MODES)
def test_class_conditional_rollouts_on_bound_policy(mode):
    gen = make_gen(mode)
    body = build_discriminator(DiscriminatorConfig(emb_dim=8, filter_sizes=[2, 3], num_filters=[4, 4]), V)
    disc = ConditionalDiscriminator(body, K, "cgan")
    labels = draw_labels(6, K, torch.device("cpu"))
    assert sorted(labels.tolist()) == [0, 0, 1, 1, 2, 2]                  # balanced
    bound = gen.bind(labels)
    samples, states = sample_with_states(bound, 6, T, eos_id=2, pad_id=0)
    score = class_score(disc, labels, T, 3, chunk_rows=7)
    rewards = rollout_rewards(bound, None, samples, rollouts=3, states=states, eos_id=2, pad_id=0,
                              score=score, rng=torch.Generator().manual_seed(0))
    assert rewards.shape == (6, T) and ((rewards >= 0) & (rewards <= 1)).all()
    # the full-sequence reward is D(sample | its own label)
    with torch.no_grad():
        disc.eval()
        expect = torch.sigmoid(disc(samples, labels))
    after_eos = (samples == 2).long().cumsum(1) - (samples == 2).long() > 0
    full = ~after_eos[:, -1]
    torch.testing.assert_close(rewards[full, -1], expect[full])
    assert (rewards[after_eos] == 0).all()


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_bound_views_leave_the_generators_mode_as_it_was(mode, training):
    # sample / rollouts restore the mode of the module they are given; a fresh LabelBound used to report
    # training=True, so restoring it switched an eval-mode generator (a loaded run's) into training mode
    # and its later forwards ran with dropout
    gen = make_gen(mode).train(training)
    sample(gen.bind(1), 3, T, seed=0)
    assert all(m.training is training for m in gen.modules())
    policy = gen.bind(torch.tensor([0, 2]))
    samples, states = sample_with_states(policy, 2, T, rng=torch.Generator().manual_seed(0))
    rollout_rewards(policy, None, samples, rollouts=2, states=states, score=lambda ids: ids[:, 0].float())
    assert all(m.training is training for m in gen.modules())


def make_disc(mode: str) -> ConditionalDiscriminator:
    torch.manual_seed(0)
    body = build_discriminator(DiscriminatorConfig(emb_dim=8, filter_sizes=[2, 3], num_filters=[4, 4]), V)
    return ConditionalDiscriminator(body, K, mode, label_dim=4, hidden_dim=8).eval()


@pytest.mark.parametrize("mode", ["cgan", "aux", "multiclass"])
def test_discriminator_modes(mode):
    disc = make_disc(mode)
    x = torch.randint(0, V, (4, T))
    same = x[:1].expand(K, T)
    logits = disc(same, torch.arange(K))
    assert logits.shape == (K,) and torch.isfinite(logits).all()
    assert logits.max() - logits.min() > 1e-4                             # the label matters
    out = disc._outputs(x, torch.zeros(4, dtype=torch.long))
    p = torch.sigmoid(disc(x, torch.full((4,), 1)))
    if mode == "multiclass":                                              # SentiGAN's D_i: softmax over K+1
        torch.testing.assert_close(p, out.softmax(1)[:, 1])
    if mode == "aux":                                                     # D(real) * p(class | x)
        torch.testing.assert_close(p, torch.sigmoid(out[:, 0]) * out[:, 1:].softmax(1)[:, 1])
    # a few steps of its own loss separate real (x, y) pairs from fakes
    disc.train()
    opt = torch.optim.Adam(disc.parameters(), lr=0.02)
    y = torch.arange(16) % K
    real, fake = (y[:8, None] + 3).expand(8, T), torch.full((8, T), 9)   # real text tells its class
    tokens = torch.cat([real, fake])
    is_real = torch.arange(16) < 8
    first = None
    for _ in range(30):
        loss, correct = disc.loss(disc(tokens, y, raw=True), y, is_real)
        first = first if first is not None else float(loss.detach())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < first and int(correct) >= 12


def test_a_prefix_transformer_too_short_for_the_label_prefix_says_so():
    cfg = GeneratorConfig(kind="transformer")
    cfg.transformer.layers, cfg.transformer.heads, cfg.transformer.d_model, cfg.transformer.max_len = 1, 2, 16, 10
    gen = build_conditional_generator("prefix", cfg, vocab_size=12, bos_id=1, num_classes=2)
    gen.check_length(8)  # 8 tokens + the 2-token prefix fit 10 positions
    # the fix names the length that fits, and says why it is 2 more than the data's sequence length
    with pytest.raises(UserError, match=r"max_len=11 or more \(a conditional run's 9 tokens follow a 2-token label "
                                        r"prefix\)$"):
        gen.check_length(9)
