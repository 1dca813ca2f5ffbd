"""Tests of RelGAN and the shared Gumbel-softmax adversarial phase (textgan/gans/gumbel_gan.py): one real
adversarial step on tiny shapes (every loss, both penalties), RelGAN's defaults, and the CLI: every phase,
a one-line error for a bad loss, and bitwise resume with the temperature schedule continuing."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from conftest import assert_same_final_weights, metric_records

from textgan.data.corpus import Corpus
from textgan.data.sources import DataBundle
from textgan.data.vocab import IdVocab
from textgan.gans.base import TrainContext
from textgan.gans.relgan import RelGAN
from textgan.losses import GAN_LOSSES
from textgan.nn.relational_memory import RelationalMemoryGenerator
from textgan.nn.relgan_discriminator import MultiRepDiscriminator
from textgan.registry import get_model, make_config
from textgan.sample import main as sample_main
from textgan.train import main as train_main

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "configs" / "tiny" / "relgan.yaml"
V, T = 20, 6


def tiny_relgan(**adversarial) -> RelGAN:
    cfg = make_config(get_model("relgan"))
    cfg.generator.emb_dim = 8
    cfg.generator.relational.head_size = 4
    d = cfg.discriminator
    d.emb_dim, d.num_rep, d.filter_sizes, d.num_filters, d.fc_dim = 8, 4, [2, 3], [4, 4], 6
    cfg.adversarial.batch_size, cfg.adversarial.steps = 8, 10
    for key, value in adversarial.items():
        setattr(cfg.adversarial, key, value)
    torch.manual_seed(0)
    tokens = torch.randint(0, V, (32, T))
    data = DataBundle("toy", Corpus(tokens, torch.full((32,), T)), None, IdVocab(V, bos_id=0))
    return RelGAN(TrainContext(cfg, data, torch.device("cpu")))


def _params(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def _moved(before: list[torch.Tensor], module: torch.nn.Module) -> bool:
    return any(not torch.equal(a, b) for a, b in zip(before, module.parameters()))


def test_relgan_defaults():
    cfg = make_config(get_model("relgan"))
    assert cfg.generator.kind == "relational_memory" and cfg.generator.emb_dim == 32
    rel = cfg.generator.relational
    assert (rel.mem_slots, rel.num_heads, rel.head_size) == (1, 2, 32)     # quick profile (paper: 256)
    assert (cfg.discriminator.kind, cfg.discriminator.num_rep, cfg.discriminator.lr) == ("relgan", 16, 1e-4)
    adv = cfg.adversarial
    assert (adv.loss, adv.g_lr, adv.g_steps, adv.d_steps, adv.batch_size) == ("rsgan", 1e-4, 1, 5, 64)
    assert (adv.temperature_schedule, adv.feedback, adv.grad_clip) == ("exp", "hard", 5.0)
    assert cfg.mle.lr == 0.01
    # other models keep the shared defaults: RelGAN's are its own (ModelSpec.defaults)
    mle = make_config(get_model("mle"))
    assert mle.generator.kind == "lstm" and mle.generator.relational.head_size == 256


@pytest.mark.parametrize("loss", list(GAN_LOSSES))
def test_one_adversarial_step_updates_both_networks(loss):
    algo = tiny_relgan(loss=loss, d_steps=1)
    assert isinstance(algo.generator, RelationalMemoryGenerator)
    assert isinstance(algo.discriminator, MultiRepDiscriminator)
    names = [p.name for p in algo.phases()]
    assert names == ["mle", "adversarial"]
    g0, d0 = _params(algo.generator), _params(algo.discriminator)
    out = algo.phases()[1].run(3)
    assert {"beta", "g_loss", "d_loss", "d_real_gt_fake"} <= set(out)
    assert all(math.isfinite(v) for v in out.values())
    assert out["beta"] == pytest.approx(algo.adv.beta_max ** (3 / 9))
    assert _moved(g0, algo.generator) and _moved(d0, algo.discriminator)


@pytest.mark.parametrize("penalty", ["wgan_gp", "dragan"])
def test_gradient_penalties(penalty):
    common = dict(penalty=penalty, loss="wasserstein", g_steps=0, d_steps=1)
    algo = tiny_relgan(**common, penalty_weight=3.0)
    out = algo.adversarial_step(0)
    assert out["gp"] > 0 and math.isfinite(out["d_loss"])
    # the penalty enters D's loss with its weight: the same step without it (same seed, so the same batches
    # and dropout masks, drawn before the penalty's own noise) reports a loss lower by weight * gp and
    # moves D elsewhere; `gp > 0` alone passed with the penalty computed but left out of the loss
    plain = tiny_relgan(**common, penalty_weight=0.0)
    no_gp = plain.adversarial_step(0)
    assert "gp" not in no_gp
    assert out["d_loss"] == pytest.approx(no_gp["d_loss"] + 3.0 * out["gp"], rel=1e-5)
    assert _moved(_params(plain.discriminator), algo.discriminator)


def test_generator_gradient_flows_through_the_relaxed_samples():
    algo = tiny_relgan(straight_through=True)
    fake, tokens = algo.fake_batch(beta=5.0)
    assert torch.equal(fake, torch.nn.functional.one_hot(tokens, V).float())  # straight-through forward
    algo.scores(fake).sum().backward()
    grads = [p.grad for p in algo.generator.parameters() if p.grad is not None]
    assert grads and sum(float(g.abs().sum()) for g in grads) > 0


# -- CLI ---------------------------------------------------------------------------------------------


def test_cli_runs_every_phase_and_resumes_bitwise(cli, tmp_path, capsys):
    common = ["--model", "relgan", "--config", TINY]
    full = cli.train(*common, "--run-dir", tmp_path / "full", "adversarial.steps=3", cwd=tmp_path)  # a subprocess
    assert full.returncode == 0, full.stderr
    records = metric_records(tmp_path / "full")
    assert [r["phase"] for r in records][-3:] == ["adversarial"] * 3
    assert {"nll_oracle", "g_loss", "d_loss", "beta"} <= set(records[-1])
    assert [r["beta"] for r in records if r["phase"] == "adversarial"] == pytest.approx([1.0, 10 ** 0.5, 10.0])
    # cut after one adversarial step, then resume with the full budget (in-process: cheaper)
    cut = tmp_path / "cut"
    first = cli.main(train_main, [*common, "--run-dir", cut, "adversarial.steps=1"], capsys)
    assert first.returncode == 0, first.stderr
    resumed = cli.main(train_main, ["--resume", "--run-dir", cut, "adversarial.steps=3"], capsys)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_final_weights(tmp_path / "full", cut)
    betas = [r["beta"] for r in metric_records(cut) if r["phase"] == "adversarial"]
    assert betas == pytest.approx([1.0, 10 ** 0.5, 10.0])
    sampled = cli.main(sample_main, ["--run", cut, "--num", "3", "--seed", "1"], capsys)
    assert sampled.returncode == 0 and len(sampled.stdout.splitlines()) == 3
    bad = cli.main(train_main, [*common, "--run-dir", tmp_path / "bad", "adversarial.loss=wgan"], capsys)
    cli.user_error(bad, "adversarial.loss")


def test_discriminator_l2_adds_its_weighted_output_layer_penalty_to_ds_loss():
    # discriminator.l2 (RelGAN: 0): D's loss gains l2 * l2_penalty(); same seed, so the same batches and masks
    common = dict(loss="rsgan", g_steps=0, d_steps=1)
    plain = tiny_relgan(**common)
    no_l2 = plain.adversarial_step(0)
    algo = tiny_relgan(**common)
    algo.ctx.cfg.discriminator.l2 = 0.6
    penalty = float(algo.discriminator.l2_penalty().detach())
    out = algo.adversarial_step(0)
    assert penalty > 0
    assert out["d_loss"] == pytest.approx(no_l2["d_loss"] + 0.6 * penalty, rel=1e-5)
