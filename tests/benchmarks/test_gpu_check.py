"""benchmarks/gpu_check.py, run with --device cpu: the checks it makes on a GPU, and how it reports a failure."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks import gpu_check


def test_text_and_image_cases_pass_every_step(tmp_path, capsys):
    out = tmp_path / "check.json"
    assert gpu_check.main(["--device", "cpu", "--cases", "mle_text,seqgan,wgan_gp", "--out", str(out)]) == 0
    results = {r["case"]: r for r in json.loads(out.read_text())["results"]}
    assert list(results["seqgan"]["seconds"]) == ["train", "resume", "sample", "evaluate"]
    assert list(results["wgan_gp"]["seconds"]) == ["train", "resume", "sample"]  # image GANs: no textgan.evaluate
    for case in ("mle_text", "seqgan"):  # on the CPU the loop's NLL-test and evaluate's are the same number
        pair = results[case]["nll_test"]
        assert pair["device"] == pair["cpu"]
    assert "3 of 3 cases passed" in capsys.readouterr().out


def test_a_failing_step_is_named_and_fails_the_run(tmp_path, monkeypatch, capsys):
    (tmp_path / "broken.yaml").write_text("model: mle\nmle:\n  epochs: -1\n")
    (tmp_path / "mle.yaml").write_text((gpu_check.TINY / "mle.yaml").read_text())
    monkeypatch.setattr(gpu_check, "TINY", tmp_path)
    assert gpu_check.main(["--device", "cpu"]) == 1
    out = capsys.readouterr().out
    assert "FAIL broken: train: error: config key 'mle.epochs' must be >= 0" in out
    assert "ok   mle:" in out and "failed: broken" in out
    monkeypatch.setattr(gpu_check, "last_phase_budget", lambda run_dir: ("mle.epochs", 0))  # nothing more to train
    assert gpu_check.main(["--device", "cpu", "--cases", "mle"]) == 1
    assert "FAIL mle: resume: " in capsys.readouterr().out
