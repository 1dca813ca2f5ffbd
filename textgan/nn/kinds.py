"""The generator and discriminator registries: network kind name -> builder.

They live apart from `textgan.nn` so that the config sections naming a kind (`generator.kind`,
`discriminator.kind`) can take a registry as their allowed values: a bad kind is then refused when the
config is read, before any data is loaded, and a kind registered later (`register_generator`,
`register_discriminator`) is allowed as soon as it is registered. `textgan.nn` fills them.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

GENERATORS: dict[str, Callable[..., nn.Module]] = {}
DISCRIMINATORS: dict[str, Callable[..., nn.Module]] = {}
