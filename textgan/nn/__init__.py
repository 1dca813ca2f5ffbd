"""Neural networks: generators and discriminators.

`GeneratorConfig` is the `generator` config section; `build_generator` picks the implementation by
`generator.kind` from `GENERATORS`, a name -> builder table that new generator kinds register into.
Discriminators work the same way: `build_discriminator(cfg, vocab_size)` picks by `cfg.kind` from
`DISCRIMINATORS` (the CNN + highway discriminator of SeqGAN is kind "cnn").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from textgan.config import param
from textgan.nn.cnn_discriminator import CNNDiscriminator, DiscriminatorConfig, build_cnn_discriminator
from textgan.nn.lstm_generator import LSTMGenerator

GENERATORS: dict[str, Callable[..., nn.Module]] = {}
DISCRIMINATORS: dict[str, Callable[..., nn.Module]] = {"cnn": build_cnn_discriminator}


def register_generator(kind: str):
    def deco(builder):
        GENERATORS[kind] = builder
        return builder
    return deco


@dataclass
class GeneratorConfig:
    kind: str = param("lstm", help="generator architecture (see textgan.nn.GENERATORS)")
    emb_dim: int = param(32, min=1)
    hidden_dim: int = param(32, min=1)
    num_layers: int = param(1, min=1)
    dropout: float = param(0.0, min=0.0, max=0.99)
    init_std: float = param(0.1, min=0.0, help="N(0, init_std) init of every weight; 0 = PyTorch default")


@register_generator("lstm")
def _build_lstm(cfg: GeneratorConfig, vocab_size: int, bos_id: int) -> nn.Module:
    return LSTMGenerator(vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.num_layers, cfg.dropout,
                         bos_id=bos_id, init_std=cfg.init_std or None)


def build_generator(cfg: GeneratorConfig, vocab_size: int, bos_id: int) -> nn.Module:
    from textgan.errors import UserError

    if cfg.kind not in GENERATORS:
        raise UserError(f"config key 'generator.kind' must be one of {', '.join(sorted(GENERATORS))}; "
                        f"got {cfg.kind!r}")
    return GENERATORS[cfg.kind](cfg, vocab_size, bos_id)


def register_discriminator(kind: str):
    def deco(builder):
        DISCRIMINATORS[kind] = builder
        return builder
    return deco


def build_discriminator(cfg, vocab_size: int) -> nn.Module:
    """The discriminator of kind `cfg.kind`, built from its config section."""
    from textgan.errors import UserError

    if cfg.kind not in DISCRIMINATORS:
        raise UserError(f"config key 'discriminator.kind' must be one of {', '.join(sorted(DISCRIMINATORS))}; "
                        f"got {cfg.kind!r}")
    return DISCRIMINATORS[cfg.kind](cfg, vocab_size)


__all__ = ["GeneratorConfig", "LSTMGenerator", "build_generator", "register_generator", "GENERATORS",
           "CNNDiscriminator", "DiscriminatorConfig", "build_discriminator", "register_discriminator",
           "DISCRIMINATORS"]
