"""Tests of SeqGAN and MaliGAN: the masked REINFORCE loss, MaliGAN's normalised importance weights on known
D outputs, one CLI run of each model through every phase, and bitwise resume across phases."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from conftest import FixedLogits, assert_same_final_weights, record_d_training_l2, tiny_algorithm

from textgan.checkpoint import latest_checkpoint, load_checkpoint
from textgan.gans.maligan import maligan_rewards
from textgan.gans.seqgan import policy_gradient_loss

REPO = Path(__file__).resolve().parents[2]
TINY = {name: REPO / "configs" / "tiny" / f"{name}.yaml" for name in ("seqgan", "maligan")}


def test_policy_gradient_loss_known_value_and_masking():
    b, t, v = 3, 4, 5
    gen = FixedLogits(torch.zeros(b, t, v))                 # uniform policy: log pi = -log 5 everywhere
    samples = torch.randint(0, v, (b, t))
    rewards = torch.tensor([[1.0, 2.0, 3.0, 4.0], [0.5, 0.5, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]], dtype=torch.bool)
    loss = policy_gradient_loss(gen, samples, rewards, mask)
    expected = math.log(v) * (10.0 + 1.0 + 1.0) / 7
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    # rewards at masked positions change nothing, and no gradient reaches them
    noisy = rewards + 100.0 * (~mask)
    loss2 = policy_gradient_loss(gen, samples, noisy, mask)
    assert loss2.item() == pytest.approx(loss.item(), rel=1e-6)
    loss2.backward()
    assert (gen.logits.grad[~mask] == 0).all() and gen.logits.grad[mask].abs().sum() > 0


def test_maligan_weights_on_known_d_outputs():
    d = torch.tensor([0.5, 0.8, 0.2])                       # odds 1, 4, 0.25
    logits = torch.log(d / (1 - d))[:, None]
    rewards = maligan_rewards(logits, torch.ones(3, 1, dtype=torch.bool))[:, 0]
    odds = torch.tensor([1.0, 4.0, 0.25])
    torch.testing.assert_close(rewards, odds / odds.sum() - 1.0 / 3)
    assert rewards.sum().abs() < 1e-6                       # baseline 1/m: zero-sum per batch
    torch.testing.assert_close(rewards + 1.0 / 3, torch.tensor([4, 16, 1]) / 21.0)


def test_maligan_weights_normalise_per_column_over_unmasked_rows():
    logits = torch.randn(4, 3)
    mask = torch.tensor([[1, 1, 1], [1, 1, 0], [1, 0, 0], [1, 0, 0]], dtype=torch.bool)
    rewards = maligan_rewards(logits, mask)
    assert (rewards[~mask] == 0).all()
    counts = mask.sum(dim=0)
    weights = (rewards + mask / counts.clamp(min=1)) * mask
    torch.testing.assert_close(weights.sum(dim=0), torch.ones(3))
    torch.testing.assert_close(rewards.sum(dim=0), torch.zeros(3), atol=1e-6, rtol=0)
    assert rewards[0, 2] == 0                                # a single row: weight 1 minus baseline 1
    # huge logits stay finite (softmax, not odds)
    assert torch.isfinite(maligan_rewards(torch.tensor([[80.0], [0.0]]), torch.ones(2, 1, dtype=torch.bool))).all()


def test_maligan_basic_gives_every_token_of_a_sequence_its_one_weight(monkeypatch):
    # Algorithm 1: r_D(x_i) / sum_j r_D(x_j) - 1/m per sequence, for each of its tokens up to its EOS. Per
    # column over the rows still running, the longest sample's last token got 1 - 1/1 = 0.
    import textgan.gans.maligan as maligan

    algo = tiny_algorithm("maligan")
    algo.eos_id = 1
    samples = torch.tensor([[5, 1, 0, 0], [6, 7, 1, 0], [8, 9, 4, 3]])    # lengths 2, 3, 4 (EOS counted)
    d_logits = torch.tensor([0.0, 0.0, 2.0])
    monkeypatch.setattr(maligan, "discriminator_logits", lambda *a, **kw: d_logits)
    rewards, _ = algo.rewards(samples, None)
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]], dtype=torch.bool)
    expected = (torch.softmax(d_logits, 0) - 1 / 3)[:, None] * mask
    torch.testing.assert_close(rewards, expected)


def _phases(run: Path) -> list[str]:
    return [json.loads(line)["phase"] for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("model,extra", [("seqgan", []), ("maligan", []), ("maligan", ["maligan.reward=rollout"])])
def test_cli_runs_every_phase(cli, tmp_path, model, extra):
    proc = cli.train("--model", model, "--config", TINY[model], "--run-dir", "run", *extra, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    phases = _phases(tmp_path / "run")
    assert {"mle", "pretrain_d", "adversarial"} <= set(phases) and phases[-1] == "adversarial"
    last = json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[-1])
    assert {"g_loss", "d_loss", "d_acc", "nll_oracle"} <= set(last)
    weights, _, _ = load_checkpoint(latest_checkpoint(tmp_path / "run" / "checkpoints"))
    assert {"generator", "rollout", "discriminator"} <= set(weights)


def test_mismatched_filter_lists_are_a_one_line_error(cli, tmp_path):
    proc = cli.train("--model", "seqgan", "--config", TINY["seqgan"], "--run-dir", "run",
                     "discriminator.num_filters=[4,4]", cwd=tmp_path)
    cli.user_error(proc, "discriminator.filter_sizes")


def test_resume_across_phases_is_bitwise_identical(cli, tmp_path):
    common = ["--model", "seqgan", "--config", TINY["seqgan"]]
    mix = "adversarial.rollout_update_rate=0.5"           # a rollout network that differs from G
    full = cli.train(*common, "--run-dir", "full", mix, "adversarial.rounds=2", cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    cut = cli.train(*common, "--run-dir", "cut", mix, "adversarial.rounds=1", cwd=tmp_path)
    assert cut.returncode == 0, cut.stderr
    # a finished phase's budget cannot change on resume (config.yaml would misstate the run), and the refusal
    # leaves the run's files as they were
    config = (tmp_path / "cut" / "config.yaml").read_text()
    refused = cli.train("--resume", "--run-dir", "cut", "adversarial.rounds=2", "mle.epochs=5", cwd=tmp_path)
    cli.user_error(refused, "phase 'mle' is finished", "its budget cannot change on resume (now 5)")
    assert (tmp_path / "cut" / "config.yaml").read_text() == config
    resumed = cli.train("--resume", "--run-dir", "cut", "adversarial.rounds=2", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_final_weights(tmp_path / "full", tmp_path / "cut")
    assert _phases(tmp_path / "cut").count("adversarial") == _phases(tmp_path / "full").count("adversarial")


# -- config keys reach the step they configure ---------------------------------------------------------


def _output_dtypes(algo) -> list[torch.dtype]:
    """Records the dtype of D's output layer at every call (bfloat16 under the bf16 autocast)."""
    seen: list[torch.dtype] = []
    algo.discriminator.output.register_forward_hook(lambda module, args, out: seen.append(out.dtype))
    return seen


