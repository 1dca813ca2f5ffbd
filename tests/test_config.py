"""Tests of textgan.config: YAML merging, dotted overrides, coercion, validation, and every shipped YAML."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from textgan.config import (
    ConfigError,
    dotted_items,
    dump_yaml,
    load_yaml,
    merge_dict,
    param,
    parse_override,
    section,
    set_value,
    to_dict,
    validate,
    within,
)
from textgan.registry import all_models, check_keys_read, get_model, make_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.fixture
def cfg():
    return make_config(get_model("mle"))


def override(cfg, text: str) -> None:
    set_value(cfg, *parse_override(text))


def test_yaml_merge_nested_sections(cfg, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("data:\n  max_len: 12\n  oracle:\n    vocab_size: 77\ntrain:\n  progress: false\n")
    merge_dict(cfg, load_yaml(path))
    assert (cfg.data.max_len, cfg.data.oracle.vocab_size, cfg.train.progress) == (12, 77, False)
    assert cfg.data.oracle.seq_len == 20  # untouched keys keep their defaults


def test_yaml_unknown_nested_key_names_the_full_key(cfg):
    with pytest.raises(ConfigError, match=r"'data\.oracle\.vocab'.*known keys here:.*vocab_size"):
        merge_dict(cfg, {"data": {"oracle": {"vocab": 3}}})


def test_dump_yaml_round_trips(cfg):
    override(cfg, "mle.lr=0.5")
    override(cfg, "data.test=some/file.txt")
    fresh = make_config(get_model("mle"))
    merge_dict(fresh, yaml.safe_load(dump_yaml(cfg)))
    assert to_dict(fresh) == to_dict(cfg)


def test_dotted_overrides_coerce_values(cfg):
    override(cfg, "train.eval_every=3")
    override(cfg, "train.progress=false")
    override(cfg, "mle.lr=1e-3")
    override(cfg, "mle.grad_clip=2")
    assert cfg.train.eval_every == 3 and cfg.train.progress is False
    assert cfg.mle.lr == pytest.approx(1e-3) and isinstance(cfg.mle.grad_clip, float)
    assert parse_override("data.test=") == ("data.test", "")


@dataclass
class _Inner:
    ks: list[int] = param([1, 2], min=1)  # noqa: RUF009 (param is a dataclasses.field)
    flag: bool = param(False)


@dataclass
class _Outer:
    inner: _Inner = section(_Inner)  # noqa: RUF009


@pytest.mark.parametrize("text, expected", [("inner.ks=3,4,5", [3, 4, 5]), ("inner.ks=[7, 8]", [7, 8])])
def test_list_overrides(text, expected):
    obj = _Outer()
    override(obj, text)
    assert obj.inner.ks == expected


def test_list_items_are_range_checked_and_booleans_strict():
    obj = _Outer()
    with pytest.raises(ConfigError, match=r"'inner\.ks' must be >= 1"):
        override(obj, "inner.ks=1,0")
    override(obj, "inner.flag=true")
    assert obj.inner.flag is True
    with pytest.raises(ConfigError, match="true or false"):
        override(obj, "inner.flag=1")


def test_yes_no_on_off_are_words_for_string_keys_and_booleans_for_boolean_keys(cfg, tmp_path):
    """YAML 1.1 reads off / no as False; documented string values such as `train.nonfinite=off` and
    `adversarial.temperature_schedule=no` must arrive as the words, on the command line and in files."""
    override(cfg, "train.nonfinite=off")
    assert cfg.train.nonfinite == "off"
    gsgan = make_config(get_model("gsgan"))
    override(gsgan, "adversarial.temperature_schedule=no")
    assert gsgan.adversarial.temperature_schedule == "no"
    override(cfg, "train.progress=no")
    assert cfg.train.progress is False
    override(cfg, "train.progress=On")
    assert cfg.train.progress is True
    # true / false as strings (a quoted "false" in YAML, a Python string) mean the booleans, not an error
    override(cfg, "train.progress='false'")
    assert cfg.train.progress is False
    set_value(cfg, "train.progress", "True")
    assert cfg.train.progress is True
    (tmp_path / "c.yaml").write_text("train:\n  nonfinite: off\n  progress: off\n")
    merge_dict(cfg, load_yaml(tmp_path / "c.yaml"))
    assert (cfg.train.nonfinite, cfg.train.progress) == ("off", False)
    # and a saved config reads back the same
    assert yaml.safe_load(dump_yaml(cfg))["train"]["nonfinite"] == "off"


def test_unknown_key_lists_known_keys(cfg):
    with pytest.raises(ConfigError, match=r"unknown config key 'train\.evall_every'.*eval_every.*keep_checkpoints"):
        override(cfg, "train.evall_every=3")
    with pytest.raises(ConfigError, match=r"unknown config key 'bogus'.*known keys here:.*generator"):
        override(cfg, "bogus.x=1")


@pytest.mark.parametrize("text, message", [
    ("train.eval_every=abc", r"'train\.eval_every' must be an integer"),
    ("train.eval_every=2.5", r"'train\.eval_every' must be an integer"),
    ("mle.lr=fast", r"'mle\.lr' must be a number"),
    ("train.progress=maybe", r"'train\.progress' must be true or false"),
    ("mle.lr=0", r"'mle\.lr' must be > 0"),
    ("generator.dropout=2", r"'generator\.dropout' must be <= 0\.99"),
    ("train.eval_every=0", r"'train\.eval_every' must be >= 1"),
    ("data.tokenize=foo", r"'data\.tokenize' must be one of nltk, whitespace"),
    ("train.device=tpu", r"'train\.device' must be one of auto, cpu, cuda"),
    ("train=3", r"'train' is a section; set its keys, e\.g\. train\.eval_every=\.\.\."),
])
def test_bad_values(cfg, text, message):
    with pytest.raises(ConfigError, match=message):
        override(cfg, text)


@pytest.mark.parametrize("text", ["foo", "=3", "a..b=1", ".x=1"])
def test_malformed_override(text):
    with pytest.raises(ConfigError, match="malformed override"):
        parse_override(text)


def test_load_yaml_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_yaml(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("data: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_yaml(bad)
    bad.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_yaml(bad)
    bad.write_text("")
    assert load_yaml(bad) == {}
    # a section given twice would silently lose the first one's keys
    bad.write_text("train:\n  threads: 1\nmle:\n  epochs: 3\ntrain:\n  progress: false\n")
    with pytest.raises(ConfigError, match="key 'train' appears twice in one mapping, again on line 5"):
        load_yaml(bad)
    with pytest.raises(ConfigError, match="is a folder"):
        load_yaml(tmp_path)
    # YAML merge keys are not duplicates: a section may take an anchor's keys and override some
    bad.write_text("generator: &net {emb_dim: 8, hidden_dim: 8}\ndiscriminator: {<<: *net, hidden_dim: 4}\n")
    assert load_yaml(bad)["discriminator"] == {"emb_dim": 8, "hidden_dim": 4}


@pytest.mark.parametrize("name", sorted(all_models()))
def test_defaults_validate_for_every_model(name):
    cfg = make_config(get_model(name))
    validate(cfg)
    assert cfg.model == name


def test_validate_catches_values_set_directly(cfg):
    cfg.mle.lr = -1.0
    with pytest.raises(ConfigError, match=r"'mle\.lr'"):
        validate(cfg)


def _shipped_configs() -> list[Path]:
    return sorted(CONFIGS.rglob("*.yaml"))


def test_tiny_configs_exist():
    assert {"mle.yaml", "mle_text.yaml"} <= {p.name for p in (CONFIGS / "tiny").glob("*.yaml")}


@pytest.mark.parametrize("path", _shipped_configs(), ids=lambda p: str(p.relative_to(CONFIGS)))
def test_shipped_config_validates(path):
    """configs/<model>.yaml is named by its model; anything nested (tiny/, paper/) must say `model:`."""
    data = load_yaml(path)
    if path.parent == CONFIGS:
        model = data.pop("model", path.stem)
        assert model == path.stem, f"{path} names model {model!r} but is called {path.stem}"
    else:
        assert "model" in data, f"{path} must name its model with a top-level `model:` key"
        model = data.pop("model")
    spec = get_model(model)
    check_keys_read(spec, list(dotted_items(data)))  # a shipped config sets no key its model never reads
    cfg = make_config(spec)
    merge_dict(cfg, data)
    validate(cfg)


def test_dotted_items_and_within():
    assert list(dotted_items({"model": "gan", "data": {"name": "x", "oracle": {"seed": 1}, "class_files": ["a=b"]},
                        "generator": {}, "eval.bleu": False, "train": None})) == [
        "model", "data.name", "data.oracle.seed", "data.class_files", "eval.bleu", "train"]
    assert within("data.oracle.seed", ["data.oracle"]) and within("data.oracle", ["data.oracle"])
    assert not within("data.oracle_x", ["data.oracle"]) and not within("data", ["data.oracle"])
