"""CLI smoke tests of conditional generation through the real entry points: `python -m textgan.train`
of cgan_mle on a tiny labelled file, `python -m textgan.sample --label`, and its one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from textgan.sample import main as sample_main
from textgan.train import main as train_main

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "tiny" / "cgan_mle.yaml"


@pytest.fixture(scope="module")
def cgan_run(tmp_path_factory, cli):
    cwd = tmp_path_factory.mktemp("cgan")
    from conftest import write_tiny_labelled

    data = write_tiny_labelled(cwd)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TEXTGAN_CACHE_DIR", str(cwd / "cache"))
        proc = cli.train("--config", TINY, "--data", data, "--run-dir", "run", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    assert "class_acc" in proc.stdout and "classifier_test_acc" in proc.stdout
    return cwd


def test_sample_label_through_the_entry_point(cgan_run, cli):
    seeded = ["--run", "run", "--label", "positive", "--num", "10", "--seed", "3"]
    procs = cli.many({"a": ("textgan.sample", seeded), "b": ("textgan.sample", seeded)}, cgan_run)
    assert procs["a"].returncode == 0, procs["a"].stderr
    lines = procs["a"].stdout.splitlines()
    assert len(lines) == 10 and not any("\t" in line for line in lines)   # the requested count, untagged
    assert procs["b"].stdout == procs["a"].stdout                           # seeded: reproducible


def test_sample_every_class_and_label_errors(cgan_run, cli, capsys):
    run = cgan_run / "run"
    proc = cli.main(sample_main, ["--run", run, "--num", "4", "--seed", "0"], capsys)
    assert proc.returncode == 0, proc.stderr
    tags = [line.split("\t")[0] for line in proc.stdout.splitlines()]
    assert tags == ["negative", "positive", "negative", "positive"]
    cli.user_error(cli.main(sample_main, ["--run", run, "--label", "neutral"], capsys),
                   "unknown label 'neutral'", "negative, positive")


def test_prompts_continue_within_each_class(cgan_run, cli, capsys):
    proc = cli.main(sample_main, ["--run", cgan_run / "run", "--num", "4", "--seed", "0", "--prompt", "a"], capsys)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("\t") for line in proc.stdout.splitlines()]
    assert [tag for tag, _ in rows] == ["negative", "positive", "negative", "positive"]
    assert all(text.split()[0] == "a" for _, text in rows)


def test_label_on_an_unconditional_run_is_one_line_error(cgan_run, cli, capsys, monkeypatch):
    monkeypatch.chdir(cgan_run)
    monkeypatch.setenv("TEXTGAN_CACHE_DIR", str(cgan_run / "cache"))
    # the plain MLE baseline trains on labelled data too (it ignores the labels)
    proc = cli.main(train_main, ["--model", "mle", "--config", REPO / "configs" / "tiny" / "mle_text.yaml",
                                 "--data", "labelled.tsv", "data.labels=tsv", "--run-dir", "mle"], capsys)
    assert proc.returncode == 0, proc.stderr
    cli.user_error(cli.main(sample_main, ["--run", "mle", "--label", "positive"], capsys),
                   "is not class-conditional", "--label")


def test_evaluate_cli_scores_per_class(cgan_run, cli, capsys, monkeypatch):
    from textgan.evaluate import main as evaluate_main

    monkeypatch.setenv("TEXTGAN_CACHE_DIR", str(cgan_run / "cache"))
    out = cgan_run / "eval.json"
    proc = cli.main(evaluate_main, ["--run", cgan_run / "run", "--num", "20", "--max-n", "3", "--json", out], capsys)
    assert proc.returncode == 0, proc.stderr
    import json

    result = json.loads(out.read_text())
    assert result["labels"] == ["negative", "positive"] and result["samples_per_class"] == 10
    assert result["temperature"] == 1.0                              # the run's eval.temperature, recorded
    assert {"class_acc_positive", "bleu_3_negative", "self_bleu_2", "classifier_test_acc"} <= set(result["per_class"])
    assert "class_acc" in proc.stdout
    cli.user_error(cli.main(evaluate_main, ["--run", cgan_run / "run", "--temperatures", "1.0"], capsys),
                   "per-class protocol")


def test_benchmark_harness_scores_conditional_runs(cgan_run, monkeypatch):
    from benchmarks.harness import evaluate

    monkeypatch.setenv("TEXTGAN_CACHE_DIR", str(cgan_run / "cache"))
    evaluated = evaluate(cgan_run / "run", {"num_samples": 20, "max_n": 3}, None)
    out = evaluated["metrics"]
    assert out["samples_per_class"] == 10 and "protocol" in out
    assert evaluated["sizes"]["generator"] > 0   # counted on the data the evaluation loaded
    assert 0.0 <= out["per_class"]["class_acc"] <= 1.0
