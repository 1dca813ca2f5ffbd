"""Tests of textgan.registry: lookup, the config tree a spec builds, and what every entry must provide."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import REPO_ROOT, tiny_algorithm, write_tiny_labelled

from textgan.config import flatten, load_yaml
from textgan.errors import UserError
from textgan.registry import ModelSpec, all_models, get_model, make_config, unread_leaves

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
    # help overrides name shown keys: a typo, or a key the model never reads, would print nothing
    assert set(spec.key_help) <= set(flatten(cfg)) - set(unread_leaves(spec, cfg))


def test_make_config_gives_independent_trees():
    spec = get_model("mle")
    a, b = make_config(spec), make_config(spec)
    a.data.oracle.vocab_size = 7
    assert b.data.oracle.vocab_size != 7


def test_unread_keys_must_name_keys_of_the_models_sections():
    """A declared unread key that names nothing (a typo, a section the model lacks) would hide or refuse nothing.
    A key of the model's own sections may be named (cgan_mle's conditional.discriminator: the section is
    cseqgan's too, whose discriminator reads it)."""
    mle = get_model("mle")
    for entry in ("generator.hidden_dimm", "mle.epochz", "data.oracles", "conditional.label_dim"):
        with pytest.raises(ValueError, match=f"unread_keys entry '{entry}'"):
            make_config(dataclasses.replace(mle, name="x", unread_keys={entry: ""}))
    make_config(dataclasses.replace(mle, name="x", unread_keys={"mle.grad_clip": ""}))
    with pytest.raises(ValueError, match="gives defaults to keys it declares unread: generator.kind"):
        make_config(dataclasses.replace(mle, name="x", defaults={"generator.kind": "lstm"},
                                        unread_keys={"generator": ""}))
    make_config(dataclasses.replace(mle, name="x", unread_keys={"generator": "", "data.oracle": "", "eval.bleu": ""}))


def test_check_keys_read_names_the_key_the_model_and_the_keys_it_reads():
    from textgan.registry import check_keys_read

    spec = dataclasses.replace(get_model("mle"), name="x", unread_keys={"generator": "why", "data.oracle": ""})
    check_keys_read(spec, ["data.name", "generator_x", "mle.epochs", "data.oracle_x"])  # not within: read
    with pytest.raises(UserError, match=r"^config key 'generator.hidden_dim' is not read by model 'x' \(why; it "
                                        r"reads no generator.\* key\); remove it from 'f.yaml'$"):
        check_keys_read(spec, ["data.name", "generator.hidden_dim"], where="'f.yaml'")
    with pytest.raises(UserError, match=r"'data.oracle.seed' is not read by model 'x' \(of data.\* it reads only "
                                        r"data.name, data.test, .*\); remove it$"):
        check_keys_read(spec, ["data.oracle.seed"])


TINY_CONFIGS = sorted(p.stem for p in (REPO_ROOT / "configs" / "tiny").glob("*.yaml") if p.stem in all_models())


@pytest.mark.parametrize("name", TINY_CONFIGS)
def test_every_phase_names_the_config_key_of_its_budget(name, tmp_path: Path):
    """Messages (e.g. "nothing to train: raise a budget") name `Phase.budget_key`: it must be the key whose
    value the phase runs for, in every model."""
    needs_file = load_yaml(REPO_ROOT / "configs" / "tiny" / f"{name}.yaml").get("data", {}).get("labels") == "tsv"
    algorithm = tiny_algorithm(name, write_tiny_labelled(tmp_path) if needs_file else None)
    cfg = algorithm.ctx.cfg
    keys = [phase.budget_key.split(".") for phase in algorithm.phases()]
    # a distinct value per key (the tiny budgets are mostly 1 or 2, so a wrong key would often match)
    for i, (section, key) in enumerate(keys):
        setattr(getattr(cfg, section), key, 97 + i)
    assert [phase.iterations for phase in algorithm.phases()] == [97 + i for i in range(len(keys))]
