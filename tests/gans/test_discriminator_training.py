"""Tests of textgan/gans/discriminator_training.py: the real-vs-generated BCE step adds `discriminator.l2` times
D's output-layer penalty, and nothing else changes with it."""

from __future__ import annotations

import pytest
import torch

from textgan.gans.discriminator_training import train_real_vs_generated
from textgan.nn.cnn_discriminator import CNNDiscriminator


def _one_sgd_step(l2: float) -> tuple[CNNDiscriminator, CNNDiscriminator]:
    """(D before, D after) one full-batch SGD step (lr 1) on 4 real and 4 fake sequences."""
    torch.manual_seed(0)
    disc = CNNDiscriminator(11, 4, [2, 3], [3, 3], dropout=0.0)
    before = CNNDiscriminator(11, 4, [2, 3], [3, 3], dropout=0.0)
    before.load_state_dict(disc.state_dict())
    g = torch.Generator().manual_seed(1)
    real, fake = torch.randint(0, 11, (4, 5), generator=g), torch.randint(0, 11, (4, 5), generator=g)
    train_real_vs_generated(disc, torch.optim.SGD(disc.parameters(), lr=1.0), real, fake, epochs=1, batch_size=8,
                            l2=l2)
    return before, disc


def test_l2_adds_its_weight_times_the_output_layer_penalty():
    # l2_penalty = (|w|^2 + b^2) / 4, so its gradient is (w, b) / 2: with SGD at lr 1 the step with l2 moves the
    # output layer by a further -l2 * (w, b) / 2 and leaves every other parameter where the step without l2 does
    before, plain = _one_sgd_step(0.0)
    _, penalised = _one_sgd_step(0.8)
    for name, p in penalised.named_parameters():
        delta = p.detach() - dict(plain.named_parameters())[name].detach()
        if name.startswith("output."):
            expected = -0.8 * dict(before.named_parameters())[name].detach() / 2
            torch.testing.assert_close(delta, expected, rtol=1e-5, atol=1e-7)
            assert delta.abs().max() > 1e-3
        else:
            assert delta.abs().max() == pytest.approx(0.0, abs=1e-7), name
