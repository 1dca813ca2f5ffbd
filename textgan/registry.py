"""The model registry: name -> `ModelSpec` (algorithm class, its config sections, paper).

The training CLI, the tests and the benchmarks all iterate over `MODELS`; adding a model is one
`register(ModelSpec(...))` call in a module named `*_spec.py` inside one of `SPEC_PACKAGES`: those
modules are found and imported on first use, so no central list needs editing.
`make_config(spec)` builds the run's config tree: the shared sections (data, generator, train, eval)
plus the sections the model declares (e.g. `mle`, `discriminator`, `adversarial`). A model that never reads
some keys of the shared sections, or of a section class it shares with other models (`conditional`), declares
them (`ModelSpec.unread_keys`): `--show-config` leaves them out and `check_keys_read` refuses a run that sets one.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from textgan.config import SEED_MAX, flatten, param, section, set_value, within
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
    needs_labels: bool = False                        # trains on labelled text only (the conditional models)
    # dotted key -> the model's default for a key of a shared section, e.g. {"generator.kind": ...}
    defaults: dict[str, Any] = field(default_factory=dict)
    # dotted keys that pick a variant of the algorithm (e.g. "maligan.reward"): result tables name a run
    # set to a non-default value after it, so variants get rows of their own
    variant_keys: tuple[str, ...] = ()
    # keys of the shared sections (data, generator, train, eval) the model never reads -> why, in a few words
    # ("" for nothing to add). An entry is a dotted key ("data.max_len") or a section, covering every key in it
    # ("generator", "data.oracle"). A key of one of the model's own sections may be named too, where that
    # section's class is shared with models that read more of it (cgan_mle has no discriminator, yet its
    # `conditional` section is cseqgan's, with conditional.discriminator); a section class of the model's own
    # holds only what it reads. `--show-config` leaves them out, and a run that sets one (key=value,
    # --config, train_model's overrides) is refused with a one-line error (`check_keys_read`): without this a
    # value given there would do nothing, silently. Only what the user sets is checked: a run's saved config
    # (--resume) holds every key at its default. The shared code reads this declaration, never the model's name.
    unread_keys: dict[str, str] = field(default_factory=dict)
    # dotted key -> (the key that decides whether it is read, the values for which it is): e.g. the cgan
    # discriminator's sizes, read only with conditional.discriminator=cgan. A new run that sets such a key away from
    # its default while the deciding key has another value is refused (`check_keys_in_use`): it would do nothing.
    read_only_when: dict[str, tuple[str, tuple[Any, ...]]] = field(default_factory=dict)
    # the model's own rule on which keys a new run may set for its data (e.g. the continuous GANs' nets.* keys,
    # read by one kind of network only); raises ConfigError. Not applied on resume: a saved run is not refused
    # what it was started with.
    check_settings: Callable[[Any], None] | None = None
    # dotted key of a shared section -> the help `--show-config` prints for this model instead of the shared
    # one, where the shared help speaks of text (e.g. the continuous GANs' data.name lists their data sets)
    key_help: dict[str, str] = field(default_factory=dict)
    # the model's own rule across keys (e.g. which generator kinds it can train), run on the resolved config
    # before any data is loaded, so `--show-config` and training refuse a combination alike and a run fails in
    # seconds rather than after its corpus is built; raises ConfigError. The algorithm may check again when it
    # is built from Python (a saved run, a test).
    check_config: Callable[[Any], None] | None = None


SHARED_SECTIONS = ("data", "generator", "train", "eval")  # the sections every model's config has

MODELS: dict[str, ModelSpec] = {}
_UNSET = object()  # a key given without a value to compare


def register(spec: ModelSpec) -> ModelSpec:
    MODELS[spec.name] = spec
    return spec


# Packages whose `*_spec` modules register models (importing a spec module registers it).
SPEC_PACKAGES = ("textgan.gans", "textgan.image")
_loaded = False


def _load_builtin_models() -> None:
    global _loaded
    if _loaded:
        return
    for package_name in SPEC_PACKAGES:
        try:
            package = importlib.import_module(package_name)
        except ModuleNotFoundError as exc:
            if exc.name != package_name:  # a broken import inside the package is a bug, not absence
                raise
            continue
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            if info.name.endswith("_spec"):
                importlib.import_module(f"{package_name}.{info.name}")
    _loaded = True


def get_model(name: str) -> ModelSpec:
    """The registered model `name` (its config sections, algorithm and data kinds); a UserError listing the
    registered names when there is none."""
    _load_builtin_models()
    if name not in MODELS:
        raise UserError(f"unknown model '{name}'; available: {', '.join(sorted(MODELS))} "
                        "(python -m textgan.train --list)")
    return MODELS[name]


def all_models() -> dict[str, ModelSpec]:
    """Every registered model by name, sorted (what `python -m textgan.train --list` prints)."""
    _load_builtin_models()
    return dict(sorted(MODELS.items()))


def make_config(spec: ModelSpec) -> Any:
    """A fresh config tree of defaults for `spec`."""
    fields: list[tuple[str, Any, Any]] = [
        ("model", str, param(spec.name, choices=[spec.name], help="set with --model")),
        ("seed", int, param(0, min=0, max=SEED_MAX, help="seed of python, numpy and torch")),
        ("data", DataConfig, section(DataConfig)),
        ("generator", GeneratorConfig, section(GeneratorConfig)),
        ("train", TrainConfig, section(TrainConfig)),
        ("eval", EvalConfig, section(EvalConfig)),
    ]
    fields += [(name, cls, section(cls)) for name, cls in spec.sections.items()]
    cls = dataclasses.make_dataclass(f"{spec.name.title().replace('_', '')}RunConfig", fields)
    cfg = cls()
    for key, value in spec.defaults.items():  # the model's own defaults of shared keys
        set_value(cfg, key, value)
    _check_unread_keys(spec, list(flatten(cfg)))
    return cfg


def _check_unread_keys(spec: ModelSpec, keys: list[str]) -> None:
    """A registration whose `unread_keys` name no key of its sections (shared or its own), or a key it also
    gives a default, is a bug."""
    sections = (*SHARED_SECTIONS, *spec.sections)
    for entry in spec.unread_keys:
        if entry.split(".")[0] not in sections or not any(within(key, [entry]) for key in keys):
            raise ValueError(f"model '{spec.name}': unread_keys entry '{entry}' is no key or section of its "
                             f"config sections ({', '.join(sections)})")
    if defaulted := [key for key in spec.defaults if within(key, spec.unread_keys)]:
        raise ValueError(f"model '{spec.name}' gives defaults to keys it declares unread: {', '.join(defaulted)}")


def unread_leaves(spec: ModelSpec, cfg: Any) -> list[str]:
    """The leaf keys of `cfg` (the model's config tree) that `spec` never reads (`ModelSpec.unread_keys`)."""
    return [key for key in flatten(cfg) if within(key, spec.unread_keys)]


def check_keys_read(spec: ModelSpec, settings: Mapping[str, Any] | Iterable[str], where: str = "") -> None:
    """Refuse config keys the user set that the model never reads (`ModelSpec.unread_keys`): one UserError line
    naming every such key, the model, why, the keys of that section it does read, and the fix. `settings`: the
    keys set, or a mapping of them to their values, in which a value equal to the model's default is let
    through (it changes nothing: a run's saved config.yaml, which holds every key, can be passed as --config).
    `where` names the file the keys came from (e.g. "'configs/gan.yaml'")."""
    values = settings if isinstance(settings, Mapping) else dict.fromkeys(settings, _UNSET)
    candidates = {key: value for key, value in values.items() if within(key, spec.unread_keys)}
    if not candidates:  # the usual case (every text model declares nothing): no config tree is built
        return
    defaults = flatten(make_config(spec))
    unread = [key for key, value in candidates.items() if value is _UNSET or defaults.get(key, _UNSET) != value]
    if not unread:
        return
    key = unread[0]
    entry = next(e for e in spec.unread_keys if within(key, [e]))
    section_name = key.split(".")[0]
    read = [k for k in defaults if k.startswith(f"{section_name}.") and not within(k, spec.unread_keys)]
    reads = f"of {section_name}.* it reads only {', '.join(read)}" if read else f"it reads no {section_name}.* key"
    why = "; ".join(part for part in (spec.unread_keys[entry], reads) if part)
    named = f"config key '{key}' is" if len(unread) == 1 else (
        "config keys " + ", ".join(f"'{k}'" for k in unread[:4])
        + (f" and {len(unread) - 4} more" if len(unread) > 4 else "") + " are")
    raise UserError(f"{named} not read by model '{spec.name}' ({why}); remove {'it' if len(unread) == 1 else 'them'}"
                    + (f" from {where}" if where else ""))


def check_keys_in_use(spec: ModelSpec, cfg: Any) -> None:
    """For a new run (not a resume): the model's own rule on its settings (`ModelSpec.check_settings`), then refuse
    a key set away from its default that the model reads only for other values of another key
    (`ModelSpec.read_only_when`): conditional.label_dim with conditional.discriminator=aux, gan.dragan_scale
    without the DRAGAN penalty. A ConfigError naming each such key, the deciding key's value and the fix."""
    if spec.check_settings is not None:
        spec.check_settings(cfg)
    if not spec.read_only_when:
        return
    from textgan.config import ConfigError
    from textgan.config_help import as_override

    defaults, now = flatten(make_config(spec)), flatten(cfg)
    unused = [(key, decider, values) for key, (decider, values) in spec.read_only_when.items()
              if now.get(key) != defaults.get(key) and now.get(decider) not in values]
    if unused:
        key, decider, values = unused[0]
        also = f" (also {', '.join(k for k, _, _ in unused[1:])})" if len(unused) > 1 else ""
        raise ConfigError(f"config key '{key}'{also} is read only with {decider}="
                          f"{' or '.join(as_override(v) for v in values)}, and this run has "
                          f"{decider}={as_override(now.get(decider))}; remove it, or set {decider}")


def model_label(spec: ModelSpec, config: dict[str, Any]) -> str:
    """The name tables give a run: the model's name, with its generator kind appended when the run changed it
    from the model's default (`mle+transformer`), so the LSTM and Transformer runs of one model stay apart,
    and the value of each of its `variant_keys` set away from the default (`maligan[mixed]`). `config`: the
    run's flattened config (`{"generator.kind": "transformer", ...}`), whole or only the keys it set."""
    defaults = flatten(make_config(spec))
    label = spec.name
    kind = config.get("generator.kind")
    if kind is not None and kind != defaults.get("generator.kind"):
        label += f"+{kind}"
    for key in spec.variant_keys:
        value = config.get(key)
        if value is not None and value != defaults.get(key):
            label += f"[{value}]"
    return label
