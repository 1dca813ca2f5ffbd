"""Tests of GSGAN: its defaults over the shared Gumbel-softmax phase, one adversarial step on tiny shapes with
soft feedback, and the CLI on the tiny oracle (resume bitwise) and on tiny text with EOS and padding."""

from __future__ import annotations

import math
from pathlib import Path

import torch
from conftest import assert_same_final_weights, metric_records

from textgan.data.corpus import Corpus
from textgan.data.sources import DataBundle
from textgan.data.vocab import IdVocab
from textgan.gans.base import TrainContext
from textgan.gans.gsgan import GSGAN
from textgan.nn import CNNDiscriminator, LSTMGenerator
from textgan.registry import get_model, make_config
from textgan.train import main as train_main

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "configs" / "tiny" / "gsgan.yaml"
V, T = 15, 5


def test_gsgan_defaults():
    cfg = make_config(get_model("gsgan"))
    assert cfg.generator.kind == "lstm" and cfg.discriminator.kind == "cnn"
    assert (cfg.adversarial.loss, cfg.adversarial.feedback, cfg.adversarial.temperature_schedule) == \
        ("standard", "soft", "exp")


def test_one_adversarial_step_with_soft_feedback():
    cfg = make_config(get_model("gsgan"))
    cfg.generator.emb_dim = cfg.generator.hidden_dim = 6
    cfg.discriminator.emb_dim, cfg.discriminator.filter_sizes, cfg.discriminator.num_filters = 6, [2, 3], [3, 3]
    cfg.adversarial.batch_size, cfg.adversarial.steps = 8, 4
    torch.manual_seed(0)
    tokens = torch.randint(0, V, (16, T))
    data = DataBundle("toy", Corpus(tokens, torch.full((16,), T)), None, IdVocab(V, bos_id=0))
    algo = GSGAN(TrainContext(cfg, data, torch.device("cpu")))
    assert isinstance(algo.generator, LSTMGenerator) and isinstance(algo.discriminator, CNNDiscriminator)
    g0 = [p.detach().clone() for p in algo.generator.parameters()]
    d0 = [p.detach().clone() for p in algo.discriminator.parameters()]
    out = algo.adversarial_step(3)
    assert out["beta"] == 10.0 and all(math.isfinite(v) for v in out.values())
    assert any(not torch.equal(a, b) for a, b in zip(g0, algo.generator.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d0, algo.discriminator.parameters()))


def test_cli_oracle_resume_and_text(cli, tmp_path, tiny_text, capsys):
    common = ["--model", "gsgan", "--config", TINY]
    full = cli.train(*common, "--run-dir", tmp_path / "full", "adversarial.steps=3", cwd=tmp_path)  # a subprocess
    assert full.returncode == 0, full.stderr
    assert metric_records(tmp_path / "full")[-1]["phase"] == "adversarial"
    cut = tmp_path / "cut"
    # the schedule horizon pinned to 3 steps: the cut run and its resumption follow "full"'s schedule
    assert cli.main(train_main, [*common, "--run-dir", cut, "adversarial.steps=2",
                                 "adversarial.temperature_steps=3"], capsys).returncode == 0
    resumed = cli.main(train_main, ["--resume", "--run-dir", cut, "adversarial.steps=3"], capsys)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_final_weights(tmp_path / "full", cut)
    betas = [r["beta"] for r in metric_records(cut) if r["phase"] == "adversarial"]
    assert betas == [r["beta"] for r in metric_records(tmp_path / "full") if r["phase"] == "adversarial"]
    # real text: EOS and padding, soft one-hots of padding after EOS
    train, test = tiny_text
    text = cli.main(train_main, ["--model", "gsgan", "--config", TINY, "--data", train, f"data.test={test}",
                                 "data.tokenize=whitespace", "--run-dir", tmp_path / "text"], capsys)
    assert text.returncode == 0, text.stderr
    last = metric_records(tmp_path / "text")[-1]
    assert last["phase"] == "adversarial" and math.isfinite(last["g_loss"]) and "bleu_2" in last
