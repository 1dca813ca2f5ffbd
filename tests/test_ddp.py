"""Scale-out: `torchrun --nproc_per_node=2 -m textgan.train` with the gloo backend on CPU.

Checks, for MLE, SeqGAN and conditional SeqGAN: both ranks hold bitwise identical weights at every checkpoint (each
checkpoint's meta.json records every rank's weight digest), rank 0 alone writes (one checkpoint folder
per step, one metrics line per evaluation, one run_info line per launch), and `--resume` continues the
run — for MLE bitwise equal to an uninterrupted 2-process run; a SIGTERM to torchrun stops both workers
at the same step with one checkpoint; model selection (`train.best_metric`, `train.patience`,
`train.restore_best`) ends the MLE phase at the same step on both ranks. Slow: each launch starts three Python
processes (the torchrun agent and two workers).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import cli_env, write_tiny_labelled
from safetensors.torch import load_file

from textgan.checkpoint import latest_checkpoint, list_checkpoints

pytestmark = pytest.mark.slow

TINY = Path(__file__).resolve().parents[1] / "configs" / "tiny"


def torchrun(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "textgan.train", *map(str, args)]
    proc = subprocess.run(cmd, cwd=cwd, env=cli_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    return proc


def check_ranks_and_writes(run: Path, launches: int) -> None:
    ckpts = list_checkpoints(run / "checkpoints")
    assert ckpts and not [p for p in (run / "checkpoints").iterdir() if p.name.startswith(".tmp-")]
    for ckpt in ckpts:
        meta = json.loads((ckpt / "meta.json").read_text())
        digests = meta["rank_weights_sha256"]
        assert meta["world_size"] == 2 and len(digests) == 2 and digests[0] == digests[1], ckpt
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in records]
    assert steps == sorted(set(steps)), "an evaluation was logged twice (by two ranks?)"
    assert len((run / "run_info.jsonl").read_text().splitlines()) == launches


def test_mle_two_processes_identical_ranks_and_exact_resume(tmp_path):
    common = ["--model", "mle", "--config", TINY / "mle.yaml"]
    torchrun(*common, "--run-dir", "straight", "mle.epochs=3", cwd=tmp_path)
    torchrun(*common, "--run-dir", "cut", "mle.epochs=2", cwd=tmp_path)
    torchrun("--resume", "--run-dir", "cut", "mle.epochs=3", cwd=tmp_path)
    check_ranks_and_writes(tmp_path / "straight", 1)
    check_ranks_and_writes(tmp_path / "cut", 2)
    a, b = (latest_checkpoint(tmp_path / name / "checkpoints") for name in ("straight", "cut"))
    assert a.name == b.name == "step-00000003"
    wa, wb = load_file(a / "weights.safetensors"), load_file(b / "weights.safetensors")
    assert all(wa[k].equal(wb[k]) for k in wa)


def test_seqgan_two_processes_identical_ranks_and_resume(tmp_path):
    torchrun("--model", "seqgan", "--config", TINY / "seqgan.yaml", "--run-dir", "run", cwd=tmp_path)
    torchrun("--resume", "--run-dir", "run", "adversarial.rounds=2", cwd=tmp_path)
    check_ranks_and_writes(tmp_path / "run", 2)
    meta = json.loads((latest_checkpoint(tmp_path / "run" / "checkpoints") / "meta.json").read_text())
    assert meta["phase"] == "adversarial" and meta["iteration"] == 2


def test_conditional_seqgan_two_processes_identical_ranks(tmp_path, monkeypatch):
    """Conditional D trains on each rank's own negatives: ranks stay equal only if D's gradients are averaged."""
    monkeypatch.setenv("TEXTGAN_CACHE_DIR", str(tmp_path / "cache"))
    data = write_tiny_labelled(tmp_path)
    torchrun("--model", "cseqgan", "--config", TINY / "cseqgan.yaml", "--data", data, "--run-dir", "run",
             "adversarial.rounds=2", cwd=tmp_path)
    check_ranks_and_writes(tmp_path / "run", 1)


def test_sigterm_to_torchrun_saves_once_and_resumes(tmp_path):
    """torchrun forwards SIGTERM to its workers: they agree on a step, rank 0 saves, both exit."""
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m",
           "textgan.train", "--model", "seqgan", "--config", str(TINY / "seqgan.yaml"), "--run-dir", "run",
           "adversarial.rounds=200"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 300
    while not ((run / "metrics.jsonl").is_file() and '"adversarial"' in (run / "metrics.jsonl").read_text()):
        assert proc.poll() is None and time.monotonic() < deadline, "no adversarial round was logged"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=300)
    assert err.count("stopped by SIGTERM after adversarial round") == 1, err  # rank 0 alone reports
    check_ranks_and_writes(run, 1)
    meta = json.loads((latest_checkpoint(run / "checkpoints") / "meta.json").read_text())
    assert meta["phase"] == "adversarial" and 1 <= meta["iteration"] < 200
    torchrun("--resume", "--run-dir", "run", f"adversarial.rounds={meta['iteration'] + 1}", cwd=tmp_path)
    check_ranks_and_writes(run, 2)


def test_model_selection_two_processes(tmp_path):
    """train.best_metric / patience / restore_best under torchrun: the ranks agree on the best evaluation and
    on ending the phase (rank 0 evaluates), write the best checkpoint together, and stay identical."""
    torchrun("--model", "seqgan", "--config", TINY / "seqgan.yaml", "--run-dir", "run", "data.valid_size=20",
             "mle.epochs=20", "mle.lr=0.05", "train.best_metric=nll_valid", "train.patience=2",
             "train.restore_best=true", cwd=tmp_path)
    run = tmp_path / "run"
    for ckpt in list_checkpoints(run / "checkpoints") + list_checkpoints(run / "best"):
        digests = json.loads((ckpt / "meta.json").read_text())["rank_weights_sha256"]
        assert len(digests) == 2 and digests[0] == digests[1], ckpt
    best = json.loads((latest_checkpoint(run / "best") / "meta.json").read_text())
    assert best["phase"] == "mle" and best["best"]["metric"] == "nll_valid"
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert all("nll_valid" in r for r in records) and records[-1]["phase"] == "adversarial"
    # at lr 0.05 the tiny oracle's validation NLL stops improving within the 20 epochs: the phase ends early
    restored = [r for r in records if "restored_from_step" in r]
    assert len(restored) == 1 and restored[0]["restored_from_step"] == best["step"]
    assert max(r["iteration"] for r in records if r["phase"] == "mle") < 20
