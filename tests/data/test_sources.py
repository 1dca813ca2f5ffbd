"""Tests of textgan.data.sources / text: text files and the oracle turned into DataBundles, and every
way a user's text file can be bad (each a one-line UserError that says how to fix it)."""

from __future__ import annotations

import logging
import os

import pytest
import torch

from textgan.data.sources import DataConfig, load_data
from textgan.data.vocab import IdVocab, TextVocab
from textgan.errors import UserError


def text_cfg(train, test=None, **kw) -> DataConfig:
    return DataConfig(name=str(train), test=str(test) if test else None, tokenize="whitespace", **kw)


def test_text_bundle_layout(tiny_text):
    train, test = tiny_text
    bundle = load_data(text_cfg(train, test))
    lines = train.read_text().splitlines()
    longest = max(len(line.split()) for line in lines + test.read_text().splitlines())
    assert isinstance(bundle.vocab, TextVocab) and bundle.oracle is None
    assert (len(bundle.train), len(bundle.test)) == (8, 3)
    assert bundle.seq_len == longest + 1  # room for EOS
    assert bundle.train.lengths.tolist() == [len(line.split()) + 1 for line in lines]
    eos, pad = bundle.vocab.eos_id, bundle.vocab.pad_id
    for row, n in zip(bundle.train.tokens, bundle.train.lengths):
        assert row[n - 1] == eos and eos not in row[: n - 1] and (row[n:] == pad).all()
    assert bundle.vocab.decode(bundle.train.tokens[0].tolist()) == lines[0]


def test_vocabulary_covers_train_and_test(tiny_text):
    train, test = tiny_text
    bundle = load_data(text_cfg(train, test))
    assert bundle.vocab.unk_id not in bundle.test.tokens  # 'zebra' is only in the test file
    assert bundle.vocab.decode(bundle.test.tokens[2].tolist()) == "the zebra sat ."
    without_test = load_data(text_cfg(train))
    assert without_test.test is None and without_test.vocab.size == bundle.vocab.size - 1


def test_max_len_truncates_with_a_warning(tiny_text, caplog):
    train, test = tiny_text
    with caplog.at_level(logging.WARNING, logger="textgan.data.sources"):
        bundle = load_data(text_cfg(train, test, max_len=4))
    assert bundle.seq_len == 5 and bundle.info["truncated"] == 10
    assert "10 sentences are longer than data.max_len=4" in caplog.text
    assert (bundle.train.lengths == 5).all() and (bundle.train.tokens[:, 4] == bundle.vocab.eos_id).all()
    assert bundle.vocab.decode(bundle.train.tokens[0].tolist()) == "the cat sat on"


def test_max_auto_len_bounds_the_longest_sentence_without_max_len(tiny_text):
    # data.max_auto_len: with data.max_len=0 the longest sentence sets the sequence length, and one longer than
    # max_auto_len words is an error; an explicit data.max_len is the way past it
    train, test = tiny_text
    longest = max(len(line.split()) for line in train.read_text().splitlines() + test.read_text().splitlines())
    assert load_data(text_cfg(train, test, max_auto_len=longest)).seq_len == longest + 1
    with pytest.raises(UserError, match=f"has {longest} words, over data.max_auto_len={longest - 1}"):
        load_data(text_cfg(train, test, max_auto_len=longest - 1))
    assert load_data(text_cfg(train, test, max_auto_len=2, max_len=4)).seq_len == 5


def test_max_vocab_keeps_the_most_frequent_words(tiny_text):
    train, test = tiny_text
    full = load_data(DataConfig(name=str(train), test=str(test), tokenize="whitespace"))
    capped = load_data(DataConfig(name=str(train), test=str(test), tokenize="whitespace", max_vocab=8))
    assert full.vocab.size > 8
    assert capped.vocab.size == 8                                # <pad> <bos> <eos> <unk> and 4 words
    assert (capped.train.tokens == capped.vocab.unk_id).any()    # the rest read as <unk>


