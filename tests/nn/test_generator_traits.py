"""`textgan.nn.kinds.GENERATOR_TRAITS`: what each generator kind declares it can do matches the network it
builds, and a kind that declares nothing is left to the model's check when the network is built."""

from __future__ import annotations

import pytest

from textgan.gans.feature_matching import check_textgan_config
from textgan.gans.maskmle import check_infill_kind
from textgan.nn import GENERATOR_TRAITS, GENERATORS, GeneratorConfig, build_generator, generator_has, register_generator
from textgan.registry import get_model, make_config


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_declared_traits_match_the_built_network(kind):
    cfg = GeneratorConfig(kind=kind)
    cfg.transformer.layers, cfg.transformer.heads, cfg.transformer.d_model = 1, 2, 8
    gen = build_generator(cfg, vocab_size=12, bos_id=1)
    assert kind in GENERATOR_TRAITS   # every built-in kind declares its traits
    assert generator_has(kind, "infill") == (hasattr(gen, "encode") and hasattr(gen, "mask_id"))
    assert generator_has(kind, "layered_state") == (gen.init_state(2)[0].dim() == 3)


def test_a_kind_without_declared_traits_passes_the_early_checks_and_is_judged_when_built():
    register_generator("plugged_lstm")(GENERATORS["lstm"])
    try:
        assert generator_has("plugged_lstm", "infill") is None
        for model in ("textgan", "maskgan"):
            cfg = make_config(get_model(model))
            cfg.generator.kind = "plugged_lstm"
            # no refusal before the data loads; maskgan's build-time capability check refuses it later
            (check_textgan_config if model == "textgan" else check_infill_kind)(cfg)
    finally:
        GENERATORS.pop("plugged_lstm")
        GENERATOR_TRAITS.pop("plugged_lstm", None)
