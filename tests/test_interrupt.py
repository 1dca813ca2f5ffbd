"""Interrupting training: SIGTERM writes a checkpoint and exits 143; SIGKILL at a random moment of the
adversarial phase leaves a usable checkpoint; either way `--resume` ends bitwise equal to an uninterrupted
run (weights of G, D and the rollout network, optimiser-driven progress, metrics.jsonl). Also: a truncated
newest checkpoint makes `--resume` fall back to the previous one with a warning.

Real subprocesses of `python -m textgan.train` on configs/tiny/seqgan.yaml; the test waits for files
(never for a fixed time) before it sends a signal, so a loaded machine only makes it slower.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import cli_env, run_cli, run_clis
from safetensors.torch import load_file

from textgan.checkpoint import latest_checkpoint, list_checkpoints

TINY_SEQGAN = Path(__file__).resolve().parents[1] / "configs" / "tiny" / "seqgan.yaml"
# long enough an adversarial phase that a kill lands inside it; every round is evaluated and saved
ARGS = ["--model", "seqgan", "--config", str(TINY_SEQGAN), "adversarial.rounds=25", "adversarial.rollouts=4",
        "adversarial.rollout_update_rate=0.5"]
TIMING = {"elapsed_s", "eval_s"}


def start(run: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "textgan.train", *ARGS, "--run-dir", run], cwd=cwd,
                            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_adversarial_checkpoint(run: Path, proc: subprocess.Popen, timeout: float = 240) -> None:
    """Poll until the run has saved a checkpoint inside the adversarial phase."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the run ended before the adversarial phase:\n{proc.stderr.read()}"
        for ckpt in reversed(list_checkpoints(run / "checkpoints")):
            try:
                if json.loads((ckpt / "meta.json").read_text())["phase"] == "adversarial":
                    return
            except (OSError, ValueError, KeyError):
                pass  # being pruned or written right now
        time.sleep(0.02)
    raise AssertionError("no adversarial checkpoint appeared in time")


def weights(run: Path) -> dict:
    return load_file(latest_checkpoint(run / "checkpoints") / "weights.safetensors")


def records(run: Path) -> list[dict]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k not in TIMING} for line in lines]


def assert_same_run(a: Path, b: Path) -> None:
    wa, wb = weights(a), weights(b)
    assert latest_checkpoint(a / "checkpoints").name == latest_checkpoint(b / "checkpoints").name
    assert wa.keys() == wb.keys() and {k.split(".")[0] for k in wa} == {"generator", "rollout", "discriminator"}
    for key in wa:
        assert wa[key].equal(wb[key]), f"{key} differs from the uninterrupted run"
    assert records(a) == records(b)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """An uninterrupted run, one stopped by SIGTERM and one killed by SIGKILL, each then resumed."""
    cwd = tmp_path_factory.mktemp("interrupt")
    rng = random.Random()
    delay = rng.uniform(0.0, 0.3)
    straight = start("straight", cwd)
    procs = {}
    for name, sig in (("term", signal.SIGTERM), ("kill", signal.SIGKILL)):
        proc = start(name, cwd)
        wait_for_adversarial_checkpoint(cwd / name, proc)
        if sig == signal.SIGKILL:
            time.sleep(delay)  # a random moment: mid-round, mid-evaluation or mid-save
        running = proc.poll() is None
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=300)
        procs[name] = (proc.returncode, err, running)
    straight.communicate(timeout=600)
    assert straight.returncode == 0
    before = {name: sorted(p.name for p in (cwd / name / "checkpoints").iterdir()) for name in procs}
    resumed = run_clis({name: ("textgan.train", ["--resume", "--run-dir", name]) for name in procs}, cwd)
    return cwd, procs, before, resumed, delay


def test_sigterm_saves_a_checkpoint_and_resumes_exactly(runs):
    cwd, procs, _, resumed, _ = runs
    code, err, running = procs["term"]
    assert running and code == 128 + signal.SIGTERM, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("stopped by SIGTERM after adversarial round") and "--resume --run-dir term" in last
    assert "Traceback" not in err
    assert resumed["term"].returncode == 0, resumed["term"].stderr
    assert_same_run(cwd / "straight", cwd / "term")


def test_sigkill_at_a_random_moment_resumes_exactly(runs):
    cwd, procs, before, resumed, delay = runs
    code, _, running = procs["kill"]
    assert running and code == -signal.SIGKILL, f"killed after {delay:.3f} s"
    assert resumed["kill"].returncode == 0, resumed["kill"].stderr
    assert not [p for p in (cwd / "kill" / "checkpoints").iterdir() if p.name.startswith(".tmp-")]
    assert_same_run(cwd / "straight", cwd / "kill")
    assert before["kill"], "the killed run kept no checkpoint"


def test_truncated_newest_checkpoint_falls_back_on_resume(oracle_run, tmp_path):
    """The newest checkpoint is cut short: resume warns, continues from the previous one, ends identical."""
    run = tmp_path / "run"
    import shutil

    shutil.copytree(oracle_run, run)
    newest = latest_checkpoint(run / "checkpoints")
    assert newest.name == "step-00000002"
    f = newest / "weights.safetensors"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    proc = run_cli("textgan.train", "--resume", "--run-dir", "run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "step-00000002' is damaged" in proc.stderr and "falling back to the previous checkpoint" in proc.stderr
    assert "resumed from run/checkpoints/step-00000001" in proc.stderr
    a, b = load_file(oracle_run / "checkpoints" / "step-00000002" / "weights.safetensors"), weights(run)
    assert all(a[k].equal(b[k]) for k in a)  # epoch 2 re-run from epoch 1 gives the same weights