def test_max_train_and_lowercase(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("The Cat\nthe cat\nA dog\n")
    bundle = load_data(text_cfg(f, max_train=2))
    assert len(bundle.train) == 2 and bundle.vocab.decode(bundle.train.tokens[0].tolist()) == "the cat"
    cased = load_data(text_cfg(f, lowercase=False))
    assert cased.vocab.decode(cased.train.tokens[0].tolist()) == "The Cat"


def test_named_data_set_under_the_data_root(tmp_path):
    (tmp_path / "coco").mkdir()
    (tmp_path / "coco" / "train.txt").write_text("a man rides a horse .\na cat sleeps .\n")
    (tmp_path / "coco" / "test.txt").write_text("a horse sleeps .\n")
    bundle = load_data(DataConfig(name="coco"), data_dir=tmp_path)
    assert (len(bundle.train), len(bundle.test)) == (2, 1)
    assert bundle.vocab.decode(bundle.test.tokens[0].tolist()) == "a horse sleeps ."


def test_latin1_file_loads_with_its_encoding(tmp_path):
    f = tmp_path / "latin1.txt"
    f.write_bytes("café au lait\nun\x85deux\nna\u00efve\n".encode("latin-1"))
    bundle = load_data(text_cfg(f, encoding="latin-1"))
    # lines are split on '\n' only: 0x85 (NEL in latin-1) separates words, not sentences
    assert len(bundle.train) == 3
    assert [bundle.vocab.decode(r) for r in bundle.train.tokens.tolist()] == ["café au lait", "un deux", "naïve"]


def write(path, data: bytes):
    path.write_bytes(data)
    return path


def _sentences(bundle) -> list[str]:
    return [bundle.vocab.decode(row) for row in bundle.train.tokens.tolist()]


def test_byte_order_mark_and_old_mac_line_endings(tmp_path):
    bom, cr = tmp_path / "bom.txt", tmp_path / "cr.txt"
    bom.write_text("\ufeffhello world\nhello there\n", encoding="utf-8")
    cr.write_bytes(b"the cat sat\rthe dog ran\ra bird flew\r")
    assert _sentences(load_data(DataConfig(name=str(bom), tokenize="whitespace"))) == ["hello world", "hello there"]
    assert _sentences(load_data(DataConfig(name=str(cr), tokenize="whitespace"))) == [
        "the cat sat", "the dog ran", "a bird flew"]


def test_unicode_normalisation_joins_spellings_of_one_word(tmp_path):
    path = tmp_path / "u.txt"
    path.write_text("caf\u00e9 noir\ncafe\u0301 au lait\n", encoding="utf-8")   # precomposed, then decomposed
    as_is = load_data(DataConfig(name=str(path), tokenize="whitespace"))
    assert as_is.vocab.size == 4 + 5
    # the same file again: the cached split of the first load must not be reused
    nfc = load_data(DataConfig(name=str(path), tokenize="whitespace", normalize="NFC"))
    assert nfc.vocab.size == 4 + 4 and _sentences(nfc) == ["caf\u00e9 noir", "caf\u00e9 au lait"]


def test_an_edit_that_keeps_the_modification_time_is_read(tmp_path):
    """The `datasets` cache keys a file by path and modification time; its lines are checked against the file."""
    path = tmp_path / "c.txt"
    path.write_text("alpha beta\ngamma delta\n")
    stat = path.stat()
    assert _sentences(load_data(str(path))) == ["alpha beta", "gamma delta"]
    path.write_text("a much longer first line\nand second\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _sentences(load_data(str(path))) == ["a much longer first line", "and second"]


def test_special_token_spellings_in_the_text_read_as_unknown(tmp_path):
    path = tmp_path / "special.txt"
    path.write_text("the <unk> token\nan <eos> in the middle\n<pad> and <bos> here\n")
    bundle = load_data(DataConfig(name=str(path), tokenize="whitespace"))
    vocab = bundle.vocab
    assert (vocab.pad_id, vocab.bos_id, vocab.eos_id, vocab.unk_id) == (0, 1, 2, 3)
    assert vocab.size == 4 + len({"the", "token", "an", "in", "middle", "and", "here"})
    # an <eos> in the text no longer cuts its sentence; the markers read as <unk>
    assert _sentences(bundle) == ["the <unk> token", "an <unk> in the middle", "<unk> and <unk> here"]


@pytest.mark.parametrize("content, message", [
    (b"", "is empty; it needs one sentence per line"),
    (b"\n  \n\t\n", "is empty"),
    (b"good line\ncaf\xe9\n", r"is not valid utf-8 \(byte 0xe9 on line 2\); pass data.encoding=latin-1"),
    (b"abc\x00\x01\x02def", "looks binary"),
])
def test_bad_text_files(tmp_path, content, message):
    f = write(tmp_path / "bad.txt", content)
    with pytest.raises(UserError, match=message) as err:
        load_data(text_cfg(f))
    assert str(f) in str(err.value) and "\n" not in str(err.value)


def test_missing_files(tmp_path, tiny_text):
    with pytest.raises(UserError, match=r"data file '.*nope\.txt' not found"):
        load_data(text_cfg(tmp_path / "nope.txt"))
    with pytest.raises(UserError, match=r"data file '.*nope\.txt' not found"):
        load_data(text_cfg(tiny_text[0], tmp_path / "nope.txt"))
    with pytest.raises(UserError, match="is not a file"):
        load_data(text_cfg(tmp_path))


def test_unknown_encoding(tiny_text):
    with pytest.raises(UserError, match="unknown encoding 'klingon' in data.encoding"):
        load_data(text_cfg(tiny_text[0], encoding="klingon"))


def test_unknown_or_missing_named_data_set(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match="unknown data set 'cocoa'; use one of oracle, coco"):
        load_data(DataConfig(name="cocoa"), data_dir=tmp_path)
    with pytest.raises(UserError, match="data set 'coco' not found at .*python -m textgan.data download coco"):
        load_data(DataConfig(name="coco"), data_dir=tmp_path)
    # the full EMNLP News train file is not redistributed: no download suggestion that cannot work
    with pytest.raises(UserError, match="its train file is not downloadable .*--data emnlp_news_10k") as info:
        load_data(DataConfig(name="emnlp_news"), data_dir=tmp_path)
    assert "run `python -m textgan.data download" not in str(info.value)
    # a downloadable file that is not a named data set: the error gives its path
    with pytest.raises(UserError, match="'chinese_poems' is downloadable but not a named data set; .*"
                                        "chinese_poems/shi.txt"):
        load_data(DataConfig(name="chinese_poems"), data_dir=tmp_path)


def oracle_cfg(**kw) -> DataConfig:
    cfg = DataConfig()
    defaults = {"params": "seeded", "vocab_size": 50, "emb_dim": 8, "hidden_dim": 8, "seq_len": 8,
                "num_train": 40, "num_test": 10}
    for k, v in {**defaults, **kw}.items():
        setattr(cfg.oracle, k, v)
    return cfg


def test_oracle_bundle(tmp_path):
    bundle = load_data(oracle_cfg(), data_dir=tmp_path)
    assert isinstance(bundle.vocab, IdVocab) and bundle.vocab.size == 50 and bundle.oracle is not None
    assert bundle.train.tokens.shape == (40, 8) and bundle.test.tokens.shape == (10, 8)
    assert (bundle.train.lengths == 8).all() and bundle.train.tokens.max() < 50
    again = load_data(oracle_cfg(), data_dir=tmp_path)
    assert torch.equal(again.train.tokens, bundle.train.tokens)
    other = load_data(oracle_cfg(data_seed=1), data_dir=tmp_path)
    assert not torch.equal(other.train.tokens, bundle.train.tokens)
    assert load_data(oracle_cfg(num_test=0), data_dir=tmp_path).test is None


def test_oracle_params_errors(tmp_path):
    with pytest.raises(UserError, match="seqgan_oracle.*not found.*data.oracle.params=seeded"):
        load_data(oracle_cfg(params="seqgan"), data_dir=tmp_path)
    with pytest.raises(UserError, match="not found"):
        load_data(oracle_cfg(params=str(tmp_path / "x.npz")), data_dir=tmp_path)


def test_auto_oracle_uses_seqgan_params_when_present(data_dir):
    if not (data_dir / "seqgan_oracle" / "target_params.npz").is_file():
        pytest.skip("the shared data has no seqgan_oracle/target_params.npz")
    with pytest.raises(UserError, match="has vocab 5000 and hidden 32"):
        load_data(oracle_cfg(params="auto"), data_dir=data_dir)
    bundle = load_data(oracle_cfg(params="auto", vocab_size=5000, hidden_dim=32, num_train=8, num_test=0),
                       data_dir=data_dir)
    assert bundle.info["oracle"].startswith("SeqGAN target_params") and bundle.vocab.size == 5000
