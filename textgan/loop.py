"""The one training loop: phases in order, budgets, evaluation / checkpoint / log cadence, seeding, resume.

Every model runs through `Trainer.fit`: the algorithm supplies its phases (`textgan/gans/base.py`), the
loop runs them iteration by iteration, evaluates every `train.eval_every` iterations (and at the end of
each phase), appends one JSON line per evaluation to `metrics.jsonl`, writes a checkpoint with the RNG
states, optimiser states and progress, and on `--resume` continues from the newest intact checkpoint
with the same RNG stream, phase and iteration.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from textgan.checkpoint import (
    latest_checkpoint,
    load_checkpoint,
    load_weights_into,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from textgan.config import param
from textgan.errors import UserError

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    eval_every: int = param(5, min=1, help="evaluate (and checkpoint) every N epochs / rounds")
    keep_checkpoints: int = param(3, min=1)
    device: str = param("auto", choices=["auto", "cpu", "cuda"])
    threads: int = param(0, min=0, help="torch CPU threads (0 = torch's default)")
    progress: bool = param(True, help="tqdm progress bars")
    show_samples: int = param(3, min=0, help="decoded samples printed at each evaluation")
    save_samples: int = param(100, min=0, help="samples written to samples/ at each evaluation")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UserError("train.device=cuda but no CUDA device is available; use train.device=cpu")
    return torch.device(name)


def _fmt(metrics: dict[str, float]) -> str:
    return " ".join(f"{k} {v:.4f}" for k, v in metrics.items())


class Trainer:
    def __init__(self, ctx, algorithm, run_dir, evaluator) -> None:
        self.ctx = ctx
        self.cfg = ctx.cfg.train
        self.algo = algorithm
        self.run = run_dir
        self.evaluator = evaluator
        self.progress = {"phase": 0, "iteration": 0, "step": 0, "elapsed": 0.0}

    # -- checkpoints ---------------------------------------------------------------------------

    def _meta(self, phase_name: str) -> dict[str, Any]:
        data = self.ctx.data
        return {"model": self.ctx.cfg.model, "phase": phase_name, "vocab_size": data.vocab.size,
                "seq_len": data.seq_len, "iteration": self.progress["iteration"]}

    def save(self, phase_name: str) -> None:
        state = {"progress": dict(self.progress), "rng": rng_state(),
                 "optimizers": {k: o.state_dict() for k, o in self.algo.optimizers().items()}}
        extra = getattr(self.algo, "extra_state", None)
        if extra is not None:
            state["algorithm"] = extra()
        save_checkpoint(self.run.checkpoints, self.progress["step"], self.algo.modules(), state,
                        self._meta(phase_name), keep=self.cfg.keep_checkpoints)

    def restore(self) -> bool:
        """Load the newest intact checkpoint; False when the run has none."""
        path = latest_checkpoint(self.run.checkpoints)
        if path is None:
            return False
        weights, state, meta = load_checkpoint(path)
        if meta.get("model") != self.ctx.cfg.model:
            raise UserError(f"checkpoint '{path}' belongs to model '{meta.get('model')}', not "
                            f"'{self.ctx.cfg.model}'")
        if meta.get("vocab_size") != self.ctx.data.vocab.size:
            raise UserError(f"checkpoint '{path}' has vocabulary size {meta.get('vocab_size')}, the data "
                            f"gives {self.ctx.data.vocab.size}; resume with the same data")
        load_weights_into(self.algo.modules(), weights, path)
        for name, opt in self.algo.optimizers().items():
            opt.load_state_dict(state["optimizers"][name])
        if "algorithm" in state:
            self.algo.load_extra_state(state["algorithm"])
        set_rng_state(state["rng"])
        self.progress = dict(state["progress"])
        log.info("resumed from %s", path)
        return True

    # -- evaluation ----------------------------------------------------------------------------

    def evaluate(self, phase: str, iteration: int, train_metrics: dict[str, float]) -> dict[str, Any]:
        t0 = time.perf_counter()
        metrics, samples = self.evaluator.evaluate(self.algo.generator)
        record = {"phase": phase, "iteration": iteration, "step": self.progress["step"],
                  "elapsed_s": round(self.progress["elapsed"], 3), **train_metrics, **metrics,
                  "eval_s": round(time.perf_counter() - t0, 3)}
        self.run.log_metrics(record)
        lines = self.evaluator.decode(samples[: max(self.cfg.show_samples, self.cfg.save_samples)])
        if self.cfg.save_samples:
            self.run.write_samples(f"step-{self.progress['step']:06d}", lines[: self.cfg.save_samples])
        msg = f"[{phase} {iteration}] {_fmt(train_metrics)}{' | ' if train_metrics else ''}{_fmt(metrics)}"
        tqdm.write(msg)
        for line in lines[: self.cfg.show_samples]:
            tqdm.write(f"    {line}")
        return record

    # -- the loop ------------------------------------------------------------------------------

    def fit(self) -> dict[str, Any]:
        phases = self.algo.phases()
        last: dict[str, Any] = {}
        if self.progress["step"] == 0 and self.progress["phase"] == 0 and self.progress["iteration"] == 0:
            name = phases[0].name if phases else "init"
            last = self.evaluate(name, 0, {})
        for index in range(self.progress["phase"], len(phases)):
            phase = phases[index]
            start = self.progress["iteration"] if index == self.progress["phase"] else 0
            self.progress.update(phase=index, iteration=start)
            every = phase.eval_every or self.cfg.eval_every
            bar = tqdm(range(start, phase.iterations), initial=start, total=phase.iterations,
                       desc=f"{phase.name} ({phase.unit}s)", disable=not self.cfg.progress, leave=False,
                       dynamic_ncols=True)
            for i in bar:
                t0 = time.perf_counter()
                train_metrics = phase.run(i)
                self._check_finite(phase.name, i, train_metrics)
                self.progress["elapsed"] += time.perf_counter() - t0
                self.progress["iteration"] = i + 1
                self.progress["step"] += 1
                bar.set_postfix({k: f"{v:.3f}" for k, v in train_metrics.items()})
                if (i + 1) % every == 0 or i + 1 == phase.iterations:
                    last = self.evaluate(phase.name, i + 1, train_metrics)
                    self.save(phase.name)
            bar.close()
            self.progress.update(phase=index + 1, iteration=0)
        if self.progress["step"] == 0:  # nothing to train (all budgets 0): still leave a checkpoint
            self.save("init")
        return last

    @staticmethod
    def _check_finite(phase: str, iteration: int, metrics: dict[str, float]) -> None:
        bad = {k: v for k, v in metrics.items() if not np.isfinite(v)}
        if bad:
            raise UserError(f"non-finite training loss in {phase} iteration {iteration + 1} ({_fmt(metrics)}); "
                            "the last good checkpoint is kept — lower the learning rate and --resume")
