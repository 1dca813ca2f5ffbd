"""The validation split (`data.valid_size`, textgan/data/validation.py): held-out rows leave the training
set (labelled ones with their class), the split is fixed by `data.split_seed`, the vocabulary is unchanged,
the evaluator reports `nll_valid` on it, and an impossible size is a one-line error."""

from __future__ import annotations

import pytest
import torch

from textgan.data.sources import DataConfig, OracleConfig, load_data
from textgan.errors import UserError
from textgan.evaluation import EvalConfig, Evaluator
from textgan.metrics.nll import sequence_nll
from textgan.nn import GeneratorConfig, build_generator


def text_cfg(train, test, **kw) -> DataConfig:
    return DataConfig(name=str(train), test=str(test), tokenize="whitespace", **kw)


def rows(corpus) -> list[tuple[int, ...]]:
    return [tuple(r) for r in corpus.tokens.tolist()]


def test_held_out_rows_leave_the_training_set(tiny_text):
    train, test = tiny_text
    whole = load_data(text_cfg(train, test))
    split = load_data(text_cfg(train, test, valid_size=3))
    assert whole.valid is None and (len(split.train), len(split.valid)) == (len(whole.train) - 3, 3)
    assert sorted(rows(split.train) + rows(split.valid)) == sorted(rows(whole.train))
    assert split.vocab.size == whole.vocab.size and torch.equal(split.test.tokens, whole.test.tokens)
    assert split.info["valid"] == 3 and split.info["train"] == len(whole.train) - 3
    again = load_data(text_cfg(train, test, valid_size=3))
    other = load_data(text_cfg(train, test, valid_size=3, split_seed=1))
    assert rows(again.valid) == rows(split.valid) and rows(other.valid) != rows(split.valid)


def test_oracle_data_splits_too():
    oracle = OracleConfig(params="seeded", vocab_size=20, emb_dim=4, hidden_dim=4, seq_len=6, num_train=40,
                          num_test=10)
    bundle = load_data(DataConfig(name="oracle", valid_size=8, oracle=oracle))
    assert (len(bundle.train), len(bundle.valid), len(bundle.test)) == (32, 8, 10)


def test_evaluator_reports_nll_valid(tiny_text):
    train, test = tiny_text
    bundle = load_data(text_cfg(train, test, valid_size=3))
    generator = build_generator(GeneratorConfig(emb_dim=4, hidden_dim=4), bundle.vocab.size, bundle.vocab.bos_id)
    metrics, _ = Evaluator(bundle, EvalConfig(num_samples=4, bleu=False)).evaluate(generator)
    assert {"nll_valid", "nll_test"} <= set(metrics) and metrics["nll_valid"] > 0
    # the held-out rows' NLL, not another split's: `> 0` held with nll_valid scored on the training rows
    expected = sequence_nll(generator, bundle.valid.tokens, bundle.valid.lengths)
    assert metrics["nll_valid"] == pytest.approx(expected, rel=1e-9)
    others = [sequence_nll(generator, c.tokens, c.lengths) for c in (bundle.train, bundle.test)]
    assert all(v != pytest.approx(expected, rel=1e-6) for v in others)  # the splits' values tell them apart


@pytest.mark.parametrize("size", [12, 50])
def test_a_split_that_leaves_no_training_data_is_refused(tiny_text, size):
    train, test = tiny_text
    with pytest.raises(UserError, match=f"data.valid_size={size} leaves no training data") as err:
        load_data(text_cfg(train, test, valid_size=size))
    assert "\n" not in str(err.value)


def test_a_one_sentence_corpus_cannot_hold_data_out(tmp_path):
    (tmp_path / "one.txt").write_text("the cat sat\n")
    cfg = DataConfig(name=str(tmp_path / "one.txt"), tokenize="whitespace", valid_size=1)
    with pytest.raises(UserError, match="has 1 training sentence\\); holding data out needs at least 2") as err:
        load_data(cfg)
    assert "use a value below" not in str(err.value)  # no advice that cannot be followed


def test_labelled_data_keeps_each_held_out_sentence_class(tiny_labelled):
    cfg = dict(name=str(tiny_labelled), labels="tsv", tokenize="whitespace")
    whole, split = load_data(DataConfig(**cfg)), load_data(DataConfig(**cfg, valid_size=6))
    assert (len(split.train), len(split.valid)) == (len(whole.train) - 6, 6)
    assert (len(split.labels.train), len(split.labels.valid)) == (len(split.train), 6)
    # every (sentence, class) pair of the split is one of the whole set's, none lost or relabelled
    pairs = sorted(zip(rows(whole.train), whole.labels.train.tolist()))
    parts = list(zip(rows(split.train), split.labels.train.tolist()))
    parts += list(zip(rows(split.valid), split.labels.valid.tolist()))
    assert sorted(parts) == pairs
    assert sum(split.info["labels"].values()) == len(split.train)
