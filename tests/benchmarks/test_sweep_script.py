"""benchmarks/sweep.py: the temperature sweep of a finished run written as JSON, and the runs it refuses (an
image run, a class-conditional one) with a one-line error."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from conftest import REPO_ROOT, train_cli

from benchmarks.sweep import main as sweep_main


def test_a_runs_sweep_is_written(text_run, tmp_path, cli, capsys):
    out = tmp_path / "sweep.json"
    proc = cli.main(sweep_main, ["--run", text_run, "--out", out, "--temperatures", "0.5,1.0", "--metrics", "nll",
                                 "--num", "8"], capsys)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["model"] == "mle" and [e["temperature"] for e in result["sweep"]] == [0.5, 1.0]
    assert all("nll_test" in e for e in result["sweep"])


def test_image_and_conditional_runs_are_refused_in_one_line(tiny_labelled, tmp_path, cli, capsys):
    cwd = tiny_labelled.parent
    procs = {"image": train_cli("--config", REPO_ROOT / "configs" / "tiny" / "wgan_gp.yaml", "--run-dir", "image",
                                "gan.iterations=1", cwd=cwd),
             "conditional": train_cli("--config", REPO_ROOT / "configs" / "tiny" / "cgan_mle.yaml", "--data",
                                      tiny_labelled, "--run-dir", "conditional", "mle.epochs=1", cwd=cwd)}
    for name, proc in procs.items():
        assert proc.returncode == 0, f"{name}: {proc.stderr}"
    out = tmp_path / "s.json"
    proc = cli.main(sweep_main, ["--run", cwd / "image", "--out", out], capsys)
    cli.user_error(proc, "is not a text run", "benchmarks/sweep.py scores text runs")
    proc = cli.main(sweep_main, ["--run", cwd / "conditional", "--out", out], capsys)
    cli.user_error(proc, "is class-conditional", "no temperature sweep", "python -m textgan.evaluate --run")
    assert not out.exists()