@pytest.mark.parametrize("model,reward", [("seqgan", None), ("maligan", "sequence"), ("maligan", "rollout"),
                                          ("maligan", "mixed")])
@pytest.mark.parametrize("bf16", [False, True])
def test_score_bf16_scores_the_generator_step_with_bfloat16_matmuls(model, reward, bf16):
    # adversarial.score_bf16 is documented to run D's matmuls in bfloat16 when scoring G's samples (rollouts,
    # MaliGAN's sequence and mixed rewards); each path reads the key on its own, so each is checked
    algo = tiny_algorithm(model)
    if reward is not None:
        algo.ctx.cfg.maligan.reward = reward
        algo.prefix_len = 2                          # set by adversarial_round, which also trains D
    algo.adv.score_bf16 = bf16
    seen = _output_dtypes(algo)
    algo.generator_step()
    assert seen and set(seen) == {torch.bfloat16 if bf16 else torch.float32}


@pytest.mark.parametrize("clip", [0.0, 1e-3])
def test_g_grad_clip_bounds_the_generators_gradient_norm(clip):
    algo = tiny_algorithm("seqgan")
    algo.adv.g_grad_clip = clip
    tokens = algo.ctx.data.train.tokens[:8]
    loss = algo.generator(tokens).square().sum()                     # a large gradient, far above 1e-3
    algo.apply_generator_loss(loss)
    norm = torch.nn.utils.get_total_norm([p.grad for p in algo.generator.parameters()])
    if clip:
        assert norm.item() == pytest.approx(clip, rel=1e-4)
    else:                                                            # 0 = off: the raw gradient
        assert norm.item() > 1.0


@pytest.mark.parametrize("model", ["seqgan", "maligan"])
def test_discriminator_l2_reaches_ds_training(model, monkeypatch):
    import textgan.gans.seqgan as seqgan

    algo = tiny_algorithm(model)
    algo.ctx.cfg.discriminator.l2 = 0.37
    seen = record_d_training_l2(monkeypatch, seqgan)
    algo.train_discriminator(1)
    assert seen == [0.37]
