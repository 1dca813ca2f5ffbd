"""Neural networks: generators and discriminators.

`GeneratorConfig` is the `generator` config section; `build_generator` picks the implementation by
`generator.kind` from `GENERATORS`, a name -> builder table that new generator kinds register into.
Discriminators work the same way: `build_discriminator(cfg, vocab_size)` picks by `cfg.kind` from
`DISCRIMINATORS` (the CNN + highway discriminator of SeqGAN is kind "cnn", RelGAN's multi-representation
CNN kind "relgan"). Generator kinds: "lstm", "transformer", "relational_memory" (RelGAN's), "seq2seq"
(MaskGAN's in-filling encoder-decoder). Both tables live in `textgan.nn.kinds`, so that the config keys
naming a kind refuse an unknown one when the config is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from torch import nn

from textgan.config import check_field, param, section
from textgan.errors import UserError
from textgan.nn.cnn_discriminator import CNNDiscriminator, DiscriminatorConfig, build_cnn_discriminator
from textgan.nn.kinds import DISCRIMINATORS, GENERATOR_TRAITS, GENERATORS, generator_has
from textgan.nn.lstm_generator import LSTMGenerator
from textgan.nn.relational_memory import RelationalMemoryConfig, build_relational_memory_generator
from textgan.nn.relgan_discriminator import build_relgan_discriminator
from textgan.nn.seq2seq import build_seq2seq_generator
from textgan.nn.transformer_generator import TransformerConfig, TransformerGenerator, build_transformer_generator

DISCRIMINATORS.update(cnn=build_cnn_discriminator, relgan=build_relgan_discriminator)


def register_generator(kind: str, traits: Iterable[str] | None = None):
    """Register a generator builder under `kind`; `traits` declares what it can do (`kinds.GENERATOR_TRAITS`:
    "infill", "layered_state"), so models that need a trait refuse other kinds before any data is loaded."""
    def deco(builder):
        GENERATORS[kind] = builder
        if traits is not None:
            GENERATOR_TRAITS[kind] = frozenset(traits)
        else:
            GENERATOR_TRAITS.pop(kind, None)
        return builder
    return deco


@dataclass
class GeneratorConfig:
    kind: str = param("lstm", choices=GENERATORS, help="generator architecture (textgan.nn.GENERATORS; "
                                                      "register_generator adds one)")
    emb_dim: int = param(32, min=1, help="token embedding size (LSTM, seq2seq, LeakGAN worker, relational memory)")
    hidden_dim: int = param(32, min=1, help="LSTM hidden size (LSTM, seq2seq, LeakGAN worker)")
    num_layers: int = param(1, min=1, help="stacked LSTM layers (LSTM and seq2seq generators)")
    dropout: float = param(0.0, min=0.0, max=0.99, help="dropout on the LSTM's inputs and outputs (LSTM and "
                                                         "seq2seq generators)")
    init_std: float = param(0.1, min=0.0, help="N(0, init_std) init of every weight; 0 = PyTorch default")
    # kind-specific sections; the flat keys above are the LSTM's
    transformer: TransformerConfig = section(TransformerConfig)
    relational: RelationalMemoryConfig = section(RelationalMemoryConfig)  # kind relational_memory (RelGAN)


# generator kind -> its section of GeneratorConfig: the section is read only when generator.kind names it
KIND_SECTIONS = {"transformer": "transformer", "relational_memory": "relational"}


def check_kind_sections(kind: str, keys: list[str]) -> None:
    """Refuse a key=value setting in another kind's section (`generator.transformer.layers=3` on an LSTM run): it
    would be silently ignored, and forgetting `generator.kind` is the likely mistake. `keys`: the dotted keys set
    on the command line. (A config file may hold several kinds' sections, e.g. one switched by key=value.)"""
    for key in keys:
        parts = key.split(".")
        owner = next((k for k, name in KIND_SECTIONS.items() if parts[:2] == ["generator", name]), None)
        if owner is not None and owner != kind:
            raise UserError(f"'{key}' is read only with generator.kind={owner}, and this run's generator.kind is "
                            f"{kind}: add generator.kind={owner}, or remove it")


@register_generator("lstm", traits=["layered_state"])
def _build_lstm(cfg: GeneratorConfig, vocab_size: int, bos_id: int) -> nn.Module:
    return LSTMGenerator(vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.num_layers, cfg.dropout,
                         bos_id=bos_id, init_std=cfg.init_std or None)


@register_generator("transformer", traits=[])  # its state is a key / value cache per layer
def _build_transformer(cfg: GeneratorConfig, vocab_size: int, bos_id: int) -> nn.Module:
    return build_transformer_generator(cfg.transformer, vocab_size, bos_id)


register_generator("relational_memory", traits=["layered_state"])(build_relational_memory_generator)  # 1 x slots
register_generator("seq2seq", traits=["infill", "layered_state"])(build_seq2seq_generator)  # MaskGAN's in-filling


def build_generator(cfg: GeneratorConfig, vocab_size: int, bos_id: int) -> nn.Module:
    check_field(cfg, "kind", "generator")  # the config check, for a section built in Python
    return GENERATORS[cfg.kind](cfg, vocab_size, bos_id)


def register_discriminator(kind: str):
    def deco(builder):
        DISCRIMINATORS[kind] = builder
        return builder
    return deco


def build_discriminator(cfg, vocab_size: int) -> nn.Module:
    """The discriminator of kind `cfg.kind`, built from its config section."""
    check_field(cfg, "kind", "discriminator")  # the config check, for a section built in Python
    return DISCRIMINATORS[cfg.kind](cfg, vocab_size)


__all__ = ["GeneratorConfig", "LSTMGenerator", "TransformerConfig", "TransformerGenerator",
           "build_generator", "register_generator", "GENERATORS", "GENERATOR_TRAITS", "generator_has",
           "CNNDiscriminator", "DiscriminatorConfig", "build_discriminator", "register_discriminator",
           "DISCRIMINATORS"]
