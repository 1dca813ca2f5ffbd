"""`textgan.config_help` and `python -m textgan.train --show-config`: every key listed, each value written so
that `key=value` reads it back unchanged, constraints and defaults shown, nothing trained."""

from __future__ import annotations

from pathlib import Path

import pytest

from textgan.config import flatten, leaves, parse_override, set_value
from textgan.config_help import as_override, describe
from textgan.registry import all_models, get_model, make_config
from textgan.train import main as train_main

SEQGAN_YAML = str(Path(__file__).resolve().parents[1] / "configs" / "seqgan.yaml")


@pytest.mark.parametrize("model", sorted(all_models()))
def test_every_key_is_listed_and_its_value_reads_back_as_an_override(model):
    spec = get_model(model)
    cfg = make_config(spec)
    lines = describe(cfg)
    keys = flatten(cfg)
    assert [line.split("=", 1)[0] for line in lines] == list(keys)
    fresh = make_config(spec)
    for key, value in keys.items():
        set_value(fresh, key, parse_override(f"{key}={as_override(value)}")[1])
    assert flatten(fresh) == keys


def test_notes_show_help_constraints_and_changed_defaults():
    spec = get_model("seqgan")
    cfg = make_config(spec)
    set_value(cfg, "adversarial.rollouts", 4)
    set_value(cfg, "discriminator.filter_sizes", [2, 3])
    lines = {line.split("=", 1)[0]: line for line in describe(cfg, defaults=make_config(spec))}
    assert lines["adversarial.rollouts"].startswith("adversarial.rollouts=4 ")
    assert "Monte Carlo completions per prefix" in lines["adversarial.rollouts"]
    assert "[>= 1] (default: 16)" in lines["adversarial.rollouts"]
    assert "(default: [2, 3, 4, 5])" in lines["discriminator.filter_sizes"]
    assert "[one of auto, cpu, cuda]" in lines["train.device"] and "default" not in lines["train.device"]
    assert "[> 0.0]" in lines["mle.lr"]


def test_show_config_prints_the_resolved_run_and_trains_nothing(tmp_path, monkeypatch, cli, capsys):
    monkeypatch.chdir(tmp_path)
    proc = cli.main(train_main, ["--model", "seqgan", "--config", SEQGAN_YAML, "--show-config",
                                 "adversarial.rounds=3", "--run-dir", "r"], capsys)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert out[0].startswith("# seqgan: the resolved config")
    assert any(line.startswith("adversarial.rounds=3 ") and "(default: 10)" in line for line in out)
    assert not (tmp_path / "r").exists()
    # a text model reads every key of the shared sections: all are listed, none is left out
    keys = [line.split("=", 1)[0] for line in out[1:]]
    assert keys == list(flatten(make_config(get_model("seqgan")))) and not get_model("seqgan").unread_keys
    cli.user_error(cli.main(train_main, ["--model", "seqgan", "--show-config", "adversarial.roundz=3"], capsys),
                   "unknown config key 'adversarial.roundz'")


def test_describe_hides_the_keys_and_sections_it_is_told_to():
    cfg = make_config(get_model("seqgan"))
    keys = [line.split("=", 1)[0] for line in describe(cfg, hide=("generator", "data.oracle", "eval.bleu"))]
    assert keys == [k for k in flatten(cfg) if not k.startswith(("generator.", "data.oracle.")) and k != "eval.bleu"]
    assert "eval.bleu_max_n" in keys and describe(cfg, hide=("data", "generator", "train", "eval", "model", "seed",
                                                              "mle", "discriminator", "adversarial")) == []



@pytest.mark.parametrize("model", sorted(all_models()))
def test_every_key_says_what_it_does(model):
    # --show-config is the configuration reference: a key without help would be listed unexplained
    unexplained = [key for key, _, field in leaves(make_config(get_model(model))) if not field.metadata.get("help")]
    assert not unexplained, f"config keys without help= in their param(): {unexplained}"


@pytest.mark.parametrize("model, setting, needle", [
    ("leakgan", "generator.kind=transformer", "'generator.kind' must be 'lstm' for leakgan"),
    ("leakgan", "generator.num_layers=2", "'generator.num_layers' must be 1 for leakgan"),
    ("maskgan", "generator.kind=lstm", "'generator.kind' must be 'seq2seq' for maskgan"),
    ("maskmle", "generator.kind=transformer", "'generator.kind' must be 'seq2seq' for maskmle"),
    ("textgan", "generator.kind=transformer", "generator.kind='transformer' has no such state"),
    ("textgan", "textgan.bandwidths=[]", "'textgan.bandwidths' must list at least one bandwidth"),
])
def test_a_combination_the_model_refuses_is_refused_before_any_data_is_read(model, setting, needle, cli, capsys,
                                                                            tmp_path):
    # `ModelSpec.check_config` runs on the resolved config: --show-config refuses what training would refuse,
    # and training refuses it before reading the data (here a file that does not exist, which would otherwise
    # be the error)
    cli.user_error(cli.main(train_main, ["--model", model, "--show-config", setting], capsys), needle)
    missing = tmp_path / "no_such_corpus.txt"
    cli.user_error(cli.main(train_main, ["--model", model, "--data", missing, "--run-dir", tmp_path / "r", setting],
                            capsys), needle)
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("model", sorted(m for m, spec in all_models().items() if spec.check_config is not None))
def test_a_model_rule_passes_the_model_defaults(model):
    get_model(model).check_config(make_config(get_model(model)))


@pytest.mark.parametrize("model", sorted(m for m, spec in all_models().items()
                                         if spec.check_settings is not None or spec.read_only_when))
def test_a_new_run_rule_passes_the_model_defaults(model):
    # check_settings and read_only_when (applied to new runs only) refuse nothing a model sets by default
    from textgan.registry import check_keys_in_use

    check_keys_in_use(get_model(model), make_config(get_model(model)))
