"""Tests of RankGAN: the ranking softmax on known embeddings (probabilities over a comparison set sum to
one), the ranker loss, the rollout `score` hook, the rewards of a built model, one CLI run through every
phase on the oracle and on text, and bitwise resume."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from conftest import assert_same_final_weights, metric_records, tiny_algorithm

from textgan.checkpoint import latest_checkpoint, load_checkpoint
from textgan.gans.rankgan import cosine_relevance, log_one_minus_exp, log_rank, ranker_loss
from textgan.nn import CNNDiscriminator, LSTMGenerator
from textgan.rollout import discriminator_logits, draw_uniforms, rollout_rewards
from textgan.train import main as train_main

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "configs" / "tiny" / "rankgan.yaml"


def test_cosine_relevance_known_values():
    feats = torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
    refs = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    expected = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1 / math.sqrt(2), 1 / math.sqrt(2)]])
    torch.testing.assert_close(cosine_relevance(feats, refs), expected)


def test_rank_softmax_on_known_embeddings_sums_to_one():
    refs = torch.tensor([[1.0, 0.0], [1.0, 1.0]])                    # U: two references
    pool = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.5]])
    rel = cosine_relevance(pool, refs)                                 # (4, 2)
    gamma = 2.0
    for u in range(2):
        # ranking each s of the pool against the rest: P(s | u, pool) is a softmax over the pool
        probs = torch.stack([log_rank(rel[i:i + 1, u:u + 1], torch.cat([rel[:i, u:u + 1], rel[i + 1:, u:u + 1]]),
                                      gamma)[0].exp() for i in range(4)])
        torch.testing.assert_close(probs, torch.softmax(gamma * rel[:, u], dim=0))
        assert probs.sum().item() == pytest.approx(1.0, abs=1e-6)
    # known value: s = (1, 0) vs C = {(0, 1)} under u = (1, 0): exp(2) / (exp(2) + exp(0))
    one = log_rank(torch.tensor([[1.0]]), torch.tensor([[0.0]]), gamma)
    assert one.exp().item() == pytest.approx(math.exp(2) / (math.exp(2) + 1), rel=1e-6)
    # log R averages log P over the references
    both = log_rank(rel[:1], rel[1:], gamma)
    per_ref = [log_rank(rel[:1, u:u + 1], rel[1:, u:u + 1], gamma) for u in range(2)]
    torch.testing.assert_close(both, (per_ref[0] + per_ref[1]) / 2)


def test_ranker_loss_value_and_direction():
    refs = torch.tensor([[1.0, 0.0]])
    real = torch.tensor([[1.0, 0.1], [1.0, -0.1]])
    fake = torch.tensor([[0.0, 1.0], [-0.1, 1.0]])
    gamma = 3.0
    loss, lr_real, lr_fake = ranker_loss(real, fake, refs, gamma)
    rel_real, rel_fake = cosine_relevance(real, refs), cosine_relevance(fake, refs)
    expected = -(log_rank(rel_real, rel_fake, gamma).mean()
                 + torch.log1p(-log_rank(rel_fake, rel_real, gamma).exp()).mean())
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    assert (lr_real > lr_fake).all()                                   # real ranks above generated here
    swapped, _, _ = ranker_loss(fake, real, refs, gamma)
    assert swapped > loss                                              # a ranker that prefers fakes pays more
    lp = torch.tensor([-1e-9, -0.1, -5.0, -50.0])
    torch.testing.assert_close(log_one_minus_exp(lp)[1:], torch.log1p(-lp.exp())[1:])
    assert torch.isfinite(log_one_minus_exp(lp)).all()


def test_rollout_score_hook_matches_the_default_sigmoid():
    torch.manual_seed(0)
    gen = LSTMGenerator(11, 4, 6, bos_id=0)
    disc = CNNDiscriminator(11, 4, [2, 3], [3, 3])
    samples = torch.randint(0, 11, (3, 5))
    u = draw_uniforms(3, 5, 2, torch.Generator().manual_seed(1))
    seen = []

    def score(tokens):
        seen.append(tokens.shape)
        return torch.sigmoid(discriminator_logits(disc, tokens))

    default = rollout_rewards(gen, disc, samples, rollouts=2, uniforms=u)
    hooked = rollout_rewards(gen, None, samples, rollouts=2, uniforms=u, score=score)
    torch.testing.assert_close(hooked, default)
    assert seen == [torch.Size([3 * 4 * 2 + 3, 5])]                    # one call: all completions + samples


@pytest.fixture
def rankgan():
    return tiny_algorithm("rankgan")


def test_rewards_are_log_ranks_and_prob_variant_is_a_probability(rankgan):
    samples = torch.randint(0, 50, (4, 8))
    rewards, info = rankgan.rewards(samples, None)
    assert rewards.shape == (4, 8) and (rewards <= 0).all() and torch.isfinite(rewards).all()
    assert {"reward", "rank_gen"} <= set(info)
    assert info["rank_gen"] == pytest.approx(rewards[:, -1].mean().item(), rel=1e-5)  # oracle: no EOS
    rankgan.ctx.cfg.rankgan.reward = "prob"
    probs, _ = rankgan.rewards(samples, None)
    assert ((probs > 0) & (probs < 1)).all()
    # R is at most 1 / (comparison set size + 1) times e^(2 gamma) (cosines of ReLU features lie in [0, 1])
    assert (probs <= math.exp(2 * rankgan.ctx.cfg.rankgan.gamma) / 9).all()


def test_ranker_training_moves_the_ranks(rankgan):
    before = rankgan.train_discriminator(1)
    assert {"d_loss", "rank_real", "rank_fake"} == set(before)
    assert 0 < before["rank_real"] < 1 and 0 < before["rank_fake"] < 1
    grads = [p.grad for n, p in rankgan.discriminator.named_parameters() if n.startswith("convs.")]
    assert all(g is not None and g.abs().sum() > 0 for g in grads)


def test_cli_runs_every_phase_on_oracle_and_text(cli, tmp_path, tiny_text, capsys):
    train, test = tiny_text
    # the real entry point in a subprocess on the oracle; in-process (no interpreter start-up) on text
    proc = cli.train("--model", "rankgan", "--config", TINY, "--run-dir", "oracle", cwd=tmp_path)
    text = cli.main(train_main, ["--model", "rankgan", "--config", TINY, "--data", train, f"data.test={test}",
                                 "--run-dir", tmp_path / "text"], capsys)
    for name, p in {"oracle": proc, "text": text}.items():
        assert p.returncode == 0, f"{name}: {p.stderr}"
        records = metric_records(tmp_path / name)
        assert [r["phase"] for r in records][-1] == "adversarial"
        assert {"g_loss", "reward", "d_loss", "rank_real", "rank_fake"} <= set(records[-1])
    assert "nll_oracle" in metric_records(tmp_path / "oracle")[-1]
    assert "bleu_2" in metric_records(tmp_path / "text")[-1]
    weights, _, _ = load_checkpoint(latest_checkpoint(tmp_path / "oracle" / "checkpoints"))
    assert {"generator", "rollout", "discriminator"} <= set(weights)
    assert "rankgan" in cli.main(train_main, ["--list"], capsys).stdout


def test_resume_is_bitwise_identical(cli, tmp_path, capsys):
    common = ["--model", "rankgan", "--config", TINY]
    mix = "adversarial.rollout_update_rate=0.5"                        # a rollout network that differs from G
    for name, rounds in (("full", 2), ("cut", 1)):
        proc = cli.main(train_main, [*common, "--run-dir", tmp_path / name, mix, f"adversarial.rounds={rounds}"],
                        capsys)
        assert proc.returncode == 0, proc.stderr
    resumed = cli.main(train_main, ["--resume", "--run-dir", tmp_path / "cut", "adversarial.rounds=2"], capsys)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_final_weights(tmp_path / "full", tmp_path / "cut")
