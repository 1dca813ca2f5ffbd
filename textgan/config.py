"""Typed configuration: dataclasses, YAML overrides, dotted `key=value` overrides, validation.

Defaults live in dataclasses next to the code they configure (`DataConfig` in `textgan/data`,
`GeneratorConfig` in `textgan/nn`, ...). A run's config is one tree of dataclasses; the model's
registry entry adds its own sections (e.g. `discriminator`, `adversarial`). YAML files and CLI
arguments only override. Every mistake — an unknown key, a wrong type, an out-of-range value — is a
`ConfigError` whose one-line message names the key and what is allowed.

Constraints on a field are declared with `param(default, min=..., max=..., choices=...)`.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from pathlib import Path
from typing import Any

import yaml

from textgan.errors import UserError


class _Loader(yaml.SafeLoader):
    """YAML's safe loader with only true / false as booleans. YAML 1.1 also reads yes / no / on / off as
    booleans, which turned string values such as `train.nonfinite=off` into False; here they stay words (and
    a boolean key still takes them: `_coerce`). A key given twice in one mapping is an error: YAML keeps the
    last, so a second `train:` section would silently drop every key of the first."""

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor`: its keys may be overridden here
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str) and key in seen:
                line = key_node.start_mark.line + 1
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key}' appears twice in one mapping, again on line {line} (the second "
                    "would replace the first; merge them)", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))
# YAML 1.1's words, and true / false given as strings (a quoted "false" in a YAML file, or a Python string)
_BOOL_WORDS = {"yes": True, "on": True, "true": True, "no": False, "off": False, "false": False}
# numpy seeds its generator from 32 bits: every seed key of a config lies in this range
SEED_MAX = 2**32 - 1


def _load(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 -- a SafeLoader subclass: no object construction


class ConfigError(UserError):
    """A bad config key or value."""


NOT_GIVEN = object()  # `param(before=...)` not given


def param(default: Any, *, min: float | None = None, max: float | None = None,
          choices: typing.Sequence[Any] | typing.Mapping[str, Any] | None = None, min_exclusive: bool = False,
          init_only: bool = False, help: str = "", before: Any = NOT_GIVEN) -> Any:
    """A dataclass field with validation metadata (range, allowed values, help text).

    `init_only`: the key only says where a network's *initial* weights come from (e.g. a pretrained
    folder); when the weights come from a checkpoint instead (resume, sampling) it is ignored
    (`without_init_only`), so the run does not need it any more.
    `before`: for a key added with a default that changes behaviour, the value that reproduces runs saved
    before the key existed; `textgan.runs.load_run_config` reads a saved config without the key with it, so
    a resumed old run keeps, and records, what it trained with.
    """
    # a mapping (a registry of kinds) is kept as it is, so that kinds registered later are allowed too
    allowed = choices if isinstance(choices, typing.Mapping) else tuple(choices) if choices else None
    meta = {"min": min, "max": max, "choices": allowed,
            "min_exclusive": min_exclusive, "init_only": init_only, "help": help}
    if before is not NOT_GIVEN:
        meta["before"] = before
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def section(cls: type) -> Any:
    """A nested config section field holding a default instance of `cls`."""
    return dataclasses.field(default_factory=cls)


# ----------------------------------------------------------------------------------------------
# type coercion


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is list:
        (arg,) = typing.get_args(tp) or (Any,)
        return f"list of {_type_name(arg)}"
    if tp is type(None):
        return "null"
    return getattr(tp, "__name__", str(tp))


def _coerce(key: str, value: Any, tp: Any) -> Any:
    """Convert `value` (from YAML or the CLI) to type `tp` or raise a ConfigError naming `key`."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(key, value, arg)
            except ConfigError:
                continue
        raise ConfigError(f"config key '{key}' must be {_type_name(tp)}, got {value!r}")
    if origin is list:
        (arg,) = typing.get_args(tp) or (Any,)
        if isinstance(value, str):  # CLI convenience: a=1,2,3
            try:
                value = [_load(v) for v in value.split(",") if v.strip()]
            except yaml.YAMLError:
                raise ConfigError(f"config key '{key}' must be a list, got {value!r}; write a,b or [a, b]") from None
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"config key '{key}' must be a list, got {value!r}")
        return [_coerce(key, v, arg) for v in value]
    if tp is Any:
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _BOOL_WORDS:  # see _BOOL_WORDS
            return _BOOL_WORDS[value.lower()]
        raise ConfigError(f"config key '{key}' must be true or false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ConfigError(f"config key '{key}' must be an integer, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads `1e-3` (no dot) as a string
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if math.isfinite(number):
                return number
        raise ConfigError(f"config key '{key}' must be a number, got {value!r}")
    if tp is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"config key '{key}' must be a string, got {value!r}")
    raise ConfigError(f"config key '{key}' has an unsupported type {tp!r}")


