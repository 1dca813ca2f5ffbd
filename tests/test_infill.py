"""Tests of textgan.infill: present tokens are copied exactly, blanks follow the rules (no padding / BOS /
early EOS), fillings are seeded, and templates parse with clear errors."""

from __future__ import annotations

import logging

import pytest
import torch

from textgan.data.vocab import IdVocab, TextVocab
from textgan.errors import UserError
from textgan.infill import infill, parse_template
from textgan.nn.seq2seq import MaskSeq2SeqGenerator

V, T = 9, 8
PAD, BOS, EOS = 0, 1, 2


def gen() -> MaskSeq2SeqGenerator:
    torch.manual_seed(0)
    # a large init makes the untrained model's distribution far from uniform (and EOS often likely)
    return MaskSeq2SeqGenerator(V, 6, 8, bos_id=BOS, max_len=T, init_std=1.0)


def contexts():
    tokens = torch.tensor([[3, 4, 5, 6, 7, EOS, PAD, PAD], [8, 7, 6, 5, 4, 3, 8, EOS]])
    present = torch.tensor([[True, False, False, True, False, True, True, True],
                            [False, True, False, True, True, False, False, True]])
    return tokens, present


@pytest.mark.parametrize("kwargs", [{}, {"temperature": 3.0}, {"top_k": 2}, {"top_p": 0.5}])
def test_present_tokens_are_copied_unchanged(kwargs):
    tokens, present = contexts()
    out = infill(gen(), tokens, present, num=50, eos_id=EOS, pad_id=PAD, seed=0, **kwargs)   # (100, T)
    rep_tokens, rep_present = tokens.repeat_interleave(50, 0), present.repeat_interleave(50, 0)
    assert torch.equal(out[rep_present], rep_tokens[rep_present])
    blanks = out[~rep_present]
    assert not ((blanks == PAD) | (blanks == BOS) | (blanks == EOS)).any()   # EOS: a present token follows
    assert len({tuple(r) for r in out.tolist()}) > 10                          # blanks are actually sampled


def test_fillings_are_seeded_and_grouped_by_row():
    tokens, present = contexts()
    a = infill(gen(), tokens, present, num=3, eos_id=EOS, pad_id=PAD, seed=5)
    b = infill(gen(), tokens, present, num=3, eos_id=EOS, pad_id=PAD, seed=5)
    c = infill(gen(), tokens, present, num=3, eos_id=EOS, pad_id=PAD, seed=6)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert (a[:3, 5] == EOS).all() and (a[3:, 7] == EOS).all()


def test_a_masked_end_lets_the_generator_end_the_sentence():
    tokens = torch.tensor([[3, 4, 5, 6, 7, EOS, PAD, PAD]])
    present = torch.tensor([[True, True, False, False, False, False, False, False]])   # EOS and tail masked
    out = infill(gen(), tokens, present, num=200, eos_id=EOS, pad_id=PAD, seed=1)
    assert (out[:, :2] == tokens[:, :2]).all()
    ended = (out == EOS).any(1)
    assert ended.any()
    for row in out[ended].tolist():                            # padding only after the EOS
        end = row.index(EOS)
        assert all(x == PAD for x in row[end + 1:]) and PAD not in row[:end]


def test_oracle_ids_have_no_special_rules():
    tokens = torch.randint(0, V, (2, T), generator=torch.Generator().manual_seed(3))
    present = torch.rand(2, T, generator=torch.Generator().manual_seed(4)) < 0.5
    out = infill(gen(), tokens, present, num=20, eos_id=None, pad_id=0, seed=2)
    rep = present.repeat_interleave(20, 0)
    assert torch.equal(out[rep], tokens.repeat_interleave(20, 0)[rep])
    assert (out[~rep] == 0).any()                              # id 0 (the 'padding' id) is an ordinary token


@pytest.fixture(scope="module")
def vocab() -> TextVocab:
    return TextVocab.build([["a", "man", "riding", "horse", "down", "the", "street", "."]])


def test_template_blanks_become_masked_positions(vocab):
    context, present = parse_template("a man riding a ___ down the ___ .", vocab, 12)
    words = "a man riding a X down the X .".split()
    assert present[0].tolist() == [w != "X" for w in words] + [True] * 3
    assert context[0, len(words)] == vocab.eos_id and (context[0, len(words) + 1:] == vocab.pad_id).all()
    assert vocab.decode(context[0, :3].tolist()) == "a man riding"
    context, present = parse_template("___ ___ horse", vocab, 5)       # adjacent blanks: one token each
    assert present[0].tolist() == [False, False, True, True, True]


def test_template_errors_and_unknown_words(vocab, caplog):
    with pytest.raises(UserError, match="no blank"):
        parse_template("a man riding a horse", vocab, 12)
    with pytest.raises(UserError, match="at most 4"):
        parse_template("a man riding a ___", vocab, 5)
    with caplog.at_level(logging.WARNING):
        context, _ = parse_template("a zebra ___", vocab, 6)
    assert "zebra" in caplog.text and context[0, 1] == vocab.unk_id


def test_oracle_templates_are_ids_of_full_length():
    vocab = IdVocab(50)
    context, present = parse_template("1 2 ___ 4", vocab, 4)
    assert context[0].tolist()[:2] == [1, 2] and present[0].tolist() == [True, True, False, True]
    with pytest.raises(UserError, match="exactly 5"):
        parse_template("1 2 ___ 4", vocab, 5)
    with pytest.raises(UserError, match="integers"):
        parse_template("a ___", vocab, 2)
    with pytest.raises(UserError, match="outside the vocabulary"):
        parse_template("77 ___", vocab, 2)
