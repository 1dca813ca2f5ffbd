"""Tests of LeakGAN's training: the bootstrapped rescaled activation on a known ranking, the manager and
worker losses, one CLI run through every phase (oracle and text; the oracle at length 40), sampling from
the run, and bitwise resume across phases."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from conftest import assert_same_final_weights, metric_records, record_d_training_l2, tiny_algorithm

import textgan.gans.leakgan as leakgan
from textgan.checkpoint import latest_checkpoint, load_checkpoint
from textgan.config import ConfigError
from textgan.data.corpus import Corpus
from textgan.data.oracle import seeded_oracle
from textgan.data.sources import DataBundle
from textgan.data.vocab import IdVocab
from textgan.gans.base import TrainContext
from textgan.gans.leakgan import LeakGAN
from textgan.gans.leakgan_rewards import carry_final_value, manager_loss, rescaled_activation, worker_loss
from textgan.nn.leakgan_generator import Unrolled
from textgan.registry import get_model, make_config
from textgan.sample import main as sample_main
from textgan.train import main as train_main

TINY = Path(__file__).resolve().parents[2] / "configs" / "tiny" / "leakgan.yaml"


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def test_rescaled_activation_on_a_known_ranking():
    rewards = torch.tensor([[0.1], [0.9], [0.5], [0.3]])        # ranks (high to low): 4, 1, 2, 3
    out = rescaled_activation(rewards, delta=16.0)[:, 0]
    expected = [sigmoid(16 * (0.5 - r / 4)) for r in (4, 1, 2, 3)]
    torch.testing.assert_close(out, torch.tensor(expected))
    # only the order matters: any increasing transform of a column gives the same rewards
    torch.testing.assert_close(rescaled_activation(rewards ** 3 * 100 - 7, 16.0)[:, 0], out)
    assert rescaled_activation(rewards, delta=0.0).eq(0.5).all()  # delta 0: flat


def test_rescaled_activation_ranks_per_column_among_unmasked_rows():
    rewards = torch.tensor([[0.2, 0.7], [0.8, 0.1], [0.5, 0.9]])
    mask = torch.tensor([[True, True], [True, False], [True, True]])
    out = rescaled_activation(rewards, 4.0, mask)
    assert out[1, 1] == 0                                         # masked
    # column 1 ranks only rows 0 and 2 (B_t = 2): 0.9 -> rank 1, 0.7 -> rank 2
    torch.testing.assert_close(out[[2, 0], 1], torch.tensor([sigmoid(4 * (0.5 - 0.5)), sigmoid(4 * (0.5 - 1))]))
    assert out[1, 0] > out[2, 0] > out[0, 0]                      # column 0 keeps the order of the rewards


def test_a_finished_sequence_keeps_its_final_value_in_later_columns():
    values = torch.tensor([[0.2, 0.6, 0.0, 0.0], [0.3, 0.4, 0.5, 0.1], [0.9, 0.8, 0.7, 0.2]])
    mask = torch.tensor([[True, True, False, False], [True, True, True, True], [True, True, True, True]])
    carried = carry_final_value(values, mask)
    torch.testing.assert_close(carried[0], torch.tensor([0.2, 0.6, 0.6, 0.6]))
    torch.testing.assert_close(carried[1:], values[1:])
    # every column now ranks all 3 rows: in column 3 the finished row's 0.6 ranks first, not out of the ranking
    # (ranking the running rows only gave the lower of two survivors sigma(-delta / 2) whatever D said)
    out = rescaled_activation(carried, 16.0)
    torch.testing.assert_close(out[:, 3], torch.tensor([sigmoid(16 * (0.5 - r / 3)) for r in (1, 3, 2)]))


def _unrolled(logits, goals, features):
    return Unrolled(logits.requires_grad_(True), goals.requires_grad_(True), features)


def test_manager_loss_weights_cosines_by_the_value_after_the_window():
    f = torch.zeros(1, 4, 2)
    f[0, 2] = torch.tensor([1.0, 0.0])
    f[0, 3] = torch.tensor([1.0, 1.0])
    goals = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]])
    out = _unrolled(torch.zeros(1, 3, 5), goals, f)
    mask = torch.ones(1, 3, dtype=torch.bool)
    # c = 2: cosines at t = 0, 1: cos(f2 - f0, g0) = 1, cos(f3 - f1, g1) = 1/sqrt2; Q_t = values[:, t + 1]
    values = torch.tensor([[9.0, 0.5, 0.25]])
    loss = manager_loss(out, 2, mask, values)
    torch.testing.assert_close(loss, torch.tensor(-(0.5 * 1.0 + 0.25 * 2 ** -0.5) / 2))
    torch.testing.assert_close(manager_loss(out, 2, mask), torch.tensor(-(1.0 + 2 ** -0.5) / 2))
    loss.backward()
    assert out.goals.grad is not None and out.logits.grad is None


def test_worker_loss_is_reinforce_on_the_intrinsic_reward():
    torch.manual_seed(0)
    logits, goals, f = torch.zeros(2, 3, 5), torch.randn(2, 3, 4), torch.randn(2, 4, 4)
    out = _unrolled(logits, goals, f)
    tokens = torch.randint(0, 5, (2, 3))
    mask = torch.tensor([[True, True, False], [True, True, True]])
    loss, reward = worker_loss(out, tokens, 2, mask)
    torch.testing.assert_close(loss, -(math.log(1 / 5) * reward * mask).sum() / 5)
    extrinsic = torch.ones(2, 3)
    loss2, _ = worker_loss(out, tokens, 2, mask, extrinsic, weight=0.5)
    torch.testing.assert_close(loss2, loss + 0.5 * math.log(5))
    loss.backward()
    assert out.goals.grad is None                                 # the worker never trains the manager


def test_worker_loss_takes_log_probs_at_the_sampling_temperature():
    # samples drawn at alpha come from softmax(logits / alpha): REINFORCE must push that policy
    torch.manual_seed(0)
    logits, goals, f = torch.randn(2, 3, 5), torch.randn(2, 3, 4), torch.randn(2, 4, 4)
    tokens = torch.randint(0, 5, (2, 3))
    mask = torch.ones(2, 3, dtype=torch.bool)
    loss, reward = worker_loss(_unrolled(logits.clone(), goals, f), tokens, 2, mask, temperature=1.5)
    logp = torch.log_softmax(logits / 1.5, -1).gather(2, tokens[..., None])[..., 0]
    torch.testing.assert_close(loss, -(logp * reward).mean())
    at_one, _ = worker_loss(_unrolled(logits.clone(), goals, f), tokens, 2, mask)
    assert not torch.isclose(loss, at_one)
    # near alpha = 0 (validation lets any alpha > 0 through) greedy tokens get log p = 0, not NaN
    out = _unrolled(logits.clone(), goals, f)
    near_zero, _ = worker_loss(out, logits.argmax(-1), 2, mask, temperature=1e-39)
    near_zero.backward()
    assert near_zero == 0 and torch.isfinite(out.logits.grad).all()


@pytest.fixture(scope="module")
def leakgan_run(cli, tmp_path_factory) -> Path:
    """A finished tiny LeakGAN run on the seeded oracle, through the real CLI (a subprocess)."""
    cwd = tmp_path_factory.mktemp("leakgan_run")
    proc = cli.train("--model", "leakgan", "--config", TINY, "--run-dir", "run", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return cwd / "run"


def test_cli_runs_every_phase_and_samples(cli, leakgan_run, capsys):
    records = metric_records(leakgan_run)
    assert [r["phase"] for r in records] == ["mle", "mle", "adversarial", "adversarial"]
    assert {"mle_loss", "manager_cos", "d_loss"} <= set(records[1])
    assert {"manager_loss", "worker_loss", "intrinsic", "reward", "d_acc", "nll_oracle"} <= set(records[2])
    assert "mle_loss" in records[3] and "mle_loss" not in records[2]   # interleaved MLE after round 2
    assert all(math.isfinite(v) for r in records for v in r.values() if isinstance(v, float))
    weights, state, _ = load_checkpoint(latest_checkpoint(leakgan_run / "checkpoints"))
    assert set(weights) == {"generator"} and "discriminator.output.weight" in weights["generator"]
    assert {"worker", "manager", "worker_adv", "manager_adv", "discriminator"} <= set(state["optimizers"])
    sampled = cli.main(sample_main, ["--run", leakgan_run, "--num", "4", "--seed", "1"], capsys)
    assert sampled.returncode == 0, sampled.stderr
    lines = sampled.stdout.strip().splitlines()
    assert len(lines) == 4 and all(len(line.split()) == 8 for line in lines)


def test_resume_across_phases_is_bitwise_identical(cli, leakgan_run, tmp_path, capsys):
    cut = tmp_path / "cut"
    proc = cli.main(train_main, ["--model", "leakgan", "--config", TINY, "--run-dir", cut, "adversarial.rounds=0"],
                    capsys)
    assert proc.returncode == 0, proc.stderr
    resumed = cli.main(train_main, ["--resume", "--run-dir", cut, "adversarial.rounds=2"], capsys)
    assert resumed.returncode == 0, resumed.stderr
    sf, _ = assert_same_final_weights(leakgan_run, cut)
    assert sf["progress"]["step"] == 3
    strip = lambda rs: [{k: v for k, v in r.items() if k not in ("elapsed_s", "eval_s")} for r in rs]  # noqa: E731
    assert strip(metric_records(cut)) == strip(metric_records(leakgan_run))


def test_cli_runs_on_text(cli, tmp_path, tiny_text, capsys):
    train, test = tiny_text
    proc = cli.main(train_main, ["--model", "leakgan", "--config", TINY, "--data", train, f"data.test={test}",
                                 "data.tokenize=whitespace", "--run-dir", tmp_path / "run"], capsys)
    assert proc.returncode == 0, proc.stderr
    last = metric_records(tmp_path / "run")[-1]
    assert last["phase"] == "adversarial" and "nll_oracle" not in last
    assert {"nll_test", "bleu_2", "self_bleu_2", "worker_loss"} <= set(last)


def test_cli_runs_on_the_oracle_at_length_40_with_the_papers_window(cli, tmp_path, capsys):
    # the paper's second oracle setting: sequences of 40 tokens, goals summed over c = 4 steps (10 windows)
    run = tmp_path / "run"
    proc = cli.main(train_main, ["--model", "leakgan", "--config", TINY, "--run-dir", run,
                                 "data.oracle.seq_len=40", "leakgan.window=4", "adversarial.rounds=1"], capsys)
    assert proc.returncode == 0, proc.stderr
    last = metric_records(run)[-1]
    assert last["phase"] == "adversarial" and math.isfinite(last["nll_oracle"])
    sampled = cli.main(sample_main, ["--run", run, "--num", "3", "--seed", "0"], capsys)
    assert sampled.returncode == 0, sampled.stderr
    assert [len(line.split()) for line in sampled.stdout.strip().splitlines()] == [40, 40, 40]


def test_generator_knobs_without_a_leakgan_meaning_are_one_line_errors(cli, tmp_path, capsys):
    proc = cli.main(train_main, ["--model", "leakgan", "--config", TINY, "--run-dir", tmp_path / "run",
                                 "generator.num_layers=2"], capsys)
    cli.user_error(proc, "generator.num_layers", "leakgan")


def _tiny_leakgan(d_real: str, with_oracle: bool = True) -> LeakGAN:
    cfg = make_config(get_model("leakgan"))
    cfg.generator.emb_dim = cfg.generator.hidden_dim = cfg.leakgan.manager_dim = 8
    cfg.leakgan.goal_dim, cfg.leakgan.window, cfg.leakgan.d_real = 4, 2, d_real
    cfg.discriminator.emb_dim, cfg.discriminator.filter_sizes, cfg.discriminator.num_filters = 8, [2, 3], [4, 4]
    cfg.adversarial.num_negatives = 16
    torch.manual_seed(0)
    oracle = seeded_oracle(vocab_size=50, emb_dim=8, hidden_dim=8)
    tokens = torch.randint(1, 50, (64, 8))
    data = DataBundle("toy", Corpus(tokens, torch.full((64,), 8)), None, IdVocab(50, bos_id=0),
                      oracle if with_oracle else None)
    return LeakGAN(TrainContext(cfg, data, torch.device("cpu")))


@pytest.mark.parametrize("d_real", ["train", "oracle"])
def test_d_real_chooses_where_ds_positives_come_from(monkeypatch, d_real):
    # 'oracle' is the reference code's choice: fresh oracle samples before every D pass, not training rows
    algo = _tiny_leakgan(d_real)
    seen = []
    monkeypatch.setattr(leakgan, "train_real_vs_generated",
                        lambda d, opt, real, fake, **kw: seen.append(real) or {"d_loss": 0.0, "d_acc": 0.5})
    algo.train_discriminator(1)
    algo.train_discriminator(1)
    train_rows = {tuple(row) for row in algo.ctx.data.train.tokens.tolist()}
    for real in seen:
        assert real.shape == (16, 8)
        in_train = sum(tuple(row) in train_rows for row in real.tolist())
        assert in_train == (16 if d_real == "train" else 0)
    assert not torch.equal(seen[0], seen[1])                        # drawn afresh at each pass


def test_d_real_oracle_without_an_oracle_is_a_config_error():
    with pytest.raises(ConfigError, match="leakgan.d_real"):
        _tiny_leakgan("oracle", with_oracle=False)


def test_rollouts_continue_at_the_policy_gradient_temperature(monkeypatch):
    # the batch is sampled at adversarial.temperature; its Monte Carlo completions must use the same alpha
    algo = tiny_algorithm("leakgan")
    algo.adv.temperature = 0.5
    seen = {}
    real_rollout_rewards = leakgan.rollout_rewards

    def spy(*args, **kwargs):
        seen["temperature"] = kwargs.get("temperature", 1.0)
        return real_rollout_rewards(*args, **kwargs)

    monkeypatch.setattr(leakgan, "rollout_rewards", spy)
    algo.generator_step()
    assert seen["temperature"] == 0.5


# -- config keys reach the step they configure ---------------------------------------------------------


def test_worker_extrinsic_weights_the_extrinsic_reward_in_the_workers_loss():
    # worker loss = -mean log p * (r^I + lambda * rescaled extrinsic): linear in lambda = leakgan.worker_extrinsic.
    # Each tiny_algorithm seeds torch the same way, so every step draws the same samples and rollouts.
    losses = {}
    for weight in (0.0, 1.0, 2.5):
        algo = tiny_algorithm("leakgan")
        algo.lk.worker_extrinsic = weight
        losses[weight] = algo.generator_step()["worker_loss"]
    slope = losses[1.0] - losses[0.0]
    assert abs(slope) > 1e-3
    assert losses[2.5] - losses[0.0] == pytest.approx(2.5 * slope, rel=1e-4)


@pytest.mark.parametrize("temperature", [1e-4, 5.0])
def test_ds_negatives_are_sampled_at_the_sample_temperature(monkeypatch, temperature):
    algo = tiny_algorithm("leakgan")
    algo.lk.sample_temperature = temperature
    seen = []
    monkeypatch.setattr(leakgan, "train_real_vs_generated",
                        lambda d, opt, real, fake, **kw: seen.append(fake) or {"d_loss": 0.0, "d_acc": 0.5})
    algo.train_discriminator(1)
    distinct = {tuple(row) for row in seen[0].tolist()}
    # near zero: every negative is G's greedy sentence; high: the 32 negatives are (nearly) all different
    assert len(distinct) == 1 if temperature < 1 else len(distinct) > 16


@pytest.mark.parametrize("clip", [0.0, 1e-4])
def test_g_grad_clip_bounds_worker_and_manager_gradients_separately(clip):
    algo = tiny_algorithm("leakgan")
    algo.adv.g_grad_clip = clip
    algo.generator_step()
    gen = algo.generator
    for params in (gen.worker_parameters(), gen.manager_parameters()):
        norm = torch.nn.utils.get_total_norm([p.grad for p in params if p.grad is not None]).item()
        if clip:
            assert norm == pytest.approx(clip, rel=1e-3)     # each module's own norm: the clip is per module
        else:
            assert norm > 1e-3


def test_discriminator_l2_reaches_ds_training(monkeypatch):
    algo = tiny_algorithm("leakgan")
    algo.ctx.cfg.discriminator.l2 = 0.37
    seen = record_d_training_l2(monkeypatch, leakgan)
    algo.train_discriminator(1)
    assert seen == [0.37]
