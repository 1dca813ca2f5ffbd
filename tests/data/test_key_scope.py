"""`textgan.data.key_scope`: a `data.*` key the chosen data set does not read is an error naming the key (and,
for the oracle, the key that does that job), checked by `textgan.train` before any data is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from textgan.data.key_scope import check_data_keys
from textgan.data.sources import NAMED_TEXT
from textgan.errors import UserError
from textgan.train import main as train_main

REPO = Path(__file__).resolve().parents[2]


def _check(keys: list[str], name: str, labels: str = "none") -> None:
    check_data_keys(keys, name, labels, NAMED_TEXT)


def test_each_kind_accepts_the_keys_it_reads(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("a b c\n")
    _check(["data.oracle.seq_len", "data.valid_size", "data.split_seed", "seed", "mle.epochs"], "oracle")
    _check(["data.max_vocab", "data.min_freq", "data.test", "data.max_len", "data.tokenize"], "coco")
    _check(["data.encoding", "data.max_train", "data.valid_size"], str(corpus))
    _check(["data.test_fraction", "data.drop_longer", "data.encoding"], "mr")
    _check(["data.test_fraction", "data.test"], str(corpus), labels="tsv")
    _check(["data.class_files", "data.test_fraction"], "reviews", labels="files")  # a set's name, not a file
    # a plugged-in source (the image baseline's) or an unknown name: not this check's to judge
    _check(["data.max_train", "data.oracle.seq_len"], "digits")
    _check(["data.oracle.seq_len"], "no_such_data_set")


@pytest.mark.parametrize("key, name, needles", [
    ("data.max_vocab", "oracle", ["not to the synthetic oracle", "data.oracle.vocab_size"]),
    ("data.max_len", "oracle", ["data.oracle.seq_len"]),
    ("data.tokenize", "oracle", ["applies to text data"]),
    ("data.oracle.seq_len", "coco", ["not to text data 'coco'", "data.max_len"]),
    ("data.oracle.vocab_size", "emnlp_news_10k", ["applies to the synthetic oracle"]),
    ("data.test_fraction", "coco", ["applies to labelled data", "not to unlabelled text 'coco'"]),
    ("data.test", "mr", ["applies to a label<TAB>sentence file", "not to 'mr' (one file per class)"]),
])
def test_a_key_of_another_kind_is_refused_by_name(key, name, needles):
    with pytest.raises(UserError) as err:
        _check(["mle.epochs", key], name)
    assert key in str(err.value) and all(n in str(err.value) for n in needles)


def test_a_set_of_class_files_is_checked_by_its_name(tmp_path):
    with pytest.raises(UserError, match="data.oracle.seq_len applies to the synthetic oracle"):
        _check(["data.oracle.seq_len"], "reviews", labels="files")
    corpus = tmp_path / "pairs.tsv"
    corpus.write_text("pos\ta b\n")
    with pytest.raises(UserError, match="data.class_files applies to one file per class"):
        _check(["data.class_files"], str(corpus), labels="tsv")


def test_a_saved_runs_config_is_a_valid_config_file(cli, capsys, tmp_path):
    """A run's config.yaml holds every key, most at their defaults: reused as --config it is not refused."""
    from textgan.config import dump_yaml
    from textgan.registry import get_model, make_config

    for model, data in (("mle", "oracle"), ("mle", "coco")):
        cfg = make_config(get_model(model))
        cfg.data.name = data
        saved = tmp_path / f"{model}-{data}.yaml"
        saved.write_text(dump_yaml(cfg))
        proc = cli.main(train_main, ["--config", saved, "--show-config"], capsys)
        assert proc.returncode == 0, proc.stderr
    proc = cli.main(train_main, ["--config", saved, "data.oracle.seq_len=40", "--show-config"], capsys)
    cli.user_error(proc, "data.oracle.seq_len applies to the synthetic oracle, not to text data 'coco'")


def test_train_refuses_it_before_reading_data_and_does_not_check_a_config_file_of_another_data_set(cli, capsys):
    proc = cli.main(train_main, ["--model", "mle", "data.max_vocab=3", "--show-config"], capsys)
    cli.user_error(proc, "data.max_vocab applies to text data", "data.oracle.vocab_size")
    proc = cli.main(train_main, ["--model", "mle", "--data", "coco", "data.oracle.seq_len=40", "--show-config"],
                    capsys)
    cli.user_error(proc, "data.oracle.seq_len applies to the synthetic oracle")
    # a config file's data section describes its own data set: --data naming another one replaces it
    tiny_oracle = REPO / "configs" / "tiny" / "mle.yaml"
    proc = cli.main(train_main, ["--config", tiny_oracle, "--data", "coco", "--show-config"], capsys)
    assert proc.returncode == 0, proc.stderr
    proc = cli.main(train_main, ["--config", tiny_oracle, "data.name=coco", "--show-config"], capsys)  # alike
    assert proc.returncode == 0, proc.stderr
    # a file that names no data set is checked against the one chosen: its keys say where they were set
    text_keys = REPO / "configs" / "tiny" / "mle_text.yaml"
    proc = cli.main(train_main, ["--config", text_keys, "--model", "mle", "--show-config"], capsys)
    cli.user_error(proc, f"data.tokenize (set in '{text_keys}') applies to text data")
    proc = cli.main(train_main, ["--config", tiny_oracle, "--show-config"], capsys)
    assert proc.returncode == 0 and "data.oracle.seq_len=8" in proc.stdout, proc.stderr
