"""benchmarks/bench_models.py end to end on the test-sized configs (configs/tiny/): two models trained and
sampled through the real CLIs in tmp_path, then the JSON and Markdown it writes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks import bench_models
from benchmarks.machine import repo_path

ROOT = Path(__file__).resolve().parents[2]


def test_entries_and_budgets():
    assert bench_models.parse_entry("seqgan+transformer@coco") == ("seqgan", "transformer", "coco", ())
    assert bench_models.parse_entry("mle") == ("mle", "default", None, ())
    assert bench_models.parse_entry("maligan[mixed]@coco") == ("maligan", "default", "coco", ("mixed",))
    # a variant value sets the model's variant key, and the row is labelled as the result tables label it
    assert bench_models.variant_overrides("maligan", ("mixed",)) == ["maligan.reward=mixed"]
    assert bench_models.entry_label("maligan", ("mixed",)) == "maligan[mixed]"
    with pytest.raises(ValueError, match="seqgan has 0 variant key"):
        bench_models.variant_overrides("seqgan", ("mixed",))
    # only the budgets the model's config has, each cut to one iteration
    assert bench_models.budget_overrides("seqgan") == [
        "mle.epochs=1", "adversarial.pretrain_d_rounds=1", "adversarial.rounds=1"]
    assert "pretrain.rounds=1" in bench_models.budget_overrides("leakgan")
    assert "adversarial.steps=1" in bench_models.budget_overrides("relgan")
    models = bench_models.default_models()
    assert "seqgan+transformer" in models and "cseqgan" in models and "dcgan" not in models
    assert models.index("maligan[mixed]") == models.index("maligan") + 1


def test_recorded_commands_name_no_machine_folders():
    assert repo_path(ROOT / "configs" / "seqgan.yaml") == "configs/seqgan.yaml"
    assert repo_path(Path("/elsewhere/x.yaml")) == "/elsewhere/x.yaml"  # outside the repo: as given
    assert bench_models.as_recorded([sys.executable, "-m", "textgan.train"]) == "python -m textgan.train"


def test_two_tiny_models(tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    out, work = tmp_path / "results", tmp_path / "work"
    # seqgan has all three phases; seqgan+transformer resolves configs/tiny/seqgan_transformer.yaml
    rc = bench_models.main(["--models", "seqgan,seqgan+transformer", "--threads", "1",
                            "--config-dir", str(ROOT / "configs" / "tiny"), "--out", str(out),
                            "--workdir", str(work), "--num-samples", "2000"])
    assert rc == 0
    report = json.loads((out / "model_speed.json").read_text())
    assert report["threads"] == 1 and len(report["loadavg_start"]) == 3 and report["hardware"]["cpu_count"]
    rows = {row["entry"]: row for row in report["models"]}
    assert set(rows) == {"seqgan", "seqgan+transformer"}
    for row in rows.values():
        assert "error" not in row and "sample_error" not in row, row
        assert row["data"] == "oracle" and row["generator_params"] > 0
        for phase in ("mle", "pretrain_d", "adversarial"):
            assert row["phases"][phase]["iterations"] == 1
            assert row["phases"][phase]["per_iteration_s"] > 0
        assert row["units"] == {"mle": "epoch", "pretrain_d": "round", "adversarial": "round"}  # run_info's
        assert row["eval_s"] > 0 and len(row["eval_s_all"]) == 4  # step 0 + one per phase
        assert row["sample_sequences"] == 2000 and row["sample_tokens"] > 0
        assert row["sample_tokens_per_s_raw"] > 0
        assert row["sample_tokens_per_s"] is None or row["sample_tokens_per_s"] > 0
    assert rows["seqgan+transformer"]["generator"] == "transformer"
    assert rows["seqgan+transformer"]["config"].endswith("seqgan_transformer.yaml")
    table = (out / "model_speed.md").read_text()
    assert "| seqgan | default | oracle |" in table and "| seqgan | transformer | oracle |" in table
    assert "load average" in table and "s / MLE epoch" in table


def test_cells_name_a_unit_other_than_their_columns():
    """A phase that counts rounds under the epoch column (LeakGAN's pretraining) or steps under the round
    column (RelGAN) says so in its cell and in the note under the table; matching units stay unmarked."""
    timing = {"iterations": 1, "per_iteration_s": 2.0}
    rows = [{"model": "a", "generator": "default", "data": "oracle", "generator_params": 10,
             "phases": {"mle": timing, "adversarial": timing}, "units": {"mle": "round", "adversarial": "step"},
             "eval_s": 1.0, "sample_tokens_per_s": 5.0},
            {"model": "b", "generator": "default", "data": "oracle", "generator_params": 10,
             "phases": {"mle": timing}, "units": {"mle": "epoch", "adversarial": "step"},
             "eval_s": 1.0, "sample_tokens_per_s": 5.0}]
    report = {"hardware": {"torch": "x", "cpu_count": 2, "processor": "p"}, "command": "c", "threads": 1,
              "git_sha": "g", "num_samples": 10, "models": rows, "loadavg_start": [0, 0, 0],
              "loadavg_end": [0, 0, 0], "total_wall_s": 60}
    table = bench_models.render_markdown(report)
    assert "| a | default | oracle | 10 | 2.00 (per round) | – | 2.00 (per step) |" in table
    assert "| b | default | oracle | 10 | 2.00 | – | – |" in table
    # b never ran its adversarial phase, so only a's two cells are named
    assert "instead of the column's: a (mle: per round), a (adversarial: per step). " in table


def test_render_markdown_names_the_cpu_model():
    """The header names the CPU model and instruction set when the JSON records them (cpu_summary)."""
    report = {"hardware": {"torch": "x", "cpu_count": 2, "processor": "x86_64", "cpu_model": "M",
                           "cpu_capability": "AVX512"},
              "command": "c", "threads": 1, "git_sha": "g", "num_samples": 10, "models": [],
              "loadavg_start": [0, 0, 0], "loadavg_end": [0, 0, 0], "total_wall_s": 60}
    assert "1 thread(s), 2 CPUs (M, AVX512), git g." in bench_models.render_markdown(report)
