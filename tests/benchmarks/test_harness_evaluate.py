"""benchmarks/harness.py `evaluate` on a finished tiny run: protocol metrics, the sweep's metrics, sizes, config."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks.harness import evaluate


def test_sweep_metrics_narrow_the_sweep_only(text_run):
    """eval.sweep_metrics: the sweep computes fewer metrics than the final evaluation (FED is the use)."""
    cfg = {"num_samples": 20, "max_n": 3, "metrics": ["bleu", "nll"], "temperatures": [0.8, 1.0],
           "sweep_metrics": ["nll"]}
    out = evaluate(text_run, cfg, None)
    assert "bleu" in out["metrics"] and "nll_test" in out["metrics"]
    assert [e["temperature"] for e in out["sweep"]] == [0.8, 1.0]
    assert all("nll_test" in e and "bleu" not in e for e in out["sweep"])
    assert set(out["sizes"]) == {"generator"} and out["sizes"]["generator"] > 0   # MLE has no discriminator
    assert out["config"]["model"] == "mle" and out["config"]["seed"] == 0  # the run's saved config.yaml


def test_sweep_metrics_default_to_the_final_metrics(text_run):
    out = evaluate(text_run, {"num_samples": 20, "max_n": 3, "metrics": ["bleu", "nll"], "temperatures": [1.0]},
                   None)
    # `all("bleu" in e ...)` held for an empty sweep and for a default of BLEU alone; at T = 1 with the same
    # seed the sweep's entry is the final evaluation itself (every metric, the same values)
    assert [e["temperature"] for e in out["sweep"]] == [1.0]
    timeless = lambda entry: {k: v for k, v in entry.items() if k != "eval_s"}
    assert "nll_test" in out["metrics"] and timeless(out["sweep"][0]) == timeless(out["metrics"])


def test_a_conditional_run_is_scored_at_the_grids_temperature(tiny_labelled):
    # the per-class protocol read the run's eval.temperature only: a grid's eval.temperature was ignored
    from conftest import REPO_ROOT, train_cli

    proc = train_cli("--config", REPO_ROOT / "configs" / "tiny" / "cgan_mle.yaml", "--data", tiny_labelled,
                     "--run-dir", "run", "mle.epochs=1", cwd=tiny_labelled.parent)
    assert proc.returncode == 0, proc.stderr
    run = tiny_labelled.parent / "run"
    assert evaluate(run, {"num_samples": 8, "max_n": 2}, None)["metrics"]["temperature"] == 1.0  # the run's own
    assert evaluate(run, {"num_samples": 8, "max_n": 2, "temperature": 0.5}, None)["metrics"]["temperature"] == 0.5
