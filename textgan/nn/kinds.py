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

# What a generator kind can do, declared when it registers (`register_generator(kind, traits=...)`), so that a
# model's config rule (`ModelSpec.check_config`) can refuse a kind before any data is loaded, without building
# a network: "infill" (encode / mask_id: MaskGAN's in-filling protocol), "layered_state" (the first part of its
# step state is (layers, B, H), which TextGAN's z sets). A kind registered without traits is unknown here: the
# model's check when it builds the network decides.
GENERATOR_TRAITS: dict[str, frozenset[str]] = {}


def generator_has(kind: str, trait: str) -> bool | None:
    """Whether generator `kind` declared `trait`; None when the kind declared no traits (e.g. a plugged-in
    kind registered without them)."""
    traits = GENERATOR_TRAITS.get(kind)
    return None if traits is None else trait in traits
