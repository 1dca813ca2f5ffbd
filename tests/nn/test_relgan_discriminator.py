"""Tests of RelGAN's multi-representation CNN discriminator: shapes for ids and soft one-hots, the
per-representation logits, gradients through soft inputs, and config errors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from textgan.config import ConfigError
from textgan.nn import DiscriminatorConfig, build_discriminator
from textgan.nn.relgan_discriminator import MultiRepDiscriminator, RelGANDiscriminatorConfig

V, T = 17, 6


def disc(num_rep=4, emb=8, widths=(2, 3, 9)):
    torch.manual_seed(0)
    return MultiRepDiscriminator(V, emb, num_rep, list(widths), [5] * len(widths), fc_dim=7).eval()


def test_shapes_for_ids_and_soft_inputs_agree():
    d = disc()
    ids = torch.randint(0, V, (3, T))
    per_rep = d.logits_per_representation(ids)
    assert per_rep.shape == (3, 4)
    assert d(ids).shape == (3,)
    torch.testing.assert_close(d(ids), per_rep.mean(dim=1))
    torch.testing.assert_close(d.logits_per_representation(F.one_hot(ids, V).float()), per_rep)


def test_representations_are_different_views():
    d = disc()
    per_rep = d.logits_per_representation(torch.randint(0, V, (4, T)))
    assert not torch.allclose(per_rep[:, 0], per_rep[:, 1])


def test_gradient_reaches_soft_inputs_and_wide_filters_pad():
    d = disc(widths=(2, 10))                                      # 10 > T: zero-padded on the right
    soft = torch.softmax(torch.randn(2, T, V), dim=-1).requires_grad_(True)
    d(soft).sum().backward()
    assert soft.grad.shape == (2, T, V) and soft.grad.abs().sum() > 0


def test_registered_kind_and_relgan_defaults():
    cfg = RelGANDiscriminatorConfig()
    assert (cfg.kind, cfg.emb_dim, cfg.num_rep, cfg.num_filters, cfg.fc_dim) == ("relgan", 64, 16, [64] * 4, 100)
    cfg.num_filters, cfg.num_rep, cfg.emb_dim = [3, 3, 3, 3], 2, 4
    d = build_discriminator(cfg, V)
    assert isinstance(d, MultiRepDiscriminator) and d.rep_dim == 2
    # a plain DiscriminatorConfig (e.g. SeqGAN's section) with kind=relgan uses RelGAN's num_rep / fc_dim
    plain = DiscriminatorConfig(kind="relgan", emb_dim=64, num_filters=[2, 2, 2, 2])
    assert build_discriminator(plain, V).num_rep == 64


def test_bad_configs_are_config_errors():
    with pytest.raises(ConfigError, match="discriminator.num_rep"):
        MultiRepDiscriminator(V, 10, 4, [2], [3])
    cfg = RelGANDiscriminatorConfig(filter_sizes=[2, 3], num_filters=[4])
    with pytest.raises(ConfigError, match="discriminator.filter_sizes"):
        build_discriminator(cfg, V)
