"""Tests of the conditional models (cgan_mle, cseqgan, sentigan): each trains through every phase on a tiny
labelled file (in-process `main`), checkpoints carry the labels, SentiGAN's reward is its penalty, resume
is bitwise identical, and a conditional model on unlabelled data is a one-line error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import assert_same_final_weights

from textgan.checkpoint import latest_checkpoint, load_checkpoint
from textgan.conditional_evaluation import ConditionalEvaluator
from textgan.data.sources import DataConfig, load_data
from textgan.evaluation import EvalConfig
from textgan.gans.base import TrainContext
from textgan.gans.cseqgan import ConditionalSeqGAN
from textgan.gans.sentigan import SentiGAN
from textgan.registry import get_model, make_config
from textgan.runs import load_run
from textgan.train import main as train_main

REPO = Path(__file__).resolve().parents[2]
TINY = {name: REPO / "configs" / "tiny" / f"{name}.yaml" for name in ("cgan_mle", "cseqgan", "sentigan")}


def train(cli, capsys, model, data, run, *extra):
    proc = cli.main(train_main, ["--config", TINY[model], "--data", data, "--run-dir", run, *extra], capsys)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in (Path(run) / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("model, extra", [("cgan_mle", []), ("cseqgan", []),
                                          ("cseqgan", ["conditional.discriminator=aux"]),
                                          ("cseqgan", ["adversarial.rollout_update_rate=0"]),
                                          ("sentigan", [])])
def test_trains_every_phase_and_saves_labels(cli, capsys, tiny_labelled, tmp_path, model, extra):
    records = train(cli, capsys, model, tiny_labelled, tmp_path / "run", *extra)
    phases = {r["phase"] for r in records}
    assert phases == ({"mle"} if model == "cgan_mle" else {"mle", "pretrain_d", "adversarial"})
    last = records[-1]
    assert {"class_acc", "class_acc_positive", "bleu_2_negative", "self_bleu_2", "classifier_test_acc",
            "nll_test"} <= set(last)
    if model != "cgan_mle":
        assert {"g_loss", "d_loss", "d_acc"} <= set(last)
    _, _, meta = load_checkpoint(latest_checkpoint(tmp_path / "run" / "checkpoints"))
    assert meta["labels"] == ["negative", "positive"]
    run = load_run(tmp_path / "run")
    out = torch.stack([run.generator.bind(c).init_state(3)[0].flatten() for c in range(2)])
    assert not torch.equal(out[0], out[1]) or model == "sentigan"  # per-class state: the label itself


@pytest.mark.parametrize("model, setting, why", [
    ("cgan_mle", "conditional.discriminator=aux", "cgan_mle trains no discriminator"),
    ("cgan_mle", "conditional.label_dim=8", "cgan_mle trains no discriminator"),
    ("cgan_mle", "conditional.hidden_dim=8", "cgan_mle trains no discriminator"),
    ("sentigan", "conditional.label_dim=8", "sizes of the cgan discriminator; SentiGAN's is multiclass"),
    ("sentigan", "conditional.hidden_dim=8", "sizes of the cgan discriminator; SentiGAN's is multiclass"),
])
def test_a_conditional_key_the_model_never_reads_is_refused(cli, capsys, tiny_labelled, tmp_path, model, setting,
                                                            why):
    # the `conditional` section is cseqgan's, which reads every key of it; these models read only part of it
    key = setting.split("=")[0]
    cli.user_error(cli.main(train_main, ["--config", TINY[model], "--data", tiny_labelled, "--run-dir",
                                         tmp_path / "run", setting], capsys),
                   f"config key '{key}' is not read by model '{model}' ({why}; of conditional.* it reads only "
                   "conditional.generator", "); remove it")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("model, read", [
    ("cgan_mle", ["conditional.generator"]),
    ("sentigan", ["conditional.generator", "conditional.discriminator"]),
    ("cseqgan", ["conditional.generator", "conditional.discriminator", "conditional.label_dim",
                 "conditional.hidden_dim"]),
])
def test_show_config_lists_the_conditional_keys_the_model_reads_and_they_pass(cli, capsys, tiny_labelled, model,
                                                                              read):
    # each read key set away from its default passes; the saved config of a run (every key, unread ones at their
    # default) is a valid --config, which the other tests' runs use
    settings = {"conditional.generator": "per_class", "conditional.discriminator": "aux",
                "conditional.label_dim": "8", "conditional.hidden_dim": "8"}
    if model == "sentigan":  # its discriminator can only be multiclass, and its generator's default is per_class
        settings |= {"conditional.generator": "prefix", "conditional.discriminator": "multiclass"}
    if model == "cseqgan":  # the sizes are the cgan discriminator's (read_only_when)
        settings |= {"conditional.discriminator": "cgan"}
    proc = cli.main(train_main, ["--config", TINY[model], "--data", tiny_labelled, "--show-config",
                                 *(f"{key}={settings[key]}" for key in read)], capsys)
    assert proc.returncode == 0, proc.stderr
    shown = [line.split(" ")[0] for line in proc.stdout.splitlines() if line.startswith("conditional.")]
    assert shown == [f"{key}={settings[key]}" for key in read]


def test_conditional_model_selects_on_its_class_conditioned_validation_nll(cli, capsys, tiny_labelled, tmp_path):
    records = train(cli, capsys, "cgan_mle", tiny_labelled, tmp_path / "run", "data.valid_size=6",
                    "train.eval_every=1", "train.best_metric=nll_valid")
    evaluations = [r for r in records if "nll_valid" in r]
    assert len(evaluations) == len(records) and all(r["nll_valid"] > 0 for r in evaluations)
    # the kept checkpoint's nll_valid is the NLL of each held-out sentence under its own class
    run = load_run(tmp_path / "run", "best")
    data = load_data(run.cfg.data)
    evaluator = ConditionalEvaluator(data, EvalConfig(num_samples=4, bleu=False))
    valid, classes = data.valid, data.labels.valid
    kept = min(evaluations, key=lambda r: r["nll_valid"])
    assert run.meta["step"] == kept["step"]
    right = evaluator.conditional_nll(run.generator, valid, classes, len(valid))
    wrong = evaluator.conditional_nll(run.generator, valid, 1 - classes, len(valid))
    assert right == pytest.approx(kept["nll_valid"], abs=1e-6) and right != wrong


def test_sentigan_reward_is_minus_its_penalty(tiny_labelled, tmp_path, monkeypatch):
    data = load_data(DataConfig(name=str(tiny_labelled), labels="tsv", tokenize="whitespace"))
    cfgs = {}
    for name in ("cseqgan", "sentigan"):
        cfg = make_config(get_model(name))
        cfg.conditional.generator, cfg.conditional.discriminator = "per_class", "multiclass"
        cfg.adversarial.rollouts = 2
        cfg.discriminator.filter_sizes, cfg.discriminator.num_filters = [2], [4]
        cfgs[name] = cfg
    torch.manual_seed(0)
    senti = SentiGAN(TrainContext(cfgs["sentigan"], data, torch.device("cpu")))
    plain = ConditionalSeqGAN(TrainContext(cfgs["cseqgan"], data, torch.device("cpu")))
    for name, module in plain.modules().items():                 # the same networks in both
        module.load_state_dict(senti.modules()[name].state_dict())
    labels = torch.tensor([0, 1, 1, 0])
    samples = data.train.tokens[:4]
    rewards, infos = {}, {}
    for name, algo in (("senti", senti), ("plain", plain)):
        algo._step_labels = labels
        algo.generator, algo.rollout = algo.generator.bind(labels), algo.rollout.bind(labels)
        torch.manual_seed(1)
        rewards[name], infos[name] = algo.rewards(samples, None)
    mask = data.train.mask()[:4]
    probs = rewards["plain"]                                     # mean D_i over rollouts: in [0, 1]
    assert ((probs >= 0) & (probs <= 1)).all()
    torch.testing.assert_close(rewards["senti"], (probs - 1.0) * mask)   # -V = D_i(Y) - 1, 0 after EOS
    assert infos["senti"]["penalty"] == pytest.approx(float(((1 - probs) * mask).sum() / mask.sum()), rel=1e-6)


def test_sentigan_loss_weights_the_penalty_by_the_tokens_probability():
    # the paper's (and its authors' code's) penalty objective: sum_t G(y_t | Y_<t) V_t, not log G
    from textgan.gans.log_probs import token_log_probs
    from textgan.gans.sentigan import penalty_loss
    from textgan.nn import LSTMGenerator

    torch.manual_seed(0)
    gen = LSTMGenerator(7, 4, 5, bos_id=0)
    samples = torch.randint(1, 7, (3, 5))
    penalties = torch.rand(3, 5)
    mask = torch.ones(3, 5, dtype=torch.bool)
    mask[2, 3:] = False
    prob = token_log_probs(gen, samples).exp()
    loss = penalty_loss(gen, samples, penalties, mask)
    torch.testing.assert_close(loss, (prob * penalties)[mask].mean())
    # descending it lowers the probability of the penalised tokens
    before = float((prob.detach() * penalties)[mask].sum())
    loss.backward()
    with torch.no_grad():
        for p in gen.parameters():
            p -= 0.5 * p.grad
    with torch.no_grad():
        after = float((token_log_probs(gen, samples).exp() * penalties)[mask].sum())
    assert after < before


@pytest.mark.parametrize("model, extra, budget", [
    ("sentigan", ["adversarial.rollout_update_rate=0.5"], "adversarial.rounds"),
    ("cseqgan", ["adversarial.rollout_update_rate=0.5"], "adversarial.rounds"),
    ("cgan_mle", [], "mle.epochs"),
])
def test_resume_is_bitwise_identical(cli, capsys, tiny_labelled, tmp_path, model, extra, budget):
    train(cli, capsys, model, tiny_labelled, tmp_path / "full", *extra, f"{budget}=2")
    train(cli, capsys, model, tiny_labelled, tmp_path / "cut", *extra, f"{budget}=1")
    proc = cli.main(train_main, ["--resume", "--run-dir", tmp_path / "cut", f"{budget}=2"], capsys)
    assert proc.returncode == 0, proc.stderr
    assert_same_final_weights(tmp_path / "full", tmp_path / "cut")


def test_conditional_model_needs_labelled_data(cli, capsys, tiny_text, tmp_path):
    train_file, _ = tiny_text
    proc = cli.main(train_main, ["--config", TINY["cgan_mle"], "--data", train_file, "--run-dir", tmp_path / "r",
                                 "data.labels=none"], capsys)
    cli.user_error(proc, "is conditional and needs labelled data", "--data mr")


def test_the_cgan_discriminators_sizes_with_another_discriminator_are_refused(cli, capsys, tiny_labelled):
    # only the cgan discriminator has a label embedding and a mixing layer: with aux they were ignored, silently
    proc = cli.main(train_main, ["--config", TINY["cseqgan"], "--data", tiny_labelled, "--show-config",
                                 "conditional.discriminator=aux", "conditional.label_dim=8",
                                 "conditional.hidden_dim=3"], capsys)
    cli.user_error(proc, "config key 'conditional.label_dim' (also conditional.hidden_dim) is read only with "
                   "conditional.discriminator=cgan, and this run has conditional.discriminator=aux")
    proc = cli.main(train_main, ["--config", TINY["cseqgan"], "--data", tiny_labelled, "--show-config",
                                 "conditional.discriminator=aux", "conditional.label_dim=16"], capsys)  # the default
    assert proc.returncode == 0, proc.stderr
