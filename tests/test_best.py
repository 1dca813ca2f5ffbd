"""Model selection in the loop (textgan/best.py): the best evaluation of the MLE phase is kept in
`<run>/best/`, `train.patience` ends the phase early, `train.restore_best` hands the best weights to the
next phase and the final checkpoint, a resumed run ends exactly like an uninterrupted one, and a misused
option is a one-line error. A toy algorithm with a scripted metric keeps this in-process and fast; the CLI
test at the end runs the real entry points on a tiny MLE."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from conftest import assert_same_final_weights, metric_records, run_cli, train_cli, write_tiny_text
from torch import nn

from textgan.best import BestTracker
from textgan.checkpoint import latest_checkpoint, list_checkpoints, load_checkpoint
from textgan.data.vocab import IdVocab
from textgan.errors import UserError
from textgan.gans.base import Phase
from textgan.guards import TrainingInterrupted
from textgan.loop import TrainConfig, Trainer
from textgan.runs import RunDir

REPO = Path(__file__).resolve().parents[1]

# the metric each evaluation of the toy reports, by step: best at step 2, then worse
SCRIPT = {0: 9.0, 1: 4.0, 2: 3.0, 3: 3.5, 4: 3.6, 5: 3.7, 6: 2.0, 7: 1.0, 8: 1.0}


class Toy:
    """An `mle` phase of SGD epochs on a linear model, then an `adversarial` phase of `adv` epochs."""

    def __init__(self, epochs=8, adv=2, signal_at=()):
        torch.manual_seed(0)
        self.generator = nn.Linear(3, 1)
        self.opt = torch.optim.SGD(self.generator.parameters(), lr=0.1)
        self.epochs, self.adv, self.signal_at = epochs, adv, signal_at
        self.adv_start = None  # the generator's weights when the adversarial phase began

    def modules(self):
        return {"generator": self.generator}

    def optimizers(self):
        return {"generator": self.opt}

    def phases(self):
        return [Phase("mle", self.epochs, self.epoch), Phase("adversarial", self.adv, self.adversarial)]

    def epoch(self, i):
        loss = self.generator(torch.randn(4, 3)).pow(2).mean()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        if i in self.signal_at:
            os.kill(os.getpid(), signal.SIGINT)
        return {"loss": float(loss.detach())}

    def adversarial(self, i):
        if self.adv_start is None:
            self.adv_start = self.generator.weight.detach().clone()
        return self.epoch(100 + i)


class ScriptedEvaluator:
    """Reports `SCRIPT[step]` as nll_valid, and remembers the weights it saw at each step."""

    def __init__(self):
        self.trainer = None
        self.seen = {}

    def evaluate(self, generator):
        step = self.trainer.progress["step"]
        self.seen[step] = generator.weight.detach().clone()
        return {"nll_valid": SCRIPT.get(step, 5.0)}, torch.zeros(1, 4, dtype=torch.long)

    def decode(self, samples):
        return ["x"] * len(samples)


def trainer(tmp_path, algo, **train):
    settings = dict(eval_every=1, keep_checkpoints=20, progress=False, show_samples=0, save_samples=0,
                    best_metric="nll_valid")
    cfg = SimpleNamespace(model="toy", train=TrainConfig(**{**settings, **train}))
    ctx = SimpleNamespace(cfg=cfg, data=SimpleNamespace(vocab=IdVocab(5), seq_len=4))
    run = RunDir(tmp_path / "run")
    run.create()
    evaluator = ScriptedEvaluator()
    t = Trainer(ctx, algo, run, evaluator)
    evaluator.trainer = t
    return t, evaluator


def best_steps(tmp_path):
    return [int(p.name.split("-")[1]) for p in list_checkpoints(tmp_path / "run" / "best")]


def test_tracker_counts_evaluations_since_the_best():
    t = BestTracker("nll_valid", ["mle"], patience=2)
    assert t.selects("mle") and not t.selects("adversarial")
    t.start_phase(0)
    for step, value in enumerate([4.0, 3.0, 3.5, float("nan")], start=1):
        t.record(t.improves({"nll_valid": value}), value, step)
    assert (t.value, t.step, t.stale, t.exhausted) == (3.0, 2, 2, True)
    t.start_phase(0)  # resuming inside the phase keeps the count
    assert t.stale == 2
    t.start_phase(1)
    assert (t.value, t.step, t.stale, t.exhausted) == (None, None, 0, False)
    copy = BestTracker("nll_valid", ["mle"], patience=2)
    copy.load_state(t.state())
    assert copy.state() == t.state()
    assert not BestTracker("", ["mle"], 0).selects("mle")


def test_best_is_kept_without_changing_the_run(tmp_path):
    t, ev = trainer(tmp_path, Toy(epochs=5, adv=0))
    t.fit()
    assert best_steps(tmp_path) == [1, 2]  # the newest two bests; step 2 is the lowest of steps 1-5
    weights, _, meta = load_checkpoint(latest_checkpoint(tmp_path / "run" / "best"))
    assert meta["best"] == {"metric": "nll_valid", "value": 3.0}
    assert torch.equal(weights["generator"]["weight"], ev.seen[2])
    _, state, _ = load_checkpoint(latest_checkpoint(tmp_path / "run" / "checkpoints"))
    assert state["progress"]["step"] == 5  # no patience, no restore: the whole budget ran


def test_patience_ends_the_phase_and_restore_hands_the_best_on(tmp_path, capsys):
    algo = Toy()
    t, ev = trainer(tmp_path, algo, patience=3, restore_best=True)
    t.fit()
    # evaluations after the best (step 2): 3.5, 3.6, 3.7 -> the mle phase ends after epoch 5 of 8
    assert "no new best nll_valid in 3 evaluations (train.patience): ending the phase after epoch 5" in \
        capsys.readouterr().out
    assert torch.equal(algo.adv_start, ev.seen[2])  # the adversarial phase began from the best weights
    records = t.run.read_metrics()
    restored = [r for r in records if "restored_from_step" in r]
    assert len(restored) == 1 and restored[0]["restored_from_step"] == 2 and restored[0]["nll_valid"] == 3.0
    assert [r["phase"] for r in records].count("adversarial") == 2
    assert best_steps(tmp_path) == [1, 2]  # the adversarial phase is not selected
    _, state, _ = load_checkpoint(latest_checkpoint(tmp_path / "run" / "checkpoints"))
    assert state["progress"] | {"elapsed": 0} == {"phase": 1, "iteration": 2, "step": 7, "elapsed": 0}


def test_restore_at_the_end_of_a_full_phase(tmp_path):
    algo = Toy(epochs=5, adv=0)
    t, ev = trainer(tmp_path, algo, restore_best=True)
    t.fit()
    weights, _, _ = load_checkpoint(latest_checkpoint(tmp_path / "run" / "checkpoints"))
    assert torch.equal(weights["generator"]["weight"], ev.seen[2])  # the final checkpoint holds the best


def test_resume_ends_like_an_uninterrupted_run(tmp_path):
    trainer(tmp_path / "a", Toy(), patience=3, restore_best=True)[0].fit()
    # interrupted after epoch 4 (step 4: two evaluations past the best), then resumed
    t, _ = trainer(tmp_path / "b", Toy(signal_at={3}), patience=3, restore_best=True)
    with pytest.raises(TrainingInterrupted):
        t.fit()
    resumed, _ = trainer(tmp_path / "b", Toy(), patience=3, restore_best=True)
    assert resumed.restore() and resumed.best.stale == 2
    resumed.fit()
    assert_same_final_weights(tmp_path / "a" / "run", tmp_path / "b" / "run")
    assert best_steps(tmp_path / "a") == best_steps(tmp_path / "b") == [1, 2]
    def log(folder):
        return [(r["phase"], r["step"], r["nll_valid"], r.get("loss"), r.get("restored_from_step"))
                for r in metric_records(folder / "run")]

    assert log(tmp_path / "a") == log(tmp_path / "b")


def test_a_kill_between_the_restored_record_and_its_checkpoint_resumes_like_an_uninterrupted_run(tmp_path):
    # the restore logs its record, then checkpoints: killed in between, the run resumes from the checkpoint
    # before the restore, which must neither keep that record nor lose the one the repeated restore writes
    trainer(tmp_path / "a", Toy(), patience=3, restore_best=True)[0].fit()
    t, _ = trainer(tmp_path / "b", Toy(), patience=3, restore_best=True)
    real_save = t.save

    def killed_after_the_record(phase_name, best=False):
        last = t.run.read_metrics()[-1]
        if "restored_from_step" in last:
            raise KeyboardInterrupt  # stands for a SIGKILL: nothing after this point runs
        real_save(phase_name, best=best)

    t.save = killed_after_the_record
    with pytest.raises(KeyboardInterrupt):
        t.fit()
    assert "restored_from_step" in t.run.read_metrics()[-1]
    resumed, _ = trainer(tmp_path / "b", Toy(), patience=3, restore_best=True)
    assert resumed.restore() and "restored_from_step" not in resumed.run.read_metrics()[-1]
    resumed.fit()
    assert_same_final_weights(tmp_path / "a" / "run", tmp_path / "b" / "run")

    def log(folder):
        return [(r["phase"], r["step"], r["nll_valid"], r.get("loss"), r.get("restored_from_step"))
                for r in metric_records(folder / "run")]

    assert log(tmp_path / "a") == log(tmp_path / "b")


def test_resume_drops_a_best_written_after_the_checkpoint(tmp_path):
    t, _ = trainer(tmp_path, Toy(epochs=5, adv=0))
    t.fit()
    # as if killed after writing best step 2 but before checkpoint step 2: resume from step 1
    for ckpt in list_checkpoints(tmp_path / "run" / "checkpoints")[2:]:  # keep steps 0 and 1
        shutil.rmtree(ckpt)
    resumed, _ = trainer(tmp_path, Toy(epochs=5, adv=0))
    assert resumed.restore() and resumed.progress["step"] == 1
    assert best_steps(tmp_path) == [1]


def test_misuse_is_a_one_line_error(tmp_path):
    with pytest.raises(UserError, match="train.patience and train.restore_best need train.best_metric"):
        trainer(tmp_path, Toy(), best_metric="", patience=2)
    with pytest.raises(UserError, match=r"train.best_phases names 'mel', which this model has no phase of; its "
                                        r"phases: mle, adversarial; set train.best_phases to some of them \(e.g. "
                                        r"train.best_phases=\[adversarial\]\)"):
        trainer(tmp_path, Toy(), best_phases=["mel"])[0].fit()
    t, _ = trainer(tmp_path, Toy(), best_metric="nll_test")
    with pytest.raises(UserError) as err:
        t.fit()
    assert "train.best_metric=nll_test is not reported by this run's evaluation; it reports: nll_valid" \
        in str(err.value)


def test_cli_best_checkpoint_on_tiny_text(tmp_path):
    train, test = write_tiny_text(tmp_path)
    proc = train_cli("--model", "mle", "--config", "configs/tiny/mle_text.yaml", "--data", train,
                     f"data.test={test}", "data.valid_size=3", "train.best_metric=nll_valid", "train.patience=1",
                     "train.restore_best=true", "mle.epochs=4", "--run-dir", tmp_path / "run", cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    records = metric_records(tmp_path / "run")
    assert all("nll_valid" in r for r in records)
    proc = run_cli("textgan.sample", "--run", tmp_path / "run", "--checkpoint", "best", "--num", "2", cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 2  # one line a sample (an empty sample is an empty line)
    proc = run_cli("textgan.evaluate", "--run", tmp_path / "run", "--checkpoint", "best", "--metrics", "nll",
                   "--num", "4", "--json", tmp_path / "best.json", cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    best_step = int(latest_checkpoint(tmp_path / "run" / "best").name.split("-")[1])
    assert json.loads((tmp_path / "best.json").read_text())["checkpoint_step"] == best_step
    proc = train_cli("--model", "mle", "--config", "configs/tiny/mle_text.yaml", "--data", train,
                     f"data.test={test}", "data.valid_size=12", "--run-dir", tmp_path / "run2", cwd=REPO)
    assert proc.returncode == 2 and "data.valid_size=12 leaves no training data" in proc.stderr
    assert "Traceback" not in proc.stderr

