"""Run guards the training loop wraps around every iteration: non-finite gradients and stop signals.

`NonFiniteGuard` hooks every optimiser of the algorithm (`Optimizer.register_step_pre_hook`), so it
works for any model without the model's code knowing: before each update it checks the global norm of
the gradients and, when it is not finite, drops them, which turns that `optimizer.step()` into a no-op
(optimisers skip parameters without a gradient; Adam's moments and step count stay untouched).
- `train.nonfinite=stop`: after the first bad update every further update of the iteration is dropped
  too (so the weights stay those of the last good update), the iteration runs to its end so that its
  losses can be reported, and the loop stops the run without writing a checkpoint.
- `train.nonfinite=skip`: only the bad updates are dropped; the loop logs how many.
- `train.nonfinite=off`: no check (saves one host-device sync per update).

`GracefulStop` turns the first SIGINT / SIGTERM into a request that the loop honours at the end of the
current iteration (a checkpoint, then exit); a second SIGINT aborts at once.
"""

from __future__ import annotations

import signal
import sys
import threading

import torch
from torch import nn

NONFINITE_MODES = ("stop", "skip", "off")


class NonFiniteGuard:
    def __init__(self, optimizers: dict[str, torch.optim.Optimizer], modules: dict[str, nn.Module],
                 mode: str) -> None:
        self.mode = mode
        self.names = {id(p): f"{m}.{k}" for m, module in modules.items() for k, p in module.named_parameters()}
        self.optimizers = optimizers
        self.handles = []
        self.begin()

    def begin(self) -> None:
        """Reset the counts at the start of an iteration."""
        self.bad_updates = 0
        self.updates = 0
        self.bad_params: list[str] = []
        self.bad_optimizers: list[str] = []

    @property
    def tripped(self) -> bool:
        return self.bad_updates > 0

    def __enter__(self) -> NonFiniteGuard:
        if self.mode != "off":
            for name, opt in self.optimizers.items():
                self.handles.append(opt.register_step_pre_hook(self._hook(name)))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def _hook(self, opt_name: str):
        def hook(optimizer: torch.optim.Optimizer, args, kwargs) -> None:
            params = [p for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
            if not params:
                return
            self.updates += 1
            if self.mode == "stop" and self.tripped:  # keep the weights of the last good update
                _drop_grads(params)
                return
            norm = torch.nn.utils.get_total_norm([p.grad for p in params])
            if bool(torch.isfinite(norm)):
                return
            self.bad_updates += 1
            if opt_name not in self.bad_optimizers:
                self.bad_optimizers.append(opt_name)
            for p in params:  # which tensors: only on this rare path
                if not bool(torch.isfinite(p.grad).all()):
                    name = self.names.get(id(p), f"{opt_name}[{len(self.bad_params)}]")
                    if name not in self.bad_params:
                        self.bad_params.append(name)
            _drop_grads(params)
        return hook

    def describe(self) -> str:
        """One phrase on what went wrong in this iteration."""
        shown = ", ".join(self.bad_params[:3]) + (", ..." if len(self.bad_params) > 3 else "")
        return (f"non-finite gradients in {self.bad_updates} of {self.updates} updates of "
                f"{', '.join(self.bad_optimizers)} ({shown}), not applied")


def _drop_grads(params: list[torch.Tensor]) -> None:
    for p in params:
        p.grad = None


class GracefulStop:
    """SIGINT / SIGTERM -> `requested` (honoured by the loop at the next safe point)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signum: int | None = None
        self._old: dict[int, object] = {}

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""

    def _handle(self, signum, frame) -> None:
        if self.signum is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now, without a checkpoint
        self.signum = signum
        print(f"received {signal.Signals(signum).name}: finishing the current iteration and saving a checkpoint "
              "(Ctrl-C again aborts without saving)", file=sys.stderr, flush=True)

    def __enter__(self) -> GracefulStop:
        if threading.current_thread() is threading.main_thread():  # handlers can only be set there
            for s in self.SIGNALS:
                self._old[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for s, old in self._old.items():
            signal.signal(s, old)
        self._old = {}


class TrainingInterrupted(Exception):
    """Raised by the loop after it saved a checkpoint on SIGINT / SIGTERM; exit code 128 + signal."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.exit_code = 128 + signum