def _check_range(key: str, value: Any, meta: typing.Mapping[str, Any]) -> None:
    choices = meta.get("choices")
    values = value if isinstance(value, list) else [value]
    for v in values:
        if v is None:
            continue
        if isinstance(v, float) and not math.isfinite(v):
            raise ConfigError(f"config key '{key}' must be a finite number; got {v!r}")
        if choices and v not in choices:
            allowed = ", ".join(str(c) for c in choices)
            raise ConfigError(f"config key '{key}' must be one of {allowed}; got {v!r}")
        lo, hi = meta.get("min"), meta.get("max")
        if lo is not None and isinstance(v, (int, float)):
            if v < lo or (meta.get("min_exclusive") and v == lo):
                bound = f"> {lo}" if meta.get("min_exclusive") else f">= {lo}"
                raise ConfigError(f"config key '{key}' must be {bound}; got {v!r}")
        if hi is not None and isinstance(v, (int, float)) and v > hi:
            raise ConfigError(f"config key '{key}' must be <= {hi}; got {v!r}")


# ----------------------------------------------------------------------------------------------
# applying overrides


def _fields(obj: Any) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(obj)}


def _resolved_hints(obj: Any) -> dict[str, Any]:
    return typing.get_type_hints(type(obj))


def set_value(cfg: Any, dotted_key: str, value: Any, prefix: str = "") -> None:
    """Set `cfg.<dotted_key> = value` with type coercion and validation.

    `prefix` is where `cfg` sits in the whole tree (e.g. "data" when `cfg` is the data section); it only
    names keys in error messages.
    """
    parts = dotted_key.split(".")
    obj, path = cfg, [prefix] if prefix else []
    for name in parts[:-1]:
        path.append(name)
        fields = _fields(obj)
        if name not in fields or not dataclasses.is_dataclass(getattr(obj, name)):
            _unknown(".".join(path), obj)
        obj = getattr(obj, name)
    name = parts[-1]
    fields = _fields(obj)
    dotted_key = f"{prefix}.{dotted_key}" if prefix else dotted_key
    if name not in fields:
        _unknown(dotted_key, obj)
    if dataclasses.is_dataclass(getattr(obj, name)):
        if not isinstance(value, dict):
            raise ConfigError(f"config key '{dotted_key}' is a section; set its keys, e.g. "
                              f"{dotted_key}.{next(iter(_fields(getattr(obj, name))))}=...")
        merge_dict(getattr(obj, name), value, prefix=dotted_key)
        return
    coerced = _coerce(dotted_key, value, _resolved_hints(obj)[name])
    _check_range(dotted_key, coerced, fields[name].metadata)
    setattr(obj, name, coerced)


def _unknown(key: str, obj: Any) -> typing.NoReturn:
    known = ", ".join(sorted(_fields(obj)))
    raise ConfigError(f"unknown config key '{key}'; known keys here: {known}")


def merge_dict(cfg: Any, overrides: typing.Mapping[str, Any], prefix: str = "") -> None:
    """Apply a nested mapping (as read from YAML) onto a config tree."""
    if not isinstance(overrides, typing.Mapping):
        raise ConfigError(f"config section '{prefix or '<root>'}' must be a mapping, got {overrides!r}")
    for key, value in overrides.items():
        set_value(cfg, str(key), value, prefix=prefix)


