"""`python -m textgan.train --model NAME --show-config`: every config key a run would use, explained.

Lists each leaf key of a resolved config with its value written as a `key=value` override would take it,
what the key does (the `help` of its `config.param`), its allowed values or range, and, where the value
differs from the model's default, that default. The keys and their documentation live next to the code
they configure (dataclasses), so this listing is the reference and cannot go stale.
"""

from __future__ import annotations

import typing
from pathlib import PurePath
from typing import Any

import yaml

from textgan.config import leaves, within


def as_override(value: Any) -> str:
    """`value` as the text after `key=` on the command line (YAML flow style, read back as the same type)."""
    return yaml.safe_dump(_plain(value), default_flow_style=True, width=2**31).strip().removesuffix("\n...")


def _plain(value: Any) -> Any:
    """A value as YAML can write it: numpy / torch scalars as Python numbers, paths as strings, tuples as
    lists (what a script passes to `train_model`)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, PurePath):
        return str(value)
    item = getattr(value, "item", None)  # numpy and torch scalars
    return item() if item is not None and getattr(value, "ndim", 0) == 0 else value


def _constraint(meta: typing.Mapping[str, Any]) -> str:
    if meta.get("choices"):
        return "one of " + ", ".join(str(c) for c in meta["choices"])
    lo, hi = meta.get("min"), meta.get("max")
    low = f"{'>' if meta.get('min_exclusive') else '>='} {lo}" if lo is not None else ""
    high = f"<= {hi}" if hi is not None else ""
    return ", ".join(part for part in (low, high) if part)


def describe(cfg: Any, defaults: Any | None = None, hide: typing.Collection[str] = (),
             key_help: typing.Mapping[str, str] | None = None) -> list[str]:
    """One line per leaf key: `key=value  # help [constraint] (default: D)`; `defaults` is the same
    model's config before any override, for the `(default: ...)` notes. `hide`: dotted keys and sections
    (`"generator"`, `"data.oracle"`) to leave out, e.g. the keys a model never reads. `key_help`: dotted key
    -> help to print instead of the key's own (a model's `ModelSpec.key_help`)."""
    base = {key: value for key, value, _ in leaves(defaults)} if defaults is not None else {}
    rows = []
    for key, value, f in leaves(cfg):
        if within(key, hide):
            continue
        notes = [(key_help or {}).get(key, f.metadata.get("help", ""))]
        if constraint := _constraint(f.metadata):
            notes.append(f"[{constraint}]")
        if key in base and base[key] != value:
            notes.append(f"(default: {as_override(base[key])})")
        rows.append((f"{key}={as_override(value)}", " ".join(n for n in notes if n)))
    width = min(max((len(left) for left, _ in rows), default=0), 40)  # a few long values must not push every note right
    return [f"{left:<{width}}  # {note}" if note else left for left, note in rows]
