"""Tests of textgan.metrics.infill: % unique n-grams of filled spans on known rows, and the in-filling
evaluation of a tiny model (fixed-seed masks, own sentence excluded from the references)."""

from __future__ import annotations

import math

import torch

from textgan.data.corpus import Corpus
from textgan.data.sources import DataBundle
from textgan.data.vocab import IdVocab
from textgan.metrics.infill import evaluate_infill, unique_ngram_percent
from textgan.nn.seq2seq import MaskSeq2SeqGenerator


def test_unique_ngrams_count_inside_spans_only():
    rows = [[1, 2, 3, 1, 2, 9], [1, 2, 3, 4, 5, 6]]
    spans = [[(0, 3), (3, 5)], [(0, 3)]]
    out = unique_ngram_percent(rows, spans, max_n=3)
    # unigrams: 1 2 3 | 1 2 | 1 2 3 -> 8 total, 3 distinct; bigrams: 12 23 | 12 | 12 23 -> 5 total, 2 distinct
    assert math.isclose(out["1"], 100 * 3 / 8) and math.isclose(out["2"], 100 * 2 / 5)
    assert math.isclose(out["3"], 100 * 1 / 2)                       # (1 2 3) twice; no n-gram crosses spans
    assert math.isnan(unique_ngram_percent([[1]], [[]], max_n=1)["1"])


def test_evaluate_infill_on_a_tiny_model(caplog):
    g = torch.Generator().manual_seed(0)
    test = Corpus(torch.randint(0, 15, (40, 6), generator=g), torch.full((40,), 6))
    data = DataBundle("toy", test, test, IdVocab(15))
    torch.manual_seed(0)
    gen = MaskSeq2SeqGenerator(15, 6, 8, max_len=6)
    a = evaluate_infill(gen, data, num=30, seed=3, present_rate=0.5)
    b = evaluate_infill(gen, data, num=30, seed=3, present_rate=0.5)
    assert a["bleu"] == b["bleu"] and str(a["unique_ngrams"]) == str(b["unique_ngrams"])  # fixed seeds
    # at most half of the test set is filled: the other half stays BLEU's reference set
    assert a["n_filled"] == 20 and a["n_references"] == 20
    assert "in-filling 20 of the 40 test sentences (not --num 30)" in caplog.text
    assert a["protocol"]["masked_fraction"] == 0.5                    # 3 of 6 positions per sentence
    assert 0 <= a["masked_accuracy"] <= 1 and a["infill_nll"] > 0
    assert set(a["bleu"]) == {"2", "3", "4", "5"} and all(0 <= v <= 1 for v in a["self_bleu"].values())
    assert a["samples"][0]["masked"].count("___") == 3


def test_evaluate_infill_on_the_oracle_scores_fillings_and_originals_under_the_oracle():
    from textgan.data.oracle import seeded_oracle
    from textgan.metrics.nll import nll_oracle
    from textgan.sampling import sample

    oracle = seeded_oracle(vocab_size=15, emb_dim=8, hidden_dim=8, seed=0)   # N(0,1) weights: a peaked oracle
    tokens = sample(oracle, 40, 6, seed=1)
    test = Corpus(tokens, torch.full((40,), 6))
    data = DataBundle("oracle", test, test, IdVocab(15, bos_id=0), oracle)
    torch.manual_seed(0)
    untrained = MaskSeq2SeqGenerator(15, 6, 8, max_len=6)                     # fills close to uniformly
    out = evaluate_infill(untrained, data, num=20, seed=3, present_rate=0.5)
    assert math.isclose(out["nll_oracle_original"], nll_oracle(oracle, tokens[:20]), rel_tol=1e-9)
    assert out["nll_oracle_filled"] > out["nll_oracle_original"] + 0.5
    text_data = DataBundle("toy", test, test, IdVocab(15))
    assert "nll_oracle_filled" not in evaluate_infill(untrained, text_data, num=20, seed=3, present_rate=0.5)
