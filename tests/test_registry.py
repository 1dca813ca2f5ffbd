"""Tests of textgan.registry: lookup, the config tree a spec builds, and what every entry must provide."""

from __future__ import annotations

import dataclasses

import pytest

from textgan.errors import UserError
from textgan.registry import ModelSpec, all_models, get_model, make_config

SHARED_SECTIONS = {"data", "generator", "train", "eval"}


def test_mle_is_registered():
    spec = get_model("mle")
    assert spec.name == "mle" and "mle" in spec.sections
    assert "mle" in all_models()


def test_unknown_model_is_a_user_error_listing_the_models():
    with pytest.raises(UserError, match=r"unknown model 'nope'; available: .*mle"):
        get_model("nope")


@pytest.mark.parametrize("name", sorted(all_models()))
def test_every_spec_is_well_formed(name):
    spec = all_models()[name]
    assert isinstance(spec, ModelSpec) and spec.name == name
    assert spec.description and spec.paper
    assert set(spec.data_kinds) <= {"oracle", "text", "points", "images"}
    assert not SHARED_SECTIONS & set(spec.sections), "a model must not redefine a shared section"
    cfg = make_config(spec)
    fields = {f.name for f in dataclasses.fields(cfg)}
    assert fields == {"model", "seed"} | SHARED_SECTIONS | set(spec.sections)


def test_make_config_gives_independent_trees():
    spec = get_model("mle")
    a, b = make_config(spec), make_config(spec)
    a.data.oracle.vocab_size = 7
    assert b.data.oracle.vocab_size != 7
