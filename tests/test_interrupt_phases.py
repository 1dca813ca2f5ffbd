"""Interrupts at chosen points, where tests/test_interrupt.py's timed signals land by chance: SIGTERM inside the
MLE phase and inside D pretraining, between two evaluations (so the checkpoint is one no evaluation asked for),
and SIGKILL while a checkpoint is half written. Each run then `--resume`s and must end bitwise equal to an
uninterrupted one (weights of G, D and the rollout network, metrics.jsonl without timings).

The signal is sent by the training process to itself from a wrapped method (`DRIVER`), so the point is exact
and the test never waits for a fixed time. Real subprocesses of configs/tiny/seqgan.yaml, a few seconds each.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cli_env, run_clis
from safetensors.torch import load_file

from textgan.checkpoint import latest_checkpoint, list_checkpoints

TINY_SEQGAN = Path(__file__).resolve().parents[1] / "configs" / "tiny" / "seqgan.yaml"
# evaluations (and checkpoints) at every 2nd iteration: steps 2 and 4 (MLE), 6 and 7 (D pretraining), 9 (GAN)
ARGS = ["--model", "seqgan", "--config", str(TINY_SEQGAN), "train.eval_every=2", "mle.epochs=4",
        "adversarial.pretrain_d_rounds=3", "adversarial.rounds=2"]
TIMING = {"elapsed_s", "eval_s"}

# argv: module class method iteration signal-or-"checkpoint" -- train args. With a method, the process sends
# itself the signal once that method has run the given (0-based) iteration. With "checkpoint", it kills itself
# with SIGKILL while writing state.pt of checkpoint step N (the weights are already in the temporary folder).
DRIVER = """
import importlib, os, signal, sys
import torch
from textgan.train import main
target, how, args = sys.argv[1:5], sys.argv[5], sys.argv[7:]
if how == "checkpoint":
    real_save, step = torch.save, f"step-{int(target[3]):08d}"
    def save(obj, f, *a, **k):
        if step in str(f) and str(f).endswith("state.pt"):
            open(f, "wb").write(b"half")
            os.kill(os.getpid(), signal.SIGKILL)
        return real_save(obj, f, *a, **k)
    torch.save = save
else:
    cls = getattr(importlib.import_module(target[0]), target[1])
    real = getattr(cls, target[2])
    def wrapped(self, i, *a, **k):
        out = real(self, i, *a, **k)
        if i == int(target[3]):
            os.kill(os.getpid(), getattr(signal, how))
        return out
    setattr(cls, target[2], wrapped)
sys.exit(main(args))
"""

INTERRUPTS = {
    # SIGTERM after MLE epoch 1 (index 0; step 1, not an evaluation step)
    "term_mle": ["textgan.gans.seqgan", "SeqGAN", "mle_iteration", "0", "SIGTERM"],
    # SIGTERM after D-pretraining round 1 (step 5, not an evaluation step)
    "term_pretrain_d": ["textgan.gans.seqgan", "SeqGAN", "pretrain_d_round", "0", "SIGTERM"],
    # SIGKILL inside the write of checkpoint step 4, the end of MLE: resume from step 2
    "kill_in_save": ["-", "-", "-", "4", "checkpoint"],
}


def weights(run: Path) -> dict:
    return load_file(latest_checkpoint(run / "checkpoints") / "weights.safetensors")


def records(run: Path) -> list[dict]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k not in TIMING} for line in lines]


def finish(proc: subprocess.Popen) -> tuple[int, str]:
    _, err = proc.communicate(timeout=300)
    return proc.returncode, err


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The uninterrupted run and each interrupted one (its exit, then its resume), run side by side."""
    cwd = tmp_path_factory.mktemp("interrupt_phases")
    procs = {name: subprocess.Popen([sys.executable, "-c", DRIVER, *how, "--", *ARGS, "--run-dir", name],
                                    cwd=cwd, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name, how in INTERRUPTS.items()}
    try:
        straight = run_clis({"straight": ("textgan.train", [*ARGS, "--run-dir", "straight"])}, cwd)["straight"]
        assert straight.returncode == 0, straight.stderr
        stopped = {name: finish(proc) for name, proc in procs.items()}
    finally:  # a failure above must not leave training processes behind
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    left = {name: sorted(p.name for p in (cwd / name / "checkpoints").iterdir()) for name in procs}
    resumed = run_clis({name: ("textgan.train", ["--resume", "--run-dir", name]) for name in procs}, cwd)
    return cwd, stopped, left, resumed


def assert_same_run(a: Path, b: Path) -> None:
    wa, wb = weights(a), weights(b)
    assert latest_checkpoint(a / "checkpoints").name == latest_checkpoint(b / "checkpoints").name == "step-00000009"
    assert wa.keys() == wb.keys() and {k.split(".")[0] for k in wa} == {"generator", "rollout", "discriminator"}
    for key in wa:
        assert wa[key].equal(wb[key]), f"{key} differs from the uninterrupted run"
    assert records(a) == records(b)


@pytest.mark.parametrize("name, phase, unit", [("term_mle", "mle", "epoch 1"),
                                               ("term_pretrain_d", "pretrain_d", "round 1")])
def test_sigterm_between_evaluations_saves_and_resumes_exactly(runs, name, phase, unit):
    cwd, stopped, left, resumed = runs
    code, err = stopped[name]
    assert code == 128 + signal.SIGTERM, err
    assert f"stopped by SIGTERM after {phase} {unit}" in err.strip().splitlines()[-1] and "Traceback" not in err
    step = 1 if phase == "mle" else 5
    assert left[name][-1] == f"step-{step:08d}"  # saved at the stop, though no evaluation was due
    assert resumed[name].returncode == 0, resumed[name].stderr
    assert_same_run(cwd / "straight", cwd / name)


def test_sigkill_inside_a_checkpoint_write_resumes_from_the_previous_one(runs):
    cwd, stopped, left, resumed = runs
    code, err = stopped["kill_in_save"]
    assert code == -signal.SIGKILL, err
    # the half-written checkpoint never took its final name: the newest complete one is step 2
    assert [n for n in left["kill_in_save"] if not n.startswith(".tmp-")][-1] == "step-00000002"
    assert any(n.startswith(".tmp-") for n in left["kill_in_save"])
    assert resumed["kill_in_save"].returncode == 0, resumed["kill_in_save"].stderr
    assert "resumed from kill_in_save/checkpoints/step-00000002" in resumed["kill_in_save"].stderr
    assert not [p for p in (cwd / "kill_in_save" / "checkpoints").iterdir() if p.name.startswith(".tmp-")]
    assert [p.name for p in list_checkpoints(cwd / "kill_in_save" / "checkpoints")][-1] == "step-00000009"
    assert_same_run(cwd / "straight", cwd / "kill_in_save")
