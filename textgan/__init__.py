"""textgan: adversarial text generation in PyTorch, with exact and fast evaluation.

Entry points: `python -m textgan.train`, `python -m textgan.sample`, `python -m textgan.evaluate`,
`python -m textgan.data`. The library API is exported here (README.md's "Python API" section shows it
together): `train_model`, `load_run`, `load_data`, `bleu`, `self_bleu`, `sequence_nll`,
`evaluate_generator`, `all_models`, `get_model`, and the exceptions `UserError` / `TrainingInterrupted`.
Each also lives in its own module (`textgan.train`, `textgan.runs`, `textgan.data.sources`,
`textgan.metrics`, `textgan.metrics.nll`, `textgan.metrics.sweep`, `textgan.registry`, `textgan.errors`,
`textgan.guards`). Sampling is `textgan.sampling.sample`: the name `textgan.sample` is the sampling CLI's
module, and importing that module rebinds the package attribute, so a function of that name here would
silently turn into a module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> the module that defines it. Imported on first use, so `import textgan` (and the CLIs that import
# a submodule) does not pay for torch, tokenizers and the metrics until something asks for them.
_EXPORTS = {
    "train_model": "textgan.train",
    "load_run": "textgan.runs",
    "load_data": "textgan.data.sources",
    "bleu": "textgan.metrics",
    "self_bleu": "textgan.metrics",
    "sequence_nll": "textgan.metrics.nll",
    "evaluate_generator": "textgan.metrics.sweep",
    "all_models": "textgan.registry",
    "get_model": "textgan.registry",
    "UserError": "textgan.errors",
    "TrainingInterrupted": "textgan.guards",
}

__all__ = ["__version__", "train_model", "load_run", "load_data", "bleu", "self_bleu", "sequence_nll",
           "evaluate_generator", "all_models", "get_model", "UserError", "TrainingInterrupted"]

if TYPE_CHECKING:  # the same names, for type checkers and IDEs
    from textgan.data.sources import load_data
    from textgan.errors import UserError
    from textgan.guards import TrainingInterrupted
    from textgan.metrics import bleu, self_bleu
    from textgan.metrics.nll import sequence_nll
    from textgan.metrics.sweep import evaluate_generator
    from textgan.registry import all_models, get_model
    from textgan.runs import load_run
    from textgan.train import train_model


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'textgan' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    """The API and the submodules imported so far: not this file's own helpers (importlib, Any, ...)."""
    submodules = {name for name, value in globals().items() if getattr(value, "__name__", None) == f"textgan.{name}"}
    return sorted(set(__all__) | submodules)
