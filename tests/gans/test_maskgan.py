"""Tests of MaskGAN and MaskMLE: discounted returns and the actor-critic losses on known values, one
adversarial round on tiny shapes, and the CLIs (train on the oracle and on text, bitwise resume, --infill
sampling that keeps every present token, in-filling evaluation, clear errors)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import assert_same_final_weights

from textgan.data.corpus import Corpus
from textgan.data.sources import DataBundle
from textgan.data.vocab import IdVocab
from textgan.evaluate import main as evaluate_main
from textgan.gans.base import TrainContext
from textgan.gans.maskgan import MaskGAN, actor_critic_losses, blank_log_probs, discounted_returns, filled_lengths
from textgan.registry import get_model, make_config
from textgan.sample import main as sample_main
from textgan.train import main as train_main

REPO = Path(__file__).resolve().parents[2]
TINY = {name: REPO / "configs" / "tiny" / f"{name}.yaml" for name in ("maskgan", "maskmle", "maskgan_text")}


def test_discounted_returns_on_a_known_reward_sequence():
    rewards = torch.tensor([[1.0, 0.0, 2.0, -1.0]])
    g = 0.5
    expected = [1 + 0 + 0.25 * 2 - 0.125, 0 + 0.5 * 2 - 0.25, 2 - 0.5, -1.0]
    torch.testing.assert_close(discounted_returns(rewards, g), torch.tensor([expected]))
    torch.testing.assert_close(discounted_returns(rewards, 1.0), torch.tensor([[2.0, 1.0, 1.0, -1.0]]))
    torch.testing.assert_close(discounted_returns(rewards, 0.0), rewards)


def test_actor_critic_losses_use_masked_rewards_and_a_constant_advantage():
    log_d = torch.tensor([[-1.0, -2.0, -3.0]])
    weights = torch.tensor([[0.0, 1.0, 1.0]])                  # position 0 is present: no reward, no loss
    values = torch.tensor([[0.5, -1.0, -2.0]], requires_grad=True)
    logp = torch.tensor([[-0.1, -0.2, -0.3]], requires_grad=True)
    g_loss, c_loss, returns = actor_critic_losses(logp, log_d, values, weights, 0.5)
    torch.testing.assert_close(returns, torch.tensor([[-1.75, -3.5, -3.0]]))  # r = (0, -2, -3)
    adv = torch.tensor([-2.5, -1.0])                             # R - b at the masked positions
    torch.testing.assert_close(g_loss, -(torch.tensor([-0.2, -0.3]) * adv).sum() / 2)
    torch.testing.assert_close(c_loss, adv.square().sum() / 2)
    g_loss.backward(retain_graph=True)
    assert values.grad is None and logp.grad[0, 0] == 0         # G's loss sees the advantage as a constant
    c_loss.backward()
    torch.testing.assert_close(values.grad, torch.tensor([[0.0, 2.5, 1.0]]))


def test_advantage_clip_bounds_the_generators_advantage_only():
    # MaskGAN's released code clips R_t - b_t (advantage_clipping); the critic still regresses the returns
    log_d = torch.tensor([[-1.0, -2.0, -3.0]])
    weights = torch.tensor([[0.0, 1.0, 1.0]])
    values = torch.tensor([[0.5, -1.0, -2.0]])
    logp = torch.tensor([[-0.1, -0.2, -0.3]])
    g_loss, c_loss, _ = actor_critic_losses(logp, log_d, values, weights, 0.5, advantage_clip=1.5)
    adv = torch.tensor([-1.5, -1.0])                             # -2.5 clipped to -1.5; -1.0 within
    torch.testing.assert_close(g_loss, -(torch.tensor([-0.2, -0.3]) * adv).sum() / 2)
    torch.testing.assert_close(c_loss, torch.tensor([2.5, 1.0]).square().sum() / 2)


def test_filled_lengths_stop_at_the_first_eos():
    filled = torch.tensor([[5, 2, 0, 0], [5, 6, 7, 8], [2, 0, 0, 0]])
    assert filled_lengths(filled, 2).tolist() == [2, 4, 1]
    assert filled_lengths(filled, None).tolist() == [4, 4, 4]


def test_an_uninformative_reward_does_not_move_probability_onto_the_banned_tokens():
    # infill never samples padding / BOS into a blank, nor EOS before a present token; the policy gradient
    # must take log G under that same restricted distribution, else E[grad log p] = grad log Z != 0 and a
    # constant reward alone drives the banned tokens' probability towards 1 (it did: 0.37 -> 1.0)
    from textgan.infill import infill
    from textgan.masking import mask_tokens
    from textgan.nn.seq2seq import MaskSeq2SeqGenerator

    torch.manual_seed(0)
    V, T, B, PAD, BOS, EOS = 8, 6, 128, 0, 1, 2
    gen = MaskSeq2SeqGenerator(V, 8, 16, bos_id=BOS, max_len=T, init_std=0.1)
    tokens = torch.randint(3, V, (B, T))
    tokens[:, -1] = EOS
    present = torch.ones(B, T, dtype=torch.bool)
    present[:, 1:3] = False                                      # blanks with present tokens after them
    opt = torch.optim.SGD(gen.parameters(), lr=0.5)

    def banned_mass() -> float:
        with torch.no_grad():
            p = gen.teacher_force(mask_tokens(tokens, present, gen.mask_id), tokens).softmax(-1)[:, 1:3]
        return float(p[..., [PAD, BOS, EOS]].sum(-1).mean())

    before = banned_mass()
    weights = (~present).float()
    for _ in range(60):
        filled = infill(gen, tokens, present, eos_id=EOS, pad_id=PAD)
        logp = blank_log_probs(gen, tokens, present, filled, weights, EOS, PAD)
        assert torch.isfinite(logp).all()
        g_loss, _, _ = actor_critic_losses(logp, torch.full((B, T), -0.7), torch.zeros(B, T), weights, 0.89)
        opt.zero_grad()
        g_loss.backward()
        opt.step()
    assert abs(banned_mass() - before) < 0.05, (before, banned_mass())


def test_blank_log_probs_are_zero_off_the_weights_and_finite_after_eos():
    from textgan.nn.seq2seq import MaskSeq2SeqGenerator

    torch.manual_seed(0)
    gen = MaskSeq2SeqGenerator(6, 4, 8, bos_id=1, max_len=4, init_std=0.1)
    tokens = torch.tensor([[3, 4, 5, 2]])
    present = torch.tensor([[True, False, False, False]])
    filled = torch.tensor([[3, 2, 0, 0]])                        # EOS sampled at 1, padding after it
    weights = torch.tensor([[0.0, 1.0, 0.0, 0.0]])
    logp = blank_log_probs(gen, tokens, present, filled, weights, 2, 0)
    assert logp[0, 0] == 0 and logp[0, 2:].eq(0).all() and logp[0, 1] < 0
    logp.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in gen.parameters() if p.grad is not None)


def tiny_context() -> TrainContext:
    cfg = make_config(get_model("maskgan"))
    cfg.generator.emb_dim = cfg.generator.hidden_dim = 8
    cfg.discriminator.emb_dim = cfg.discriminator.hidden_dim = 8
    cfg.discriminator.batch_size = cfg.adversarial.batch_size = 16
    cfg.mask.eval_num = 8
    g = torch.Generator().manual_seed(0)
    train = Corpus(torch.randint(0, 20, (64, 6), generator=g), torch.full((64,), 6))
    test = Corpus(torch.randint(0, 20, (16, 6), generator=g), torch.full((16,), 6))
    return TrainContext(cfg, DataBundle("toy", train, test, IdVocab(20)), torch.device("cpu"))


def test_generator_step_passes_its_discount_and_advantage_clip(monkeypatch):
    import textgan.gans.maskgan as maskgan

    ctx = tiny_context()
    ctx.cfg.adversarial.discount, ctx.cfg.adversarial.advantage_clip = 0.37, 2.5
    torch.manual_seed(0)
    algo = MaskGAN(ctx)
    seen = []
    real = maskgan.actor_critic_losses
    monkeypatch.setattr(maskgan, "actor_critic_losses", lambda *a: seen.append(a[4:]) or real(*a))
    algo.generator_step()
    assert seen == [(0.37, 2.5)]


def test_generator_step_scores_the_blanks_without_dropout_as_infill_drew_them(monkeypatch):
    # with generator.dropout > 0, log G under a dropout mask would be another (random) policy than the sampler's
    import textgan.gans.maskgan as maskgan

    ctx = tiny_context()
    ctx.cfg.generator.dropout = 0.5
    torch.manual_seed(0)
    algo = MaskGAN(ctx)
    seen = []
    real = maskgan.blank_log_probs

    def record(gen, *args):
        logp = real(gen, *args)
        with torch.no_grad():  # the same call again: equal only when no dropout mask was drawn
            seen.append((gen.training, torch.equal(logp, real(gen, *args))))
        return logp

    monkeypatch.setattr(maskgan, "blank_log_probs", record)
    algo.generator_step()
    # training mode (cuDNN has no LSTM backward in eval mode), no dropout mask drawn; the rate is back after
    assert seen == [(True, True)] and algo.generator.dropout.p == 0.5


def test_one_adversarial_round_updates_generator_discriminator_and_critic():
    torch.manual_seed(0)
    algo = MaskGAN(tiny_context())
    before = {name: {k: v.clone() for k, v in m.state_dict().items()} for name, m in algo.modules().items()}
    algo.phases()[1].run(0)                                      # one D pretraining step
    metrics = algo.adversarial_round(0)
    assert {"g_loss", "critic_loss", "reward", "d_loss", "d_acc"} <= set(metrics)
    assert all(torch.isfinite(torch.tensor(v)) for v in metrics.values())
    assert metrics["reward"] < 0                                  # log D
    after = {name: m.state_dict() for name, m in algo.modules().items()}
    changed = {name: [k for k in after[name] if not torch.equal(after[name][k], before[name][k])] for name in after}
    assert any(k.startswith("decoder") for k in changed["generator"])
    assert any(k.startswith("critic") for k in changed["discriminator"])
    assert any(k.startswith("encoder") for k in changed["discriminator"])


def test_cli_train_and_bitwise_resume_on_the_oracle(cli, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)                                   # in-process CLIs: no interpreter start-ups
    common = ["--config", TINY["maskgan"]]
    for name, extra in {"full": [], "cut": ["adversarial.rounds=1"]}.items():
        proc = cli.main(train_main, [*common, "--run-dir", name, *extra], capsys)
        assert proc.returncode == 0, proc.stderr
    proc = cli.main(train_main, ["--config", TINY["maskmle"], "--run-dir", "mle"], capsys)
    assert proc.returncode == 0, proc.stderr
    proc = cli.main(train_main, ["--config", TINY["maskmle"], "--run-dir", "mle_cut", "mle.epochs=1"], capsys)
    assert proc.returncode == 0, proc.stderr
    resumed = cli.main(train_main, ["--resume", "--run-dir", "cut", "adversarial.rounds=2"], capsys)
    assert resumed.returncode == 0, resumed.stderr
    resumed_mle = cli.main(train_main, ["--resume", "--run-dir", "mle_cut", "mle.epochs=2"], capsys)
    assert resumed_mle.returncode == 0, resumed_mle.stderr
    assert_same_final_weights(tmp_path / "mle", tmp_path / "mle_cut")      # MaskMLE alone resumes bitwise too
    sf, sr = assert_same_final_weights(tmp_path / "full", tmp_path / "cut")
    assert sf["progress"] == {**sr["progress"], "elapsed": sf["progress"]["elapsed"]}
    phases = [json.loads(line)["phase"] for line in (tmp_path / "full" / "metrics.jsonl").read_text().splitlines()]
    assert {"mle", "pretrain_d", "adversarial"} <= set(phases)
    last = json.loads((tmp_path / "mle" / "metrics.jsonl").read_text().splitlines()[-1])
    assert {"mle_loss", "infill_nll_test", "nll_oracle"} <= set(last)
    # every evaluation carries the in-filling NLL, the one before training too (a selectable metric)
    records = [json.loads(line) for line in (tmp_path / "full" / "metrics.jsonl").read_text().splitlines()]
    assert all("infill_nll_test" in r for r in records)
    # unconditional sampling (all-masked input) through the normal path, and oracle in-filling
    out = cli.main(sample_main, ["--run", "full", "--num", "4", "--seed", "0"], capsys)
    assert out.returncode == 0 and len(out.stdout.split("\n")[0].split()) == 8, out.stderr
    fill = cli.main(sample_main, ["--run", "mle", "--infill", "1 2 ___ 4 5 ___ ___ 8", "--num", "5"], capsys)
    assert fill.returncode == 0, fill.stderr
    for line in fill.stdout.splitlines():
        ids = line.split()
        assert [ids[i] for i in (0, 1, 3, 4, 7)] == ["1", "2", "4", "5", "8"]


def test_maskmle_selects_on_the_validation_in_filling_nll(cli, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    proc = cli.main(train_main, ["--config", TINY["maskmle"], "--run-dir", "run", "mle.epochs=3", "data.valid_size=32",
                                 "train.best_metric=infill_nll_valid", "train.restore_best=true"], capsys)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    evaluations = [r for r in records if "restored_from_step" not in r]
    assert len(evaluations) == 4 and all(r["infill_nll_valid"] > 0 for r in evaluations)
    best = min(evaluations, key=lambda r: r["infill_nll_valid"])
    if best["step"] != evaluations[-1]["step"]:  # restored: the last record repeats the best one's value
        assert records[-1]["restored_from_step"] == best["step"]
        assert records[-1]["infill_nll_valid"] == best["infill_nll_valid"]
    assert (tmp_path / "run" / "best").is_dir()


def test_adversarial_eval_every_sets_the_gan_phases_cadence_apart_from_mle(cli, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    proc = cli.main(train_main, ["--config", TINY["maskgan"], "--run-dir", "run", "mle.epochs=2", "train.eval_every=1",
                                 "adversarial.pretrain_d_steps=4", "adversarial.rounds=4", "adversarial.eval_every=2"],
                    capsys)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    steps = {phase: [r["step"] for r in records if r["phase"] == phase]
             for phase in ("mle", "pretrain_d", "adversarial")}
    assert steps["mle"][-2:] == [1, 2]                                     # every epoch
    assert [s % 2 for s in steps["pretrain_d"] + steps["adversarial"]] == [0] * 4   # steps / rounds 2 and 4 only


def test_cli_infill_on_text_keeps_present_words(cli, tmp_path, tiny_text, capsys, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    train, test = tiny_text
    proc = cli.main(train_main, ["--config", TINY["maskgan_text"], "--data", train, f"data.test={test}",
                                 "--run-dir", "run"], capsys)
    assert proc.returncode == 0, proc.stderr
    template = "the ___ sat on the ___ ."
    out = cli.sample("--run", "run", "--infill", template, "--num", "6", "--seed", "1", cwd=tmp_path)  # real entry
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 6
    for line in lines:
        words = line.split()
        assert len(words) == 7 and [words[i] for i in (0, 2, 3, 4, 6)] == ["the", "sat", "on", "the", "."]
        assert "<unk>" not in words and "<pad>" not in words
    warn = cli.main(sample_main, ["--run", "run", "--infill", "the zebroid ___ .", "--num", "1"], capsys)
    assert warn.returncode == 0 and "zebroid" in caplog.text and warn.stdout.startswith("the <unk> ")
    cli.user_error(cli.main(sample_main, ["--run", "run", "--infill", "the cat sat ."], capsys), "no blank", "___")
    cli.user_error(cli.main(sample_main, ["--run", "run", "--infill", "the ___ .", "--label", "positive"], capsys),
                   "in-filling runs (maskgan, maskmle) have no classes: drop --label")
    ev = cli.main(evaluate_main, ["--run", "run", "--infill", "--json", "inf.json"], capsys)
    assert ev.returncode == 0, ev.stderr
    result = json.loads((tmp_path / "inf.json").read_text())
    assert result["model"] == "maskgan" and result["n_filled"] == 2 and result["n_references"] == 1  # 3 test lines
    assert set(result["unique_ngrams"]) == {"1", "2", "3", "4"} and 0 <= result["bleu"]["2"] <= 1


def test_infill_on_a_model_without_it_is_a_one_line_error(cli, tmp_path, capsys):
    run = tmp_path / "mle"
    proc = cli.main(train_main, ["--config", REPO / "configs" / "tiny" / "mle.yaml", "--run-dir", run], capsys)
    assert proc.returncode == 0, proc.stderr
    cli.user_error(cli.main(sample_main, ["--run", run, "--infill", "1 ___ 3 4 5 6 7 8"], capsys),
                   "cannot fill in blanks", "maskgan")
    cli.user_error(cli.main(evaluate_main, ["--run", run, "--infill"], capsys), "in-filling")


def test_maskgan_rejects_a_generator_that_cannot_fill(cli, tmp_path, capsys):
    proc = cli.main(train_main, ["--config", TINY["maskgan"], "--run-dir", tmp_path / "run", "generator.kind=lstm"],
                    capsys)
    cli.user_error(proc, "generator.kind", "seq2seq")


@pytest.mark.parametrize("name", ["maskgan", "maskmle"])
def test_shipped_configs_validate(name):
    from textgan.train import build_parser, resolve_config

    args = ["--model", name, "--config", str(REPO / "configs" / f"{name}.yaml")]
    _, cfg, _ = resolve_config(build_parser().parse_args(args))
    assert cfg.model == name and cfg.generator.kind == "seq2seq" and cfg.mask.present_rate == 0.5


@pytest.mark.parametrize("clip", [0.0, 1e-4])
def test_g_grad_clip_bounds_the_generators_gradient_only(clip):
    ctx = tiny_context()
    ctx.cfg.adversarial.g_grad_clip = clip
    torch.manual_seed(0)
    algo = MaskGAN(ctx)
    algo.generator_step()
    norm = torch.nn.utils.get_total_norm([p.grad for p in algo.generator.parameters() if p.grad is not None])
    critic = torch.nn.utils.get_total_norm([p.grad for p in algo.discriminator.critic.parameters()])
    if clip:
        assert norm.item() == pytest.approx(clip, rel=1e-3)
    else:
        assert norm.item() > 1e-3
    assert critic.item() > 1e-3                                   # the critic's gradient is never clipped
