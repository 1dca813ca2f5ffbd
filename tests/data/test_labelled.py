"""Tests of textgan.data.labelled: `label<TAB>sentence` files, one file per class, the seeded split,
Latin-1 files (MR's encoding) with and without `data.encoding`, and one-line errors for bad input."""

from __future__ import annotations

import pytest
import torch
from conftest import write_tiny_labelled

from textgan.data.sources import DataConfig, load_data
from textgan.errors import UserError


def tsv_cfg(path, **kw) -> DataConfig:
    return DataConfig(name=str(path), labels="tsv", tokenize="whitespace", **kw)


def test_tsv_labels_follow_sentences_and_split_is_seeded_per_class(tiny_labelled):
    bundle = load_data(tsv_cfg(tiny_labelled, test_fraction=0.25))
    labels = bundle.labels
    assert labels.names == ["negative", "positive"] and labels.num_classes == 2
    assert (len(bundle.train), len(bundle.test)) == (30, 10)
    assert labels.train.shape == (30,) and labels.test.shape == (10,)
    assert labels.test.bincount().tolist() == [5, 5]            # each class split on its own
    # every sentence's adjective gives its class away: the labels travel with their sentences
    positive = {"good", "great", "fine", "lovely"}
    for tokens, y in zip(bundle.train.tokens.tolist(), labels.train.tolist()):
        assert (bundle.vocab.decode(tokens).split()[1] in positive) == (y == 1)
    again = load_data(tsv_cfg(tiny_labelled, test_fraction=0.25))
    assert torch.equal(again.test.tokens, bundle.test.tokens)
    other = load_data(tsv_cfg(tiny_labelled, test_fraction=0.25, split_seed=1))
    assert not torch.equal(other.test.tokens, bundle.test.tokens)
    assert bundle.kind == "text"                                # unconditional models train on it too


def test_tsv_test_file_and_unknown_test_label(tiny_labelled, tmp_path):
    test = tmp_path / "test.tsv"
    test.write_text("positive\ta good film .\nnegative\ta bad plot .\n")
    bundle = load_data(tsv_cfg(tiny_labelled, test=str(test)))
    assert (len(bundle.train), len(bundle.test)) == (40, 2) and bundle.labels.test.tolist() == [1, 0]
    test.write_text("neutral\ta film .\n")
    with pytest.raises(UserError, match="test labels neutral do not occur in the training data"):
        load_data(tsv_cfg(tiny_labelled, test=str(test)))


def test_class_files_and_drop_longer(tmp_path):
    (tmp_path / "p.txt").write_text("a good film .\na great long and lovely film .\n")
    (tmp_path / "n.txt").write_text("a bad film .\na dull plot .\n")
    files = [f"pos={tmp_path / 'p.txt'}", f"neg={tmp_path / 'n.txt'}"]
    cfg = DataConfig(name="pairs", labels="files", class_files=files, tokenize="whitespace", test_fraction=0.0,
                     max_len=4, drop_longer=True)
    bundle = load_data(cfg)
    assert bundle.labels.names == ["neg", "pos"] and bundle.test is None
    assert len(bundle.train) == 3 and bundle.info["dropped"] == 1 and bundle.seq_len == 5
    assert sorted(bundle.labels.train.tolist()) == [0, 0, 1]


def test_max_auto_len_bounds_the_longest_labelled_sentence(tiny_labelled):
    # the same data.max_auto_len guard as plain text files (a labelled file without line breaks would
    # otherwise set a sequence length of its whole length)
    longest = max(len(line.split("\t")[1].split()) for line in tiny_labelled.read_text().splitlines())
    assert load_data(tsv_cfg(tiny_labelled, max_auto_len=longest)).seq_len == longest + 1
    with pytest.raises(UserError, match=f"has {longest} words, over data.max_auto_len={longest - 1}"):
        load_data(tsv_cfg(tiny_labelled, max_auto_len=longest - 1))
    assert load_data(tsv_cfg(tiny_labelled, max_auto_len=2, max_len=3)).seq_len == 4


def write_latin1(tmp_path):
    # 0xe9 (e acute) is invalid UTF-8 here; 0x85 is NEL, which must not split the line
    (tmp_path / "pos.txt").write_bytes(b"a caf\xe9 film\x85 good .\nfine acting .\n")
    (tmp_path / "neg.txt").write_bytes(b"bad na\xefve plot .\ndull .\n")
    return [f"positive={tmp_path / 'pos.txt'}", f"negative={tmp_path / 'neg.txt'}"]


def test_latin1_needs_the_encoding_option(tmp_path):
    files = write_latin1(tmp_path)
    with pytest.raises(UserError) as err:
        load_data(DataConfig(name="x", labels="files", class_files=files, tokenize="whitespace"))
    message = str(err.value)
    assert "\n" not in message and "not valid utf-8" in message and "data.encoding=latin-1" in message
    bundle = load_data(DataConfig(name="x", labels="files", class_files=files, tokenize="whitespace",
                                  encoding="latin-1", test_fraction=0.0))
    sentences = {bundle.vocab.decode(t) for t in bundle.train.tokens.tolist()}
    # one sentence, not two: NEL is whitespace to the word splitter, never a line break
    assert "a café film good ." in sentences and len(sentences) == 4


