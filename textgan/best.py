"""Best-checkpoint selection and early stopping on a held-out metric (the loop's model selection).

MLE overfits a 10,000-sentence corpus within a few epochs (its test NLL falls, then rises again), so a
fixed epoch budget compares an over- or under-fitted MLE with the GANs. With `train.best_metric` the loop
keeps, for each phase named in `train.best_phases` (default: the MLE phase, which every model with
generator pretraining names `mle`), the weights of the evaluation with the lowest value of that metric in
`<run>/best/`. `train.patience` ends such a phase after that many evaluations in a row without a new best,
and `train.restore_best` loads the phase's best weights back when the phase ends, so that the next phase
(a GAN's adversarial training) and the run's final checkpoint start from them.

The metric to select on is a *validation* NLL (`nll_valid`, from `data.valid_size` sentences held out of
the training set): selecting on `nll_test` would tune the model on the test set.

`BestTracker` holds the bookkeeping only (no I/O): which phase it is tracking, the best value and the step
it was reached at, and how many evaluations since. Its state travels in every checkpoint so that a
resumed run keeps counting where it stopped.
"""

from __future__ import annotations

import math
from typing import Any

from textgan.errors import UserError


class BestTracker:
    """Lowest-so-far of one evaluation metric within the selected phases; patience in evaluations."""

    def __init__(self, metric: str, phases: list[str], patience: int) -> None:
        self.metric = metric
        self.phases = set(phases)
        self.patience = patience
        self.phase_index: int | None = None  # the phase the fields below belong to
        self.value: float | None = None
        self.step: int | None = None
        self.stale = 0  # evaluations since the best one

    @property
    def enabled(self) -> bool:
        return bool(self.metric)

    def selects(self, phase_name: str) -> bool:
        return self.enabled and phase_name in self.phases

    def check_phases(self, names: list[str]) -> None:
        """Refuse a `train.best_phases` entry the model has no phase of (a typo would silently select nothing)."""
        unknown = sorted(self.phases - set(names)) if self.enabled else []
        if unknown:
            # the default [mle] is named too: a model without an MLE phase (the continuous GANs) must choose
            fix = (f"set train.best_phases to some of them (e.g. train.best_phases=[{names[-1]}]), which train."
                   "best_metric selects in" if names else "drop train.best_metric")
            raise UserError(f"train.best_phases names {', '.join(repr(u) for u in unknown)}, which this model has no "
                            f"phase of; its phases: {', '.join(names)}; {fix}")

    def check_available(self, record: dict[str, Any]) -> None:
        """Refuse a metric the evaluation does not report (called on the first evaluation, before training)."""
        if not self.enabled or not record or self.metric in record:
            return
        reported = sorted(k for k, v in record.items() if isinstance(v, float) and k not in ("elapsed_s", "eval_s"))
        hint = " (nll_valid needs a validation split: set data.valid_size=N)" if self.metric == "nll_valid" else ""
        raise UserError(f"train.best_metric={self.metric} is not reported by this run's evaluation{hint}; "
                        f"it reports: {', '.join(reported) or 'nothing'}")

    def start_phase(self, index: int) -> None:
        """Begin tracking phase `index` (a no-op when resuming inside it: the restored state is kept)."""
        if self.phase_index != index:
            self.phase_index, self.value, self.step, self.stale = index, None, None, 0

    def improves(self, record: dict[str, Any]) -> bool:
        """Whether an evaluation record beats the best so far (only the process that evaluates can tell)."""
        value = record.get(self.metric)
        if value is None or not math.isfinite(value):
            return False
        return self.value is None or value < self.value

    def record(self, improved: bool, value: float | None, step: int) -> None:
        """Count an evaluation; every process calls this with the same `improved`, so all agree on stopping."""
        if improved:
            self.value, self.step, self.stale = value, step, 0
        else:
            self.stale += 1

    @property
    def exhausted(self) -> bool:
        """Patience used up: the tracked phase should end now."""
        return self.patience > 0 and self.step is not None and self.stale >= self.patience

    def state(self) -> dict[str, Any]:
        return {"phase_index": self.phase_index, "value": self.value, "step": self.step, "stale": self.stale}

    def load_state(self, state: dict[str, Any]) -> None:
        self.phase_index, self.value = state["phase_index"], state["value"]
        self.step, self.stale = state["step"], int(state["stale"])
