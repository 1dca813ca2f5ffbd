"""The model registry: name -> `ModelSpec` (algorithm class, its config sections, paper).

The training CLI, the tests and the benchmarks all iterate over `MODELS`; adding a model is one
`register(ModelSpec(...))` call in the model's own file plus its import in `_load_builtin_models`.
`make_config(spec)` builds the run's config tree: the shared sections (data, generator, train, eval)
plus the sections the model declares (e.g. `mle`, `discriminator`, `adversarial`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from textgan.config import param, section
from textgan.data.sources import DataConfig
from textgan.errors import UserError
from textgan.evaluation import EvalConfig
from textgan.loop import TrainConfig
from textgan.nn import GeneratorConfig


@dataclass(frozen=True)
class ModelSpec:
    name: str
    algorithm: type                                   # built as algorithm(TrainContext)
    sections: dict[str, type] = field(default_factory=dict)
    description: str = ""
    paper: str = ""
    data_kinds: tuple[str, ...] = ("oracle", "text")  # which data sources it trains on


MODELS: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    MODELS[spec.name] = spec
    return spec


def _load_builtin_models() -> None:
    # Importing a model's module registers it.
    from textgan.gans import maligan_spec, mle_spec, seqgan_spec  # noqa: F401


def get_model(name: str) -> ModelSpec:
    _load_builtin_models()
    if name not in MODELS:
        raise UserError(f"unknown model '{name}'; available: {', '.join(sorted(MODELS))} "
                        "(python -m textgan.train --list)")
    return MODELS[name]


def all_models() -> dict[str, ModelSpec]:
    _load_builtin_models()
    return dict(sorted(MODELS.items()))


def make_config(spec: ModelSpec) -> Any:
    """A fresh config tree of defaults for `spec`."""
    fields: list[tuple[str, Any, Any]] = [
        ("model", str, param(spec.name, choices=[spec.name], help="set with --model")),
        ("seed", int, param(0, help="seed of python, numpy and torch")),
        ("data", DataConfig, section(DataConfig)),
        ("generator", GeneratorConfig, section(GeneratorConfig)),
        ("train", TrainConfig, section(TrainConfig)),
        ("eval", EvalConfig, section(EvalConfig)),
    ]
    fields += [(name, cls, section(cls)) for name, cls in spec.sections.items()]
    cls = dataclasses.make_dataclass(f"{spec.name.title().replace('_', '')}RunConfig", fields)
    return cls()