@pytest.mark.parametrize("content, kw, needle", [
    ("positive a film without a tab\n", {}, "line 1 of"),
    ("positive\ta film .\npositive\tanother .\n", {}, "at least two classes"),
    ("positive\ta film .\nnegative\ta bad film .\t17\n", {}, "line 2 of .* has 3 tab-separated columns"),
])
def test_bad_tsv_is_one_line_error(tmp_path, content, kw, needle):
    path = tmp_path / "bad.tsv"
    path.write_text(content)
    with pytest.raises(UserError, match=needle) as err:
        load_data(tsv_cfg(path, **kw))
    assert "\n" not in str(err.value)


def test_bad_class_files_entries(tmp_path):
    with pytest.raises(UserError, match="needs data.class_files"):
        load_data(DataConfig(name="x", labels="files"))
    with pytest.raises(UserError, match="must be LABEL=PATH"):
        load_data(DataConfig(name="x", labels="files", class_files=["nolabel"]))


def test_labelled_settings_without_data_are_refused_not_ignored():
    # --data left at its default (the oracle) with data.labels set: the class files would be silently unused
    with pytest.raises(UserError, match="data.labels=files reads labelled text, not the oracle; pass --data"):
        load_data(DataConfig(labels="files", class_files=["positive=pos.txt", "negative=neg.txt"]))


def test_mr_with_the_tsv_layout_is_refused_by_name():
    with pytest.raises(UserError, match="'mr' is a named labelled set .*; remove data.labels=tsv"):
        load_data(DataConfig(name="mr", labels="tsv"))


def test_mr_is_read_as_its_latin1_bytes_without_the_option(data_dir):
    # the named set's encoding is known: data.encoding (left at utf-8 here) is for a user's files
    bundle = load_data(DataConfig(name="mr", tokenize="whitespace"), data_dir)
    assert bundle.info["encoding"] == "latin-1"
    same = load_data(DataConfig(name="mr", encoding="latin-1", tokenize="whitespace"), data_dir)
    assert same.train.fingerprint() == bundle.train.fingerprint() and same.vocab.size == bundle.vocab.size
    assert bundle.labels.names == ["negative", "positive"]
    assert len(bundle.train) + len(bundle.test) == 2 * 5331          # Pang & Lee: 5,331 per class
    assert bundle.labels.test.bincount().tolist() == [533, 533]      # 10% of each class, seeded


def test_a_setting_that_empties_a_class_is_an_error_naming_it(tmp_path):
    # the training sentences come grouped by class: data.max_train=3 kept one class only, silently
    path = write_tiny_labelled(tmp_path)
    cfg = DataConfig(name=str(path), labels="tsv", tokenize="whitespace", test_fraction=0.25, max_train=3)
    with pytest.raises(UserError, match=r"class 'positive' has no training sentences left .*data.max_train"):
        load_data(cfg)
    cfg.max_train, cfg.valid_size = 0, 29  # 30 training sentences, 15 a class: the held-out rows take a class
    with pytest.raises(UserError, match=r"has no training sentences left .*data.valid_size=29 held them out"):
        load_data(cfg)


def test_a_class_without_test_sentences_is_warned_about(tmp_path, caplog):
    # a header row ("label<TAB>text") becomes a class of one sentence, which the test split never gets
    path = write_tiny_labelled(tmp_path)
    path.write_text("label\ttext\n" + path.read_text())
    cfg = DataConfig(name=str(path), labels="tsv", tokenize="whitespace", test_fraction=0.25)
    data = load_data(cfg)
    assert data.labels.names == ["label", "negative", "positive"] and data.labels.untested() == [0]
    # the warning says what the evaluation does with it (ConditionalEvaluator leaves it out) and names the header
    assert "class 'label' has no test sentences" in caplog.text
    assert "left out of every per-class metric and of the means over classes" in caplog.text
    assert "class 'label' is only the file's first line: a header row? Delete that line" in caplog.text
    # a class of several sentences too few to split is not a header: the warning does not say it is
    caplog.clear()
    path.write_text(path.read_text().replace("label\ttext\n", "") + "postive\ta typo .\npostive\tanother typo .\n")
    assert load_data(cfg).labels.untested() == [2]  # round(0.25 * 2) = 0 test sentences; names sorted
    assert "class 'postive' has no test sentences" in caplog.text and "a mistyped label" in caplog.text
    assert "header" not in caplog.text
    # without test sentences at all no class is left out (class accuracy and self-BLEU need no reference)
    cfg.test_fraction = 0.0
    assert load_data(cfg).labels.untested() == []
