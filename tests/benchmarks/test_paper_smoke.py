"""benchmarks/paper_smoke.py: a config trained through the real CLI with its budgets cut, its costs recorded."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks.paper_smoke import main, phase_costs

REPO = Path(__file__).resolve().parents[2]


def test_phase_costs_are_differences_of_the_loops_training_time():
    records = [{"phase": "mle", "iteration": 0, "elapsed_s": 0.0, "eval_s": 2.0},
               {"phase": "mle", "iteration": 1, "elapsed_s": 7.25, "eval_s": 1.5},
               {"phase": "adversarial", "iteration": 1, "elapsed_s": 17.0, "eval_s": 1.0}]
    assert phase_costs(records) == [{"phase": "mle", "iteration": 1, "train_s": 7.2, "eval_s": 1.5},
                                    {"phase": "adversarial", "iteration": 1, "train_s": 9.8, "eval_s": 1.0}]


def test_overrides_join_the_default_cuts_the_model_has():
    from benchmarks.paper_smoke import with_default_cuts

    seqgan, leakgan = REPO / "configs/paper/seqgan_oracle.yaml", REPO / "configs/paper/leakgan_oracle.yaml"
    assert with_default_cuts(seqgan, ["eval.num_samples=64"]) == [
        "mle.epochs=1", "adversarial.pretrain_d_rounds=1", "adversarial.rounds=2", "eval.num_samples=64"]
    assert with_default_cuts(seqgan, ["adversarial.rounds=5"]) == [
        "mle.epochs=1", "adversarial.pretrain_d_rounds=1", "adversarial.rounds=5"]
    # LeakGAN's schedule has no mle section: only the cuts it has apply
    assert "mle.epochs=1" not in with_default_cuts(leakgan, ["pretrain.rounds=1"])


def test_a_tiny_config_end_to_end(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["--config", str(REPO / "configs/tiny/seqgan.yaml"), "--out", str(out), "--workdir",
                 str(tmp_path / "runs"), "mle.epochs=1", "adversarial.pretrain_d_rounds=1",
                 "adversarial.rounds=1"]) == 0
    result = json.loads((out / "smoke.json").read_text())
    assert [(r["phase"], r["iteration"]) for r in result["phases"]] == [("mle", 1), ("pretrain_d", 1),
                                                                       ("adversarial", 1)]
    assert result["wall_s"] > 0 and result["peak_rss_gib"] > 0.05 and result["hardware"]["cpu_count"]
    assert str(tmp_path) not in result["command"] and "configs/tiny/seqgan.yaml" in result["command"]
    assert (out / "metrics.jsonl").read_text().count("\n") == 4 and (out / "config.yaml").is_file()
    assert "| adversarial 1 |" in capsys.readouterr().out
