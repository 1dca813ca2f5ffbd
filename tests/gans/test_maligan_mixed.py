"""Tests of MaliGAN-full's mixed training (`textgan/gans/maligan_mixed.py`): the prefix-length schedule, the
per-prefix normalisation of the importance weights on known D outputs, the mixed loss on a known policy, and
CLI runs (every phase, and bitwise resume across a change of prefix length)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from conftest import FixedLogits, assert_same_final_weights, metric_records

from textgan.gans.maligan_mixed import group_rewards, mixed_loss, prefix_length

TINY = Path(__file__).resolve().parents[2] / "configs" / "tiny" / "maligan.yaml"
MIXED = ["maligan.reward=mixed", "maligan.continuations=4", "maligan.prefix_step=3"]


def test_prefix_length_falls_by_k_per_stage_and_stops_at_zero():
    lengths = [prefix_length(r, seq_len=10, step=3, rounds_per_step=2) for r in range(10)]
    assert lengths == [7, 7, 4, 4, 1, 1, 0, 0, 0, 0]
    assert prefix_length(0, seq_len=20, step=1, rounds_per_step=1) == 19


def test_weights_normalise_within_each_prefix_group():
    # 2 prefixes x 3 continuations; D = 0.5, 0.8, 0.2 (odds 1, 4, 1/4) in group 0, equal in group 1
    d = torch.tensor([0.5, 0.8, 0.2, 0.6, 0.6, 0.6])
    rewards = group_rewards(torch.log(d / (1 - d)), groups=2, continuations=3,
                            mask=torch.ones(6, dtype=torch.bool))
    odds = torch.tensor([1.0, 4.0, 0.25])
    torch.testing.assert_close(rewards[:3], odds / odds.sum() - 1.0 / 3)
    torch.testing.assert_close(rewards[3:], torch.zeros(3), atol=1e-7, rtol=0)  # equal D: no signal
    # a row with nothing sampled takes no part: its group normalises over the other two
    mask = torch.tensor([True, True, False, True, True, True])
    part = group_rewards(torch.log(d / (1 - d)), groups=2, continuations=3, mask=mask)
    assert part[2] == 0
    torch.testing.assert_close(part[:2], torch.tensor([1.0, 4.0]) / 5.0 - 0.5)
    # one continuation per prefix: the weight normalises to 1 and the baseline 1/1 cancels it (the control)
    single = group_rewards(torch.randn(5), groups=5, continuations=1, mask=torch.ones(5, dtype=torch.bool))
    assert (single == 0).all()


def test_mixed_loss_is_prefix_mle_plus_weighted_continuation_on_a_known_policy():
    b, t, v = 2, 5, 4
    gen = FixedLogits(torch.zeros(b, t, v))                    # uniform: log p = -log 4 everywhere
    eos = 3
    sequences = torch.tensor([[0, 1, 2, 1, 0], [0, 1, eos, 0, 0]])   # row 1 ends at position 2
    rewards = torch.tensor([0.5, -0.25])
    loss, parts = mixed_loss(gen, sequences, prefix_len=2, rewards=rewards, eos_id=eos, terms="means")
    # sampled positions up to EOS: row 0 at 2, 3, 4 (reward 0.5), row 1 at 2 (reward -0.25)
    pg = math.log(v) * (3 * 0.5 - 0.25) / 4
    # prefix positions 0, 1 of both rows: the mean NLL is log 4
    assert parts["pg_loss"] == pytest.approx(pg, rel=1e-6)
    assert parts["prefix_nll"] == pytest.approx(math.log(v), rel=1e-6)
    assert loss.item() == pytest.approx(pg + math.log(v), rel=1e-6)
    loss.backward()
    assert (gen.logits.grad[1, 3:] == 0).all()                 # nothing after EOS
    assert gen.logits.grad[:, :2].abs().sum() > 0 and gen.logits.grad[0, 2:].abs().sum() > 0


def test_mixed_loss_sums_follow_algorithm_2():
    # per prefix: sum_j w_ij log p(y_ij[N:] | x_i[:N]) + sum_{t<N} log p(x_i[t]), averaged over the m prefixes:
    # D's term is not shrunk by the number of sampled tokens against the prefix MLE
    b, t, v = 4, 5, 4
    gen = FixedLogits(torch.zeros(b, t, v))
    sequences = torch.tensor([[0, 1, 2, 1, 0], [0, 1, 3, 0, 0], [2, 2, 1, 1, 1], [2, 2, 0, 3, 0]])  # m=2, n=2
    rewards = torch.tensor([0.5, -0.5, 0.25, -0.25])
    loss, parts = mixed_loss(gen, sequences, prefix_len=2, rewards=rewards, eos_id=3, terms="sums", groups=2)
    # sampled tokens up to EOS: rows 0, 2 three each, row 1 one (its EOS), row 3 two (0, EOS)
    pg = math.log(v) * (3 * 0.5 - 1 * 0.5 + 3 * 0.25 - 2 * 0.25) / 2
    assert parts["pg_loss"] == pytest.approx(pg, rel=1e-6)
    # 2 prefixes of 2 tokens each, every one held by n = 2 rows but counted once: (2 x 2 tokens) / m
    assert parts["prefix_nll"] == pytest.approx(math.log(v) * 2, rel=1e-6)
    assert loss.item() == pytest.approx(pg + math.log(v) * 2, rel=1e-6)
    with pytest.raises(ValueError, match="terms must be one of"):
        mixed_loss(gen, sequences, prefix_len=2, rewards=rewards, eos_id=3, terms="sum", groups=2)
    for groups in (None, 3):                                   # the prefixes must be given and divide the rows
        with pytest.raises(ValueError, match="needs groups"):
            mixed_loss(gen, sequences, prefix_len=2, rewards=rewards, eos_id=3, terms="sums", groups=groups)


def test_mixed_terms_defaults_to_the_behaviour_before_the_key():
    # a saved run without the key resumes as it trained, and finished results keep their config hash;
    # a run that sets sums is named apart in result tables
    from textgan.registry import get_model, make_config, model_label

    spec = get_model("maligan")
    assert make_config(spec).maligan.mixed_terms == "means"
    assert model_label(spec, {"maligan.reward": "mixed", "maligan.mixed_terms": "sums"}) == "maligan[mixed][sums]"


def test_cli_runs_with_a_shrinking_prefix(cli, tmp_path):
    proc = cli.train("--model", "maligan", "--config", TINY, "--run-dir", "run", *MIXED,
                     "adversarial.rounds=3", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    adversarial = [r for r in metric_records(tmp_path / "run") if r["phase"] == "adversarial"]
    assert [r["prefix_len"] for r in adversarial] == [5.0, 2.0, 0.0]   # tiny oracle: seq_len 8, K = 3
    assert all({"pg_loss", "prefix_nll", "d_loss", "nll_oracle"} <= set(r) for r in adversarial)
    assert adversarial[-1]["prefix_nll"] == 0.0                          # N = 0: no real tokens left


def test_resume_continues_the_prefix_schedule_bitwise(cli, tmp_path):
    common = ["--model", "maligan", "--config", TINY]
    full = cli.train(*common, "--run-dir", "full", *MIXED, "adversarial.rounds=2", cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    cut = cli.train(*common, "--run-dir", "cut", *MIXED, "adversarial.rounds=1", cwd=tmp_path)
    assert cut.returncode == 0, cut.stderr
    resumed = cli.train("--resume", "--run-dir", "cut", "adversarial.rounds=2", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_final_weights(tmp_path / "full", tmp_path / "cut")
    assert [r.get("prefix_len") for r in metric_records(tmp_path / "cut") if r["phase"] == "adversarial"] == [5.0, 2.0]
