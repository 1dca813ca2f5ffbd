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

from dataclasses import dataclass

from torch import nn

from textgan.config import check_field, param, section
from textgan.errors import UserError
from textgan.nn.cnn_discriminator import CNNDiscriminator, DiscriminatorConfig, build_cnn_discriminator
from textgan.nn.kinds import DISCRIMINATORS, GENERATORS
from textgan.nn.lstm_generator import LSTMGenerator
from textgan.nn.relational_memory import RelationalMemoryConfig, build_relational_memory_generator
from textgan.nn.relgan_discriminator import build_relgan_discriminator
from textgan.nn.seq2seq import build_seq2seq_generator
from textgan.nn.transformer_generator import TransformerConfig, TransformerGenerator, build_transformer_generator

DISCRIMINATORS.update(cnn=build_cnn_discriminator, relgan=build_relgan_discriminator)


def register_generator(kind: str):
    def deco(builder):
        GENERATORS[kind] = builder
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


@register_generator("lstm")
def _build_lstm(cfg: GeneratorConfig, vocab_size: int, bos_id: int) -> nn.Module:
    return LSTMGenerator(vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.num_layers, cfg.dropout,
                         bos_id=bos_id, init_std=cfg.init_std or None)


@register_generator("transformer")
def _build_transformer(cfg: GeneratorConfig, vocab_size: int, bos_id: int) -> nn.Module:
    return build_transformer_generator(cfg.transformer, vocab_size, bos_id)


register_generator("relational_memory")(build_relational_memory_generator)
register_generator("seq2seq")(build_seq2seq_generator)  # MaskGAN's in-filling encoder-decoder


def build_generator(cfg: GeneratorConfig, vocab_size: int, bos_id: int) -> nn.Module:
    check_field(cfg, "kind", "generator")  # the config check, for a section built in Python
    return GENERATORS[cfg.kind](cfg, vocab_size, bos_id)


def build_toy_generator(cfg: GeneratorConfig) -> nn.Module:
    """A generator of the configured kind and sizes at a toy vocabulary, built only to see what it can do (its
    methods, its state's shape): a model's config rule (`ModelSpec.check_config`) asks it before any data is
    loaded, so the vocabulary is not yet known."""
    return build_generator(cfg, vocab_size=8, bos_id=1)


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
           "build_generator", "build_toy_generator", "register_generator", "GENERATORS",
           "CNNDiscriminator", "DiscriminatorConfig", "build_discriminator", "register_discriminator",
           "DISCRIMINATORS"]
