"""Tests of the CNN + highway discriminator: shapes for ids and soft one-hots, soft one-hot of ids == ids,
filters wider than the sequence, the SeqGAN output-layer L2 term, config checks and the registry."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from textgan.config import ConfigError
from textgan.errors import UserError
from textgan.nn import CNNDiscriminator, DiscriminatorConfig, build_discriminator
from textgan.nn.cnn_discriminator import SEQGAN_FILTER_SIZES, SEQGAN_NUM_FILTERS

V, B, T = 17, 4, 6


@pytest.fixture
def disc() -> CNNDiscriminator:
    torch.manual_seed(0)
    return CNNDiscriminator(V, 8, [1, 2, 3], [4, 5, 6]).eval()


def test_ids_and_soft_inputs_give_one_logit_per_sequence(disc):
    ids = torch.randint(0, V, (B, T))
    assert disc(ids).shape == (B,)
    soft = torch.softmax(torch.randn(B, T, V), dim=-1)
    assert disc(soft).shape == (B,)
    assert disc.features(ids).shape == (B, 15)


def test_soft_one_hot_of_ids_equals_ids(disc):
    ids = torch.randint(0, V, (B, T))
    torch.testing.assert_close(disc(F.one_hot(ids, V).float()), disc(ids))


def test_gradient_reaches_soft_inputs(disc):
    soft = torch.softmax(torch.randn(B, T, V), dim=-1).requires_grad_(True)
    disc(soft).sum().backward()
    assert soft.grad is not None and soft.grad.abs().sum() > 0


def test_filters_wider_than_the_sequence_are_zero_padded():
    torch.manual_seed(1)
    wide = CNNDiscriminator(V, 8, [2, 10], [3, 4], highway=False).eval()
    ids = torch.randint(0, V, (B, 3))                       # T = 3 < 10
    assert wide(ids).shape == (B,)
    assert torch.isfinite(wide(F.one_hot(ids, V).float())).all()
    feats = wide.features(ids)                              # (B, 7)
    emb = wide.embed(ids).transpose(1, 2)                   # (B, E, 3)
    # the narrow filter sees exactly the real positions; the wide one the zero-padded sequence
    narrow = torch.relu(wide.convs[0](emb).amax(dim=2))
    padded = torch.relu(wide.convs[1](F.pad(emb, (0, 7))).amax(dim=2))
    torch.testing.assert_close(feats, torch.cat([narrow, padded], dim=1))


def test_seqgan_discriminator_at_the_oracle_length():
    torch.manual_seed(2)
    d = CNNDiscriminator(50, 64, SEQGAN_FILTER_SIZES, SEQGAN_NUM_FILTERS).eval()
    assert d(torch.randint(0, 50, (2, 20))).shape == (2,)
    assert d(torch.randint(0, 50, (2, 8))).shape == (2,)   # widths 10, 15, 20 > 8
    assert d.features(torch.randint(0, 50, (2, 20))).shape == (2, 1720)


def test_l2_penalty_is_seqgans_two_class_term_for_one_logit(disc):
    w, b = disc.output.weight, disc.output.bias
    # SeqGAN: l2_loss(W) + l2_loss(b) of two class columns; cheapest columns for logit difference w: +-w/2
    two_class = 0.5 * (2 * (w / 2).square().sum() + 2 * (b / 2).square().sum())
    torch.testing.assert_close(disc.l2_penalty(), two_class)


def test_dropout_only_in_training_mode(disc):
    ids = torch.randint(0, V, (64, T))
    torch.testing.assert_close(disc(ids), disc(ids))
    disc.train()
    torch.manual_seed(3)
    assert not torch.equal(disc(ids), disc(ids))


def test_config_checks_and_registry():
    cfg = DiscriminatorConfig(filter_sizes=[1, 2], num_filters=[3])
    with pytest.raises(ConfigError, match="same length"):
        build_discriminator(cfg, V)
    with pytest.raises(UserError, match="discriminator.kind"):
        build_discriminator(DiscriminatorConfig(kind="nope"), V)
    d = build_discriminator(DiscriminatorConfig(emb_dim=5, filter_sizes=[2, 4], num_filters=[3, 3]), V)
    assert isinstance(d, CNNDiscriminator) and d.embedding.weight.shape == (V, 5)


@pytest.mark.parametrize("seq_len", [1, 4, 12])
def test_scorer_equals_eval_forward(seq_len):
    torch.manual_seed(4)
    d = CNNDiscriminator(V, 8, [1, 3, 5, 10], [4, 3, 2, 5])
    d.train()
    score = d.scorer()                                      # eval semantics whatever D's mode
    ids = torch.randint(0, V, (9, seq_len))
    with torch.no_grad():
        expected = d.eval()(ids)
    torch.testing.assert_close(score(ids), expected, rtol=1e-5, atol=1e-5)
