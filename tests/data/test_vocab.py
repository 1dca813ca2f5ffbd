"""Tests of textgan.data.vocab: the HF word-level TextVocab, word splitters, the oracle's IdVocab."""

from __future__ import annotations

import pytest

from textgan.data.vocab import BOS, EOS, PAD, UNK, IdVocab, TextVocab, load_vocab, word_splitter
from textgan.errors import UserError

SENTENCES = [["the", "cat", "sat"], ["the", "dog", "ran", "."], ["a", "cat", "ran"]]


@pytest.fixture
def vocab() -> TextVocab:
    return TextVocab.build(SENTENCES)


def test_special_tokens_come_first(vocab):
    assert [vocab.id_to_token(i) for i in range(4)] == [PAD, BOS, EOS, UNK]
    assert (vocab.pad_id, vocab.bos_id, vocab.eos_id, vocab.unk_id) == (0, 1, 2, 3)
    assert vocab.size == 4 + len({w for s in SENTENCES for w in s})


def test_encode_decode_round_trip(vocab):
    ids = vocab.encode(SENTENCES)
    assert [len(x) for x in ids] == [len(s) for s in SENTENCES]
    assert all(i >= 4 for row in ids for i in row)
    assert [vocab.decode(row) for row in ids] == [" ".join(s) for s in SENTENCES]


def test_encode_refuses_unsplit_sentences(vocab):
    with pytest.raises(TypeError, match="pre-split sentences"):
        vocab.encode(["the cat sat"])  # would encode characters, each an <unk>


def test_unknown_words_map_to_unk(vocab):
    (ids,) = vocab.encode([["the", "zebra", "sat"]])
    assert ids[1] == vocab.unk_id and ids[0] != vocab.unk_id
    assert vocab.decode(ids) == f"the {UNK} sat"


def test_decode_stops_at_eos_and_drops_pad_and_bos(vocab):
    the, cat = vocab.encode([["the", "cat"]])[0]
    assert vocab.decode([vocab.bos_id, the, cat, vocab.eos_id, the, vocab.pad_id]) == "the cat"
    assert vocab.decode([the, vocab.pad_id, cat]) == "the cat"


def test_min_freq_and_max_size():
    assert TextVocab.build(SENTENCES, min_freq=2).size == 4 + 3  # the, cat, ran
    assert TextVocab.build(SENTENCES, max_size=6).size == 6


def test_save_load_keeps_ids(vocab, tmp_path):
    vocab.save(tmp_path)
    assert (tmp_path / "tokenizer.json").is_file()
    loaded = load_vocab(tmp_path)
    assert isinstance(loaded, TextVocab) and loaded.size == vocab.size
    probe = SENTENCES + [["unseen", "cat"]]
    assert loaded.encode(probe) == vocab.encode(probe)
    assert (loaded.pad_id, loaded.bos_id, loaded.eos_id, loaded.unk_id) == (0, 1, 2, 3)


def test_damaged_tokenizer_is_a_user_error(tmp_path):
    (tmp_path / "tokenizer.json").write_text("{not json")
    with pytest.raises(UserError, match="damaged"):
        load_vocab(tmp_path)


def test_run_dir_without_vocab_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no tokenizer.json or vocab.json"):
        load_vocab(tmp_path)


def test_nltk_and_whitespace_splitters():
    line = "Don't stop, Bob."
    assert word_splitter("nltk", lowercase=True)(line) == ["do", "n't", "stop", ",", "bob", "."]
    assert word_splitter("nltk", lowercase=False)(line) == ["Do", "n't", "stop", ",", "Bob", "."]
    assert word_splitter("whitespace", lowercase=True)(line) == ["don't", "stop,", "bob."]
    assert word_splitter("whitespace", lowercase=False)(line) == ["Don't", "stop,", "Bob."]
    with pytest.raises(UserError, match="unknown word splitter"):
        word_splitter("spacy", lowercase=True)


def test_unicode_normalisation_before_splitting():
    decomposed, full_width = "cafe\u0301 ok", "\uff21\uff22 \ufb01ne"   # e + combining acute; "ＡＢ ﬁne"
    assert word_splitter("whitespace", lowercase=False)(decomposed) == ["cafe\u0301", "ok"]      # as it is
    assert word_splitter("whitespace", lowercase=False, normalize="NFC")(decomposed) == ["caf\u00e9", "ok"]
    assert word_splitter("whitespace", lowercase=True, normalize="NFC")(full_width) == ["\uff41\uff42", "\ufb01ne"]
    assert word_splitter("whitespace", lowercase=True, normalize="NFKC")(full_width) == ["ab", "fine"]
    nltk_nfkc = word_splitter("nltk", lowercase=True, normalize="NFKC")
    assert nltk_nfkc("\uff21\uff22, \ufb01ne.") == ["ab", ",", "fine", "."]
    with pytest.raises(UserError, match="unknown Unicode normalisation 'nfc'; use one of none, NFC, NFKC"):
        word_splitter("whitespace", lowercase=True, normalize="nfc")


def test_id_vocab(tmp_path):
    v = IdVocab(50, bos_id=0)
    assert (v.size, v.bos_id, v.eos_id, v.pad_id) == (50, 0, None, 0)
    assert v.decode([3, 0, 49]) == "3 0 49"  # no EOS: every id is a token, 0 included
    v.save(tmp_path)
    loaded = load_vocab(tmp_path)
    assert isinstance(loaded, IdVocab) and (loaded.size, loaded.bos_id) == (50, 0)
