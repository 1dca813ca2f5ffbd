"""Tests of textgan/gans/log_probs.py: per-token log-probabilities on known logits."""

import math

import torch

from textgan.gans.log_probs import gather_log_probs, token_log_probs


def test_gather_log_probs_matches_a_hand_computed_softmax():
    logits = torch.tensor([[[0.0, math.log(3.0)], [math.log(4.0), 0.0]]])   # (1, 2, 2)
    tokens = torch.tensor([[1, 1]])
    got = gather_log_probs(logits, tokens)
    assert got.shape == (1, 2)
    assert torch.allclose(got, torch.tensor([[math.log(3 / 4), math.log(1 / 5)]]))


def test_gather_log_probs_works_in_float32_for_half_logits():
    logits = torch.randn(2, 3, 7).to(torch.bfloat16)
    tokens = torch.randint(0, 7, (2, 3))
    got = gather_log_probs(logits, tokens)
    assert got.dtype == torch.float32
    assert torch.allclose(got.exp().sum(), torch.softmax(logits.float(), -1).gather(2, tokens[..., None]).sum())


def test_token_log_probs_runs_the_generator_under_teacher_forcing():
    seen = []

    class Recorder(torch.nn.Module):
        def forward(self, tokens):
            seen.append(tokens)
            return torch.zeros(*tokens.shape, 5)

    tokens = torch.tensor([[0, 4, 2]])
    got = token_log_probs(Recorder(), tokens)
    assert seen[0] is tokens
    assert torch.allclose(got, torch.full((1, 3), -math.log(5.0)))
