"""benchmarks/harness.py: a grid file is checked before any run starts (what failed after hours of training,
or was silently ignored), and a finished result evaluated otherwise than the grid now asks is named."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks.harness import eval_differences, load_grid

BASE = "models: [mle]\ndata: [oracle]\nseeds: [0]\n"


@pytest.mark.parametrize("extra, message", [
    ("eval:\n  num_sample: 64\n", r"unknown eval keys \['num_sample'\]"),
    ("eval:\n  metrics: [nlll]\n", "eval.metrics: unknown metric 'nlll'"),
    ("eval:\n  temperatures: [0.5, x]\n", "eval.temperatures must be 'protocol' or a list of numbers"),
    ("model_overrides:\n  seqgan: [adversarial.rounds=2]\n", r"model_overrides for \['seqgan'\]"),
])
def test_grid_mistakes_are_refused_up_front(tmp_path, extra, message):
    (tmp_path / "g.yaml").write_text(BASE + extra)
    with pytest.raises(ValueError, match=message):
        load_grid(tmp_path / "g.yaml")


@pytest.mark.parametrize("text, message", [
    ("models: mle\ndata: [oracle]\nseeds: [0]\n", r"needs a non-empty 'models' list, e.g. models: \[mle\]"),
    ("models: [mle]\ndata: [cocoo]\nseeds: [0]\n", "unknown data set 'cocoo'"),
])
def test_grid_lists_and_data_names(tmp_path, text, message):
    (tmp_path / "g.yaml").write_text(text)
    with pytest.raises(ValueError, match=message):
        load_grid(tmp_path / "g.yaml")
    (tmp_path / "corpus.txt").write_text("a b c\n")
    (tmp_path / "ok.yaml").write_text(f"models: [mle]\ndata: [coco, {tmp_path / 'corpus.txt'}]\nseeds: [0]\n")
    assert load_grid(tmp_path / "ok.yaml").data == ["coco", str(tmp_path / "corpus.txt")]


@pytest.mark.parametrize("text, message", [
    ("models: [mle]\ndata: [some/missing.txt]\nseeds: [0]\n",
     "data file 'some/missing.txt' not found at .*relative to the repository root"),
    ("models: [mle]\ndata: [oracle]\nseeds: [0]\nconfig: configs/{model}_missing.yaml\n",
     "config file 'configs/mle_missing.yaml' not found"),
    ("models: [wgan_gp]\ndata: [ring8]\nseeds: [0]\n",
     "model 'wgan_gp' trains on .* data, which the harness does not evaluate; .*benchmarks/image_baseline.py"),
    ("models: [mle]\ndata: [ring8]\nseeds: [0]\n", "model 'mle' does not train on 'ring8'"),
    ("models: [cgan_mle]\ndata: [mr]\nseeds: [0]\neval:\n  temperatures: [0.8, 1.0]\n",
     "'cgan_mle' is scored with the per-class protocol .* drop eval.temperatures"),
])
def test_grid_models_data_and_paths_are_checked_up_front(tmp_path, text, message):
    # each of these failed only after training (an image run cannot be evaluated here, a missing file), or was
    # ignored (a conditional model's sweep)
    (tmp_path / "g.yaml").write_text(text)
    with pytest.raises(ValueError, match=message):
        load_grid(tmp_path / "g.yaml")


def test_a_grids_relative_paths_are_the_repositorys_wherever_it_is_run_from(tmp_path, monkeypatch):
    from benchmarks.harness import Job, resolved_config

    (tmp_path / "g.yaml").write_text("models: [mle]\ndata: [oracle]\nseeds: [0]\nconfig: configs/tiny/{model}.yaml\n")
    monkeypatch.chdir(tmp_path)  # where configs/tiny/mle.yaml does not exist
    grid = load_grid(tmp_path / "g.yaml")
    assert resolved_config(Job(grid, "mle", "oracle", 0))["mle"]["epochs"] == 2  # configs/tiny/mle.yaml's value


def test_eval_differences_name_what_was_measured_otherwise():
    result = {"protocol": {"n_samples": 10000, "seed": 1234, "max_n": 5, "temperature": 1.0},
              "metrics": {"nll_oracle": 9.0, "nll_test": 8.5},
              "sweep": [{"temperature": 0.5}, {"temperature": 1.0}]}
    assert eval_differences(result, {"num_samples": 10000, "metrics": ["nll"], "temperatures": [0.5, 1.0]}) == []
    assert eval_differences(result, {"num_samples": 128, "metrics": ["nll", "bleu"], "temperatures": [0.7]}) == [
        "n_samples 10000, grid 128", "no sweep at temperature(s) 0.7", "metric(s) bleu not measured"]
    assert eval_differences({"metrics": {"per_class": {}}}, {"metrics": ["bleu"]}) == []  # the per-class protocol
    assert eval_differences(result, {"metrics": "nll,bleu"}) == ["metric(s) bleu not measured"]  # a string too


def test_a_damaged_result_is_named_not_taken_as_finished(tmp_path):
    from benchmarks.harness import Job, config_hash, finished_result, resolved_config, run_id
    from textgan.errors import UserError

    (tmp_path / "g.yaml").write_text(BASE)
    job = Job(load_grid(tmp_path / "g.yaml"), "mle", "oracle", 0)
    chash = config_hash(resolved_config(job))
    (tmp_path / "results" / "g").mkdir(parents=True)
    damaged = tmp_path / "results" / "g" / f"{run_id('mle', 'oracle', 0, chash)}.json"
    damaged.write_text('{"model": "ml')
    with pytest.raises(UserError, match="result file .* is damaged .*delete it to run the job again"):
        finished_result(job, chash, tmp_path / "results")