def parse_override(text: str) -> tuple[str, Any]:
    """Parse one CLI override `a.b=value`; the value is read as YAML (so 0.1, true, [1, 2] work)."""
    if "=" not in text:
        raise ConfigError(f"malformed override '{text}'; write key=value, e.g. train.lr=0.01")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ConfigError(f"malformed override '{text}'; write key=value, e.g. train.lr=0.01")
    try:
        value = _load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key, value


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML override file; a missing or malformed file is a one-line error."""
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"config file '{p}' is a folder; pass a YAML file, e.g. configs/seqgan.yaml")
    if not p.is_file():
        raise ConfigError(f"config file '{p}' not found; check the path given to --config")
    try:
        data = _load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ConfigError(f"config file '{p}' is not valid YAML ({first})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file '{p}' must hold a mapping of sections, got {type(data).__name__}")
    return data


def to_dict(cfg: Any) -> dict[str, Any]:
    """The config tree as plain dicts (for YAML / JSON)."""
    return dataclasses.asdict(cfg)


def dump_yaml(cfg: Any) -> str:
    return yaml.safe_dump(to_dict(cfg), sort_keys=False)


def validate(cfg: Any, prefix: str = "") -> None:
    """Check every value of a config tree against its field's constraints."""
    hints = _resolved_hints(cfg)
    for name, f in _fields(cfg).items():
        key = f"{prefix}.{name}" if prefix else name
        value = getattr(cfg, name)
        if dataclasses.is_dataclass(value):
            validate(value, key)
            continue
        _coerce(key, value, hints[name])
        _check_range(key, value, f.metadata)


def check_field(cfg: Any, name: str, prefix: str) -> None:
    """Check one value of a config section against its field's constraints (`validate` checks them all): for
    code that reads a key of a section built in Python, e.g. `build_generator` and `generator.kind`."""
    _check_range(f"{prefix}.{name}", getattr(cfg, name), _fields(cfg)[name].metadata)


def leaves(cfg: Any, prefix: str = "") -> typing.Iterator[tuple[str, Any, dataclasses.Field]]:
    """(dotted key, value, dataclass field) of every leaf of a config tree, in declaration order."""
    for f in dataclasses.fields(cfg):
        key = f"{prefix}.{f.name}" if prefix else f.name
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(value):
            yield from leaves(value, key)
        else:
            yield key, value, f


def within(key: str, prefixes: typing.Iterable[str]) -> bool:
    """Whether dotted `key` is one of `prefixes` or lies in a section one of them names (`data.oracle.seed`
    lies within `data.oracle`, `data.oracle_x` does not)."""
    return any(key == p or key.startswith(f"{p}.") for p in prefixes)


def dotted_items(overrides: typing.Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """The dotted keys a nested mapping of overrides (a YAML file, `key=value` with a mapping value) sets, with
    their values: `{"data": {"name": "x", "oracle": {"seed": 1}}}` -> {data.name: x, data.oracle.seed: 1} (an
    empty section sets nothing)."""
    items: dict[str, Any] = {}
    for name, value in overrides.items():
        key = f"{prefix}.{name}" if prefix else str(name)
        items.update(dotted_items(value, key) if isinstance(value, typing.Mapping) else {key: value})
    return items



def flatten(cfg: Any, prefix: str = "") -> dict[str, Any]:
    """`{"train.lr": 0.01, ...}` for every leaf key (`config_help.describe` lists them for `--show-config`)."""
    return {key: value for key, value, _ in leaves(cfg, prefix)}


def without_init_only(cfg: Any) -> Any:
    """A copy of `cfg` with every `init_only` key back at its default: what to build networks from when a
    checkpoint supplies their weights."""
    out = dataclasses.replace(cfg)
    for name, f in _fields(cfg).items():
        value = getattr(cfg, name)
        if dataclasses.is_dataclass(value):
            setattr(out, name, without_init_only(value))
        elif f.metadata.get("init_only"):
            setattr(out, name, f.default if f.default is not dataclasses.MISSING else f.default_factory())
    return out
