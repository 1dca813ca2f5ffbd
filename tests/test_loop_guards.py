"""The loop's guards on a toy algorithm (in-process, fast): non-finite gradients and losses stop the run
with the iteration's losses in the message and the last good checkpoint intact, or skip the update with
`train.nonfinite=skip`; a SIGINT is honoured at the end of the iteration with a checkpoint; the run then
resumes."""

from __future__ import annotations

import logging
import math
import os
import signal
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from textgan.checkpoint import latest_checkpoint, list_checkpoints, load_checkpoint
from textgan.data.vocab import IdVocab
from textgan.errors import UserError
from textgan.gans.base import Phase
from textgan.guards import TrainingInterrupted
from textgan.loop import TrainConfig, Trainer
from textgan.runs import RunDir


class Toy:
    """Two SGD updates of a linear model per epoch; `bad_grads` epochs get a NaN loss in their 2nd update,
    `bad_metric` epochs report a NaN metric with healthy gradients, `signal_at` epochs send a SIGINT."""

    def __init__(self, epochs=5, bad_grads=(), bad_metric=(), signal_at=()):
        torch.manual_seed(0)
        self.generator = nn.Linear(3, 1)
        self.opt = torch.optim.SGD(self.generator.parameters(), lr=0.1)
        self.epochs, self.bad_grads, self.bad_metric, self.signal_at = epochs, bad_grads, bad_metric, signal_at

    def modules(self):
        return {"generator": self.generator}

    def optimizers(self):
        return {"generator": self.opt}

    def phases(self):
        return [Phase("mle", self.epochs, self.epoch)]

    def epoch(self, i):
        total = 0.0
        for b in range(2):
            loss = self.generator(torch.randn(4, 3)).pow(2).mean()
            if i in self.bad_grads and b == 1:
                loss = loss * float("nan")
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            total += float(loss.detach())
        if i in self.signal_at:
            os.kill(os.getpid(), signal.SIGINT)
        return {"loss": float("nan") if i in self.bad_metric else total / 2}


class Evaluator:
    def evaluate(self, generator):
        return {"w": float(generator.weight.detach().sum())}, torch.zeros(1, 4, dtype=torch.long)

    def decode(self, samples):
        return ["x"] * len(samples)


def trainer(tmp_path, algo, nonfinite="stop"):
    cfg = SimpleNamespace(model="toy", train=TrainConfig(eval_every=1, keep_checkpoints=10, progress=False,
                                                         show_samples=0, save_samples=0, nonfinite=nonfinite))
    ctx = SimpleNamespace(cfg=cfg, data=SimpleNamespace(vocab=IdVocab(5), seq_len=4))
    run = RunDir(tmp_path / "run")
    run.create()
    return Trainer(ctx, algo, run, Evaluator())


def steps(tmp_path):
    return [p.name for p in list_checkpoints(tmp_path / "run" / "checkpoints")]


def test_nonfinite_gradient_stops_with_losses_and_keeps_last_checkpoint(tmp_path):
    algo = Toy(bad_grads={2})
    t = trainer(tmp_path, algo)
    with pytest.raises(UserError) as err:
        t.fit()
    msg = str(err.value)
    assert "non-finite values in mle epoch 3 (step 3): losses: loss nan" in msg
    assert "non-finite gradients in 1 of 2 updates of generator (generator.weight, generator.bias)" in msg
    assert "the last good checkpoint, step-00000002, is kept" in msg and "\n" not in msg
    assert steps(tmp_path)[-1] == "step-00000002"
    assert all(torch.isfinite(p).all() for p in algo.generator.parameters())  # the bad update was not applied
    # ... and the run resumes from the kept checkpoint once the cause is gone
    t2 = trainer(tmp_path, Toy())
    assert t2.restore() and t2.progress["step"] == 2
    t2.fit()
    assert steps(tmp_path)[-1] == "step-00000005"


def test_stop_suspends_the_rest_of_the_iteration(tmp_path):
    algo = Toy(bad_grads={0})
    before = {k: v.clone() for k, v in algo.generator.state_dict().items()}
    t = trainer(tmp_path, algo)
    algo.epoch = _bad_first_update(algo)
    with pytest.raises(UserError, match="1 of 2 updates"):
        t.fit()
    # the first update was bad, the second (healthy) one was suspended: the weights are the initial ones
    for k, v in algo.generator.state_dict().items():
        assert torch.equal(v, before[k])


def _bad_first_update(algo):
    def epoch(i):
        for b in range(2):
            loss = algo.generator(torch.randn(4, 3)).pow(2).mean() * (float("inf") if b == 0 else 1.0)
            algo.opt.zero_grad()
            loss.backward()
            algo.opt.step()
        return {"loss": 1.0}
    return epoch


def test_skip_drops_only_the_bad_updates(tmp_path, caplog):
    algo = Toy(bad_grads={1, 3})
    t = trainer(tmp_path, algo, nonfinite="skip")
    with caplog.at_level(logging.WARNING, logger="textgan.loop"):
        t.fit()
    assert steps(tmp_path)[-1] == "step-00000005"
    assert "mle epoch 2 (step 2)" in caplog.text and "train.nonfinite=skip" in caplog.text
    records = t.run.read_metrics()
    assert [r.get("skipped_updates", 0.0) for r in records] == [0.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    assert all(torch.isfinite(p).all() for p in algo.generator.parameters())
    _, state, _ = load_checkpoint(latest_checkpoint(tmp_path / "run" / "checkpoints"))
    assert state["progress"]["step"] == 5


def test_nonfinite_loss_with_finite_gradients_stops(tmp_path):
    t = trainer(tmp_path, Toy(bad_metric={1}))
    with pytest.raises(UserError, match=r"mle epoch 2 \(step 2\): losses: loss nan;"):
        t.fit()
    assert steps(tmp_path)[-1] == "step-00000001"


def test_sigint_saves_at_the_end_of_the_iteration(tmp_path):
    t = trainer(tmp_path, Toy(signal_at={1}))
    old = signal.getsignal(signal.SIGINT)
    with pytest.raises(TrainingInterrupted) as err:
        t.fit()
    assert signal.getsignal(signal.SIGINT) is old  # the loop's handler is gone again
    assert err.value.exit_code == 130 and "stopped by SIGINT after mle epoch 2" in str(err.value)
    assert steps(tmp_path)[-1] == "step-00000002"
    t2 = trainer(tmp_path, Toy())
    assert t2.restore() and t2.progress == {**t2.progress, "step": 2, "iteration": 2}
    final = t2.fit()
    assert final["step"] == 5 and math.isfinite(final["w"])
