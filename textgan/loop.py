"""The one training loop: phases in order, budgets, evaluation / checkpoint / log cadence, seeding, resume.

Every model runs through `Trainer.fit`: the algorithm supplies its phases (`textgan/gans/base.py`), the
loop runs them iteration by iteration, evaluates every `train.eval_every` iterations (and at the end of
each phase), appends one JSON line per evaluation to `metrics.jsonl`, writes a checkpoint with the RNG
states, optimiser states and progress, and on `--resume` continues from the newest intact checkpoint
with the same RNG stream, phase and iteration.

Reliability (docs/reliability.md): a checkpoint is written at step 0, so a run killed at any moment after
it can be resumed (one killed before it, while loading data or building the model, is started again);
SIGINT / SIGTERM stop the run at the end of the current iteration after a checkpoint;
non-finite gradients or losses stop the run (or skip the update, `train.nonfinite=skip`) without
touching the last good checkpoint. Under torchrun, rank 0 evaluates, logs and writes checkpoints
(holding every rank's RNG state), and all ranks agree on when to stop.

Model selection (docs/model_selection.md, `textgan/best.py`): with `train.best_metric` the best
evaluation of the MLE phase is kept in `<run>/best/`, `train.patience` ends that phase early and
`train.restore_best` hands its best weights to the next phase.
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from textgan.best import BestTracker
from textgan.checkpoint import (
    latest_checkpoint,
    latest_name,
    load_checkpoint,
    load_weights_into,
    remove_newer_than,
    remove_temporary,
    rng_state,
    save_checkpoint,
    set_rng_state,
    vocab_fingerprint,
)
from textgan.config import param
from textgan.distributed import Distributed, GradientAverager, weights_digest
from textgan.errors import UserError
from textgan.guards import NONFINITE_MODES, GracefulStop, NonFiniteGuard, TrainingInterrupted

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    eval_every: int = param(5, min=1, help="evaluate (and checkpoint) every N epochs / rounds")
    keep_checkpoints: int = param(3, min=1, help="newest checkpoints kept in <run>/checkpoints/ (older ones are "
                                                 "deleted once a newer one is safely written)")
    device: str = param("auto", choices=["auto", "cpu", "cuda"], help="auto = cuda when available, else cpu")
    dist_timeout_s: int = param(7200, min=60, help="torchrun runs: how long the other processes wait for rank 0 "
                                                    "(its evaluations, checkpoint writes) before a collective "
                                                    "counts as hung (torch's default: 10 min NCCL, 30 min gloo)")
    threads: int = param(0, min=0, help="torch CPU threads (0 = torch's default)")
    progress: bool = param(True, help="tqdm progress bars (drawn on a terminal only: a redirected log gets no bar)")
    show_samples: int = param(3, min=0, help="decoded samples printed at each evaluation")
    save_samples: int = param(100, min=0, help="samples written to samples/ at each evaluation")
    nonfinite: str = param("stop", choices=NONFINITE_MODES,
                           help="on a non-finite gradient or loss: stop (no checkpoint; the last good one is "
                                "kept), skip (drop that update and go on), off (no gradient check)")
    # model selection on a held-out metric (textgan/best.py)
    best_metric: str = param("", help="an evaluation metric to minimise, e.g. nll_valid (with data.valid_size): "
                                      "the best evaluation of each phase in train.best_phases is kept in "
                                      "<run>/best/ ('' = off)")
    best_phases: list[str] = param(["mle"], help="phases whose best evaluation is kept (default: MLE training "
                                                 "and every GAN's MLE pretraining)")
    patience: int = param(0, min=0, help="end a phase of train.best_phases after N evaluations in a row without "
                                         "a new best of train.best_metric (0 = run the whole budget)")
    restore_best: bool = param(False, help="when a phase of train.best_phases ends, load its best weights back, "
                                           "so the next phase and the final checkpoint start from them")


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
        self.dist: Distributed = getattr(ctx, "dist", None) or Distributed()
        self.progress = {"phase": 0, "iteration": 0, "step": 0, "elapsed": 0.0}
        self.restored = False
        if (self.cfg.patience or self.cfg.restore_best) and not self.cfg.best_metric:
            raise UserError("train.patience and train.restore_best need train.best_metric (e.g. "
                            "train.best_metric=nll_valid with data.valid_size=1000)")
        self.best = BestTracker(self.cfg.best_metric, self.cfg.best_phases, self.cfg.patience)

    # -- checkpoints ---------------------------------------------------------------------------

    def _meta(self, phase_name: str) -> dict[str, Any]:
        data = self.ctx.data
        meta = {"model": self.ctx.cfg.model, "phase": phase_name, "vocab_size": data.vocab.size,
                "vocab": vocab_fingerprint(data.vocab), "seq_len": data.seq_len,
                "iteration": self.progress["iteration"], "world_size": self.dist.world_size}
        if getattr(data, "labels", None) is not None and hasattr(self.algo.generator, "bind"):
            meta["labels"] = list(data.labels.names)  # a class-conditional generator: sample by label
        return meta

    @property
    def best_root(self):
        return self.run.path / "best"

    def save(self, phase_name: str, best: bool = False) -> None:
        """Write a checkpoint (rank 0; under torchrun every rank calls this: it gathers their state).

        `best`: write it as the run's best checkpoint in `<run>/best/` instead (the newest two are kept: the older
        one is the best again when a resume discards a newer one written by the training it repeats).
        """
        rng = rng_state()
        ranks_rng = self.dist.gather(rng) if self.dist.enabled else None
        digests = self.dist.gather(weights_digest(self.algo.modules())) if self.dist.enabled else None
        if self.dist.is_main:
            state = {"progress": dict(self.progress), "rng": rng,
                     "optimizers": {k: o.state_dict() for k, o in self.algo.optimizers().items()}}
            if ranks_rng is not None:
                state["rng_ranks"] = ranks_rng  # each rank resumes its own streams
            extra = getattr(self.algo, "extra_state", None)
            if extra is not None:
                state["algorithm"] = extra()
            if self.best.enabled:
                state["best"] = self.best.state()
            meta = self._meta(phase_name)
            if digests is not None:
                meta["rank_weights_sha256"] = digests
                if len(set(digests)) > 1:
                    log.warning("ranks hold different weights at step %d: this model does not average its "
                                "gradients across processes (docs/reliability.md); rank 0's are saved",
                                self.progress["step"])
            if best:
                meta["best"] = {"metric": self.best.metric, "value": self.best.value}
            save_checkpoint(self.best_root if best else self.run.checkpoints, self.progress["step"],
                            self.algo.modules(), state, meta, keep=2 if best else self.cfg.keep_checkpoints)
            if not best:
                self.run.drop_replaced()  # the run --overwrite replaced is deleted once this one has a checkpoint
        self.dist.barrier()

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
        fingerprint = vocab_fingerprint(self.ctx.data.vocab)
        if meta.get("vocab", fingerprint) != fingerprint:  # checkpoints older than the fingerprint lack it
            raise UserError(f"checkpoint '{path}' was trained with a different vocabulary than the run's "
                            "tokenizer.json / vocab.json (same size, other words); restore the run's own "
                            "vocabulary file or start a new run")
        self._check_budget_covers(state["progress"], path)
        self._load_training_state(weights, state, path)
        if "best" in state and self.best.enabled:
            self.best.load_state(state["best"])
        self._restore_rng(state, meta)
        self.progress = dict(state["progress"])
        self.restored = True
        if self.dist.is_main:
            remove_temporary(self.run.checkpoints)
            remove_temporary(self.best_root)
            remove_newer_than(self.best_root, self.progress["step"])  # a best from training the resume repeats
            # Evaluations logged after this checkpoint (a run killed between evaluating and saving) are
            # run again; drop them so that metrics.jsonl reads like an uninterrupted run's.
            self.run.truncate_metrics(self.progress["step"])
            if self.progress["iteration"] != 0:  # saved inside a phase: a restore at its step came later
                self.run.drop_last_metrics_if(lambda r: "restored_from_step" in r
                                              and r.get("step") == self.progress["step"])
        self.dist.barrier()
        log.info("resumed from %s", path)
        return True

    def schedule_left(self) -> bool:
        """Whether any iteration of the schedule remains after the restored progress (train.patience aside:
        a phase it ended early still counts as left here)."""
        index, done = self.progress["phase"], self.progress["iteration"]
        return any(phase.iterations > (done if i == index else 0)
                   for i, phase in enumerate(self.algo.phases()) if i >= index)

    def _check_budget_covers(self, progress: dict[str, Any], path) -> None:
        """Refuse a resume whose budget overrides do not fit what the checkpoint already trained: the current
        phase's budget below its place in it, or a finished phase's budget changed. The run would save a
        config.yaml whose schedule its weights did not follow."""
        phases = self.algo.phases()
        index, done = progress["phase"], progress["iteration"]
        sittings = [s for s in self.run.read_run_info() if "phases" in s]  # runs older than the record: no check
        recorded = sittings[-1]["phases"] if sittings else []
        for before, phase in zip(recorded[:index], phases[:index]):
            if before["name"] == phase.name and before["iterations"] != phase.iterations:
                raise UserError(f"phase '{phase.name}' is finished in checkpoint '{path}' ({before['iterations']} "
                                f"{phase.unit}s); its budget cannot change on resume (now {phase.iterations}); "
                                "drop that override")
        if index < len(phases) and done > phases[index].iterations:
            phase = phases[index]
            raise UserError(f"checkpoint '{path}' is at {phase.unit} {done} of phase '{phase.name}', past the "
                            f"{phase.iterations} the config now asks for; resume with that phase's budget at "
                            f"{done} or more")

    def _load_training_state(self, weights, state: dict[str, Any], path) -> None:
        """The networks' weights, optimiser states and the algorithm's own state of a loaded checkpoint (not
        its RNG streams or progress: those belong to a resume only)."""
        load_weights_into(self.algo.modules(), weights, path)
        for name, opt in self.algo.optimizers().items():
            opt.load_state_dict(state["optimizers"][name])
        if "algorithm" in state:
            self.algo.load_extra_state(state["algorithm"])

    def _restore_rng(self, state: dict[str, Any], meta: dict[str, Any]) -> None:
        saved_world = int(meta.get("world_size", 1))
        if saved_world != self.dist.world_size:
            log.warning("the checkpoint was written by %d process(es), resuming with %d: data shards and RNG "
                        "streams differ, so the run continues correctly but not bit for bit as it would have",
                        saved_world, self.dist.world_size)
        ranks = state.get("rng_ranks")
        if self.dist.enabled and ranks is not None and len(ranks) == self.dist.world_size:
            set_rng_state(ranks[self.dist.rank])
        else:
            set_rng_state(state["rng"])

    # -- evaluation ----------------------------------------------------------------------------

    def evaluate(self, phase: str, iteration: int, train_metrics: dict[str, float]) -> dict[str, Any]:
        if not self.dist.is_main:  # the weights are identical on every rank; rank 0 speaks for all
            return {}
        t0 = time.perf_counter()
        metrics, samples = self.evaluator.evaluate(self.algo.generator)
        extra = getattr(self.algo, "evaluation_metrics", None)  # an algorithm's own measures (e.g. in-filling)
        if extra is not None:
            metrics.update(extra())
        record = {"phase": phase, "iteration": iteration, "step": self.progress["step"],
                  "elapsed_s": round(self.progress["elapsed"], 3), **train_metrics, **metrics,
                  "eval_s": round(time.perf_counter() - t0, 3)}
        self.run.log_metrics(record)
        lines = self.evaluator.decode(samples[: max(self.cfg.show_samples, self.cfg.save_samples)])
        if self.cfg.save_samples:
            self.run.write_samples(f"step-{self.progress['step']:06d}", lines[: self.cfg.save_samples])
        write_images = getattr(self.evaluator, "write_images", None)  # evaluators of continuous data: a PNG
        if write_images is not None:
            write_images(samples, self.run.samples / f"step-{self.progress['step']:06d}.png")
        msg = f"[{phase} {iteration}] {_fmt(train_metrics)}{' | ' if train_metrics else ''}{_fmt(metrics)}"
        tqdm.write(msg)
        for line in lines[: self.cfg.show_samples]:
            tqdm.write(f"    {line}")
        return record

    # -- the loop ------------------------------------------------------------------------------

    def fit(self) -> dict[str, Any]:
        phases = self.algo.phases()
        self.best.check_phases([p.name for p in phases])
        last: dict[str, Any] = {}
        guard = NonFiniteGuard(self.algo.optimizers(), self.algo.modules(), self.cfg.nonfinite)
        # the averager's hooks go first, so the guard judges the averaged gradients (the same on all ranks)
        with GracefulStop() as stop, GradientAverager(self.dist, self.algo.optimizers()), guard:
            if not self.restored:
                name = phases[0].name if phases else "init"
                last = self.evaluate(name, 0, {})
                self.best.check_available(last)
                self.save(name)  # step 0: a run killed before its first evaluation can still be resumed
            for index in range(self.progress["phase"], len(phases)):
                phase = phases[index]
                start = self.progress["iteration"] if index == self.progress["phase"] else 0
                self.progress.update(phase=index, iteration=start)
                selects = self.best.selects(phase.name)
                if selects:
                    self.best.start_phase(index)
                every = phase.eval_every or self.cfg.eval_every
                bar = tqdm(range(start, phase.iterations), initial=start, total=phase.iterations,
                           desc=f"{phase.name} ({phase.unit}s)",
                           # None: tqdm draws only on a terminal (a redirected log gets the evaluation lines alone)
                           disable=None if self.cfg.progress and self.dist.is_main else True,
                           leave=False, dynamic_ncols=True)
                for i in bar:
                    if selects and self.best.exhausted:
                        if self.dist.is_main:
                            tqdm.write(f"[{phase.name}] no new best {self.best.metric} in {self.best.patience} "
                                       f"evaluations (train.patience): ending the phase after {phase.unit} {i}")
                        break
                    t0 = time.perf_counter()
                    guard.begin()
                    train_metrics = self._check_finite(phase, i, phase.run(i), guard)
                    self.progress["elapsed"] += time.perf_counter() - t0
                    self.progress["iteration"] = i + 1
                    self.progress["step"] += 1
                    bar.set_postfix({k: f"{v:.3f}" for k, v in train_metrics.items()})
                    due = (i + 1) % every == 0 or i + 1 == phase.iterations
                    finished = index == len(phases) - 1 and i + 1 == phase.iterations
                    stopping = self.dist.any(stop.requested) and not finished  # every rank stops at the same step
                    if due:
                        last = self.evaluate(phase.name, i + 1, train_metrics)
                        if selects:
                            self._observe_best(phase.name, last)
                    if due or stopping:
                        self.save(phase.name)
                    if stopping:
                        bar.close()
                        raise TrainingInterrupted(
                            f"stopped by {stop.name or 'a signal to another rank'} after {phase.name} {phase.unit} "
                            f"{i + 1}; checkpoint step-{self.progress['step']:08d} saved — continue with: "
                            f"python -m textgan.train --resume --run-dir {self.run.path}", stop.signum or 15)
                bar.close()
                if selects and self.cfg.restore_best:
                    last = self._restore_best(phase.name, index, last)
                self.progress.update(phase=index + 1, iteration=0)
        return last

    # -- model selection (textgan/best.py) ------------------------------------------------------

    def _observe_best(self, phase_name: str, record: dict[str, Any]) -> None:
        """Count an evaluation of a selected phase; a new best is written to `<run>/best/`."""
        improved = self.dist.any(self.dist.is_main and self.best.improves(record))  # rank 0 evaluated
        self.best.record(improved, record.get(self.best.metric), self.progress["step"])
        if improved:
            self.save(phase_name, best=True)

    def _restore_best(self, phase_name: str, index: int, last: dict[str, Any]) -> dict[str, Any]:
        """At the end of a selected phase, load its best weights and optimiser states back and checkpoint
        them as the run's current state (the next phase starts from them; the progress moves past the phase,
        so a resume does not load them twice)."""
        if self.best.step is None or self.best.step == self.progress["step"]:
            return last  # the phase's last evaluation was its best: the weights are already those
        self.dist.barrier()
        path = latest_checkpoint(self.best_root)
        weights, state, meta = load_checkpoint(path) if path else (None, None, {})
        if meta.get("step") != self.best.step:
            raise UserError(f"train.restore_best: the best checkpoint of {phase_name} (step {self.best.step}) is "
                            f"missing from '{self.best_root}'; rerun without train.restore_best, or start a new run")
        self._load_training_state(weights, state, path)
        self.progress.update(phase=index + 1, iteration=0)
        record = last
        if self.dist.is_main:
            # logged before the save: a run killed between the two resumes from the checkpoint before the
            # restore, whose `restore` drops this record (the restore runs again and logs it again)
            best = next((r for r in self.run.read_metrics() if r.get("step") == self.best.step), {})
            record = {**best, "phase": phase_name, "step": self.progress["step"],
                      "restored_from_step": self.best.step}
            self.run.log_metrics(record)
        self.save(phase_name)
        if self.dist.is_main:
            tqdm.write(f"[{phase_name}] restored the weights of step {self.best.step} ({self.best.metric} "
                       f"{self.best.value:.4f}, the phase's best; train.restore_best)")
        return record

    def _check_finite(self, phase, iteration: int, metrics: dict[str, float], guard: NonFiniteGuard
                      ) -> dict[str, float]:
        """Stop (or, with train.nonfinite=skip, warn) when an iteration's losses or gradients were not finite."""
        bad = [k for k, v in metrics.items() if not math.isfinite(v)]
        if not self.dist.any(bool(bad) or guard.tripped):
            return metrics
        where = f"{phase.name} {phase.unit} {iteration + 1} (step {self.progress['step'] + 1})"
        what = f"losses: {_fmt(metrics) or 'none reported'}" + (f"; {guard.describe()}" if guard.tripped else "")
        if self.cfg.nonfinite == "skip":
            log.warning("%s: %s; going on (train.nonfinite=skip)", where, what)
            return {**metrics, "skipped_updates": float(guard.bad_updates)} if guard.tripped else metrics
        kept = latest_name(self.run.checkpoints)
        raise UserError(f"non-finite values in {where}: {what}; stopped without saving (the last good checkpoint, "
                        f"{kept}, is kept) — lower the learning rate or set train.nonfinite=skip, then --resume")
