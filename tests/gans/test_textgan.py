"""Tests of TextGAN (adversarial feature matching): soft-argmax decoding (rows are distributions, EOS
padding, gradients reach G), the temperature schedule, one D and G step, one CLI run through every phase on
the oracle and on text, and bitwise resume with the annealed temperature restored."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from conftest import assert_same_final_weights, metric_records, tiny_algorithm

from textgan.checkpoint import latest_checkpoint, load_checkpoint
from textgan.gans.feature_matching import TextGANConfig, annealed_tau, soft_generate
from textgan.nn import LSTMGenerator
from textgan.train import main as train_main

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "configs" / "tiny" / "textgan.yaml"


def test_soft_generate_rows_are_distributions_and_differentiable():
    torch.manual_seed(0)
    gen = LSTMGenerator(9, 4, 5, bos_id=0)
    h0 = torch.randn(1, 3, 5, requires_grad=True)
    soft = soft_generate(gen, h0, 6, tau=0.5, bos_id=0, eos_id=None, pad_id=0)
    assert soft.shape == (3, 6, 9)
    torch.testing.assert_close(soft.sum(-1), torch.ones(3, 6))
    soft[:, -1, 1].sum().backward()                      # the last word depends on h0 and on G's weights
    assert h0.grad.abs().sum() > 0 and gen.embedding.weight.grad.abs().sum() > 0


def test_soft_generate_tends_to_greedy_decoding_as_tau_falls():
    torch.manual_seed(1)
    gen = LSTMGenerator(9, 4, 5, bos_id=0)
    h0 = torch.zeros(1, 2, 5)
    with torch.no_grad():
        soft = soft_generate(gen, h0, 5, tau=1e-4, bos_id=0, eos_id=None, pad_id=0)
        state, token, greedy = gen.init_state(2), torch.zeros(2, dtype=torch.long), []
        for _ in range(5):
            logits, state = gen.step(token, state)
            token = logits.argmax(-1)
            greedy.append(token)
    assert torch.equal(soft.argmax(-1), torch.stack(greedy, 1))
    assert soft.max(-1).values.min() > 0.99


def test_soft_sentences_are_padded_after_eos():
    torch.manual_seed(2)
    gen = LSTMGenerator(6, 4, 5, bos_id=0)
    with torch.no_grad():
        gen.output.bias.zero_()
        gen.output.bias[3] = 50.0                        # EOS (id 3) wins every step
        soft = soft_generate(gen, torch.zeros(1, 2, 5), 4, tau=1.0, bos_id=0, eos_id=3, pad_id=1)
    assert (soft[:, 0].argmax(-1) == 3).all()            # the EOS itself is kept
    torch.testing.assert_close(soft[:, 1:], torch.nn.functional.one_hot(torch.tensor(1), 6).float().expand(2, 3, 6))


def test_temperature_anneals_geometrically():
    cfg = TextGANConfig(tau_start=1.0, tau_end=0.01, anneal_rounds=4)
    taus = [annealed_tau(cfg, r) for r in range(6)]
    assert taus[0] == 1.0 and taus[2] == pytest.approx(0.1) and taus[4] == pytest.approx(0.01)
    assert taus[5] == pytest.approx(0.01)
    assert annealed_tau(TextGANConfig(tau_end=0.5, anneal_rounds=0), 0) == pytest.approx(0.5)


@pytest.fixture
def textgan():
    return tiny_algorithm("textgan")


def test_d_and_g_steps_update_their_own_networks(textgan):
    def snapshot(module):
        return [p.detach().clone() for p in module.parameters()]

    gen, latent, disc, enc = (snapshot(m) for m in (textgan.generator, textgan.latent, textgan.discriminator,
                                                     textgan.encoder))
    d = textgan.d_step()
    assert {"d_loss", "d_gan", "d_recon", "d_acc"} == set(d) and d["d_recon"] > 0
    assert all(torch.equal(a, b) for a, b in zip(gen, textgan.generator.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(enc, textgan.encoder.parameters()))
    disc_after = snapshot(textgan.discriminator)
    g = textgan.g_step()
    assert g["g_loss"] == pytest.approx(g["mmd2"]) and g["mmd2"] >= 0
    assert not all(torch.equal(a, b) for a, b in zip(latent, textgan.latent.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(gen, textgan.generator.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(disc_after, textgan.discriminator.parameters()))
    assert all(p.requires_grad for p in textgan.discriminator.parameters())
    textgan.tcfg.mmd_sqrt = True
    g = textgan.g_step()
    assert g["g_loss"] == pytest.approx(math.sqrt(g["mmd2"]), rel=1e-4)


def test_d_loss_adds_the_weighted_reconstruction_and_subtracts_the_weighted_mmd():
    # D maximises MMD^2 between real and fake features and minimises the z-reconstruction loss; the step's
    # other outputs (d_gan, d_recon) never showed that, so D's loss with the MMD term's sign flipped passed
    # every test. Each tiny_algorithm seeds torch the same way: the same draws, only the weights differ.
    steps = {}
    for lambda_recon, lambda_mmd in ((1.0, 0.0), (0.0, 0.0), (1.0, 2.0)):
        algo = tiny_algorithm("textgan")
        algo.tcfg.lambda_recon, algo.tcfg.lambda_mmd = lambda_recon, lambda_mmd
        steps[lambda_recon, lambda_mmd] = algo.d_step()
    plain, no_recon, with_mmd = steps[1.0, 0.0], steps[0.0, 0.0], steps[1.0, 2.0]
    assert (no_recon["d_gan"], with_mmd["d_gan"]) == (plain["d_gan"], plain["d_gan"])
    assert no_recon["d_loss"] == pytest.approx(plain["d_gan"], rel=1e-6)
    assert plain["d_loss"] == pytest.approx(plain["d_gan"] + plain["d_recon"], rel=1e-6)
    mmd2 = (plain["d_loss"] - with_mmd["d_loss"]) / 2.0     # the V-statistic (unbiased_mmd=False) is >= 0
    assert mmd2 > 1e-6


def test_d_loss_terms_scale_with_their_lambdas():
    # L_D's reconstruction and MMD terms are multiplied by textgan.lambda_recon / lambda_mmd: the test above
    # uses only the weights 0, 1 and 2, so a term added once whatever its weight (> 0) would slip through there
    steps = {}
    for weights in ((0.0, 0.0), (2.5, 0.0), (0.0, 1.0), (0.0, 3.0)):
        algo = tiny_algorithm("textgan")
        algo.tcfg.lambda_recon, algo.tcfg.lambda_mmd = weights
        steps[weights] = algo.d_step()
    gan, recon = steps[0.0, 0.0]["d_gan"], steps[0.0, 0.0]["d_recon"]
    assert steps[2.5, 0.0]["d_loss"] == pytest.approx(gan + 2.5 * recon, rel=1e-6)
    minus_mmd = steps[0.0, 1.0]["d_loss"] - gan                          # -MMD^2 at weight 1
    assert minus_mmd < -1e-6
    assert steps[0.0, 3.0]["d_loss"] - gan == pytest.approx(3.0 * minus_mmd, rel=1e-4)


def test_unbiased_mmd_drops_the_kernels_diagonal_as_the_formula_says():
    # V-statistic: E_xx = ((n - 1) U_xx + K) / n with K = k(x, x) = the number of bandwidths (exp(0) per
    # kernel); the cross term is the same in both. So V - U = (K - U_xx) / n + (K - U_yy) / m.
    algo = tiny_algorithm("textgan")
    g = torch.Generator().manual_seed(3)
    x, y = torch.randn(5, 4, generator=g, dtype=torch.float64), torch.randn(7, 4, generator=g, dtype=torch.float64)
    k = len(algo.tcfg.bandwidths)

    def within(a):
        d2 = torch.cdist(a, a).square()
        kern = sum(torch.exp(-d2 / (2 * s * s)) for s in algo.tcfg.bandwidths)
        return float((kern.sum() - kern.diagonal().sum()) / (len(a) * (len(a) - 1)))

    algo.tcfg.unbiased_mmd = False
    biased = float(algo._mmd2(x, y))
    algo.tcfg.unbiased_mmd = True
    unbiased = float(algo._mmd2(x, y))
    assert biased - unbiased == pytest.approx((k - within(x)) / 5 + (k - within(y)) / 7, rel=1e-9)
    assert biased - unbiased > 1e-3
    # and G's step, which logs the MMD^2 it minimises, follows the key (same seed: the same features)
    logged = {}
    for flag in (False, True):
        algo = tiny_algorithm("textgan")
        algo.tcfg.unbiased_mmd = flag
        logged[flag] = algo.g_step()["mmd2"]
    assert logged[False] > logged[True]


@pytest.mark.parametrize("clip", [0.0, 1e-4])
def test_g_grad_clip_bounds_the_gradient_of_generator_and_latent_map(clip):
    algo = tiny_algorithm("textgan")
    algo.adv.g_grad_clip = clip
    algo.g_step()
    params = [*algo.generator.parameters(), *algo.latent.parameters()]
    norm = torch.nn.utils.get_total_norm([p.grad for p in params if p.grad is not None]).item()
    if clip:
        assert norm == pytest.approx(clip, rel=1e-3)
    else:
        assert norm > 1e-3


def test_discriminator_l2_is_unused_as_documented():
    # docs/textgan_model.md: D's loss is the paper's, without SeqGAN's output-layer L2 (discriminator.l2)
    steps = []
    for l2 in (0.0, 5.0):
        algo = tiny_algorithm("textgan")
        algo.ctx.cfg.discriminator.l2 = l2
        steps.append(algo.d_step()["d_loss"])
    assert steps[0] == steps[1]


def test_cli_runs_every_phase_on_oracle_and_text(cli, tmp_path, tiny_text, capsys):
    train, test = tiny_text
    # the real entry point in a subprocess on the oracle; in-process (no interpreter start-up) on text
    proc = cli.train("--model", "textgan", "--config", TINY, "--run-dir", "oracle", cwd=tmp_path)
    text = cli.main(train_main, ["--model", "textgan", "--config", TINY, "--data", train, f"data.test={test}",
                                 "--run-dir", tmp_path / "text"], capsys)
    for name, p in {"oracle": proc, "text": text}.items():
        assert p.returncode == 0, f"{name}: {p.stderr}"
        records = metric_records(tmp_path / name)
        assert {"mle", "pretrain_d", "adversarial"} <= {r["phase"] for r in records}
        assert records[-1]["phase"] == "adversarial"
        assert {"g_loss", "mmd2", "d_loss", "d_recon", "tau"} <= set(records[-1])
    assert "nll_oracle" in metric_records(tmp_path / "oracle")[-1]
    assert "bleu_2" in metric_records(tmp_path / "text")[-1]
    weights, state, _ = load_checkpoint(latest_checkpoint(tmp_path / "oracle" / "checkpoints"))
    assert {"generator", "latent", "discriminator", "encoder"} == set(weights)
    assert state["algorithm"]["rounds_done"] == 2
    assert "textgan" in cli.main(train_main, ["--list"], capsys).stdout
    sampled = cli.sample("--run", tmp_path / "text", "--num", "3", "--seed", "1", cwd=tmp_path)
    assert sampled.returncode == 0 and len(sampled.stdout.splitlines()) == 3, sampled.stderr


def test_resume_is_bitwise_identical_and_restores_tau(cli, tmp_path, capsys):
    common = ["--model", "textgan", "--config", TINY]
    for name, rounds in (("full", 2), ("cut", 1)):
        proc = cli.main(train_main, [*common, "--run-dir", tmp_path / name, f"adversarial.rounds={rounds}"], capsys)
        assert proc.returncode == 0, proc.stderr
    _, cut_state, _ = load_checkpoint(latest_checkpoint(tmp_path / "cut" / "checkpoints"))
    assert cut_state["algorithm"] == {"tau": 1.0, "rounds_done": 1}
    resumed = cli.main(train_main, ["--resume", "--run-dir", tmp_path / "cut", "adversarial.rounds=2"], capsys)
    assert resumed.returncode == 0, resumed.stderr
    sf, sr = assert_same_final_weights(tmp_path / "full", tmp_path / "cut")
    assert sf["algorithm"] == sr["algorithm"] and sr["algorithm"]["tau"] == pytest.approx(math.sqrt(0.001))
    assert [r["tau"] for r in metric_records(tmp_path / "cut") if r["phase"] == "adversarial"] == \
        [r["tau"] for r in metric_records(tmp_path / "full") if r["phase"] == "adversarial"]


def test_bad_bandwidth_is_a_one_line_error(cli, tmp_path, capsys):
    proc = cli.main(train_main, ["--model", "textgan", "--config", TINY, "--run-dir", tmp_path / "r",
                                 "textgan.bandwidths=[1.0,-2.0]"], capsys)
    cli.user_error(proc, "textgan.bandwidths")


def test_empty_bandwidths_is_a_one_line_error(cli, tmp_path, capsys):
    proc = cli.main(train_main, ["--model", "textgan", "--config", TINY, "--run-dir", tmp_path / "r",
                                 "textgan.bandwidths=[]"], capsys)
    cli.user_error(proc, "textgan.bandwidths")
