"""The algorithm interface the shared training loop calls, and the context every algorithm is built from.

An algorithm (MLE, SeqGAN, RelGAN, ...) owns its networks and optimisers and describes its training as
an ordered list of `Phase`s (e.g. MLE pretraining, discriminator pretraining, adversarial rounds). Each
phase runs one *iteration* (an epoch or a round) per call and returns what it measured as
`dict[str, float]`. The loop (`textgan/loop.py`) handles order, budgets, evaluation, checkpoints and
resume, and never asks which model it is running: a model that needs something different does it in
its own phase functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from torch import nn

from textgan.data.sources import DataBundle
from textgan.distributed import Distributed


def mean_metrics(records: list[dict[str, float]]) -> dict[str, float]:
    """Average several steps' measurements key by key (keys of the first record); {} for no records."""
    return {k: sum(r[k] for r in records) / len(records) for k in records[0]} if records else {}


@dataclass
class Phase:
    name: str                               # e.g. "mle", "pretrain_d", "adversarial"
    iterations: int                         # budget in units
    run: Callable[[int], dict[str, float]]  # run iteration i of the phase -> measurements
    unit: str = "epoch"                     # what one iteration is called in logs ("epoch", "round")
    eval_every: int | None = None           # None: the loop's train.eval_every
    budget_key: str = ""                    # the config key that sets `iterations`, named in messages


@dataclass
class TrainContext:
    """What an algorithm is built from: the resolved config, the data, the device, and the process group.

    `ddp(module)` is how an algorithm opts into gradient averaging under torchrun: run the *training*
    forward passes (those followed by backward) through the returned wrapper, everything else (sampling,
    scoring) through the module itself. In a single process it returns the module unchanged.
    """

    cfg: Any
    data: DataBundle
    device: torch.device
    dist: Distributed = field(default_factory=Distributed)

    def ddp(self, module: nn.Module) -> nn.Module:
        return self.dist.wrap(module)


class Algorithm(Protocol):
    generator: nn.Module

    def modules(self) -> dict[str, nn.Module]:
        """Every network whose weights belong in a checkpoint, by name."""

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Every optimiser whose state belongs in a checkpoint, by name."""

    def phases(self) -> list[Phase]:
        """The training schedule, in order."""

    # Optional: `evaluation_metrics(self) -> dict[str, float]`, measures of the algorithm's own added to
    # every evaluation record (rank 0 only; e.g. MaskMLE's in-filling NLL). The loop looks it up with getattr.
