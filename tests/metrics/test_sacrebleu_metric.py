"""sacreBLEU with the whole test set as every sample's references (textgan/metrics/sacrebleu_metric.py)."""

from __future__ import annotations

import random

import pytest
from sacrebleu.metrics import BLEU

from textgan.metrics.sacrebleu_metric import detokenize, sacrebleu_corpus


def _explicit(hyps, refs, lowercase=False):
    # The definition spelled out with sacreBLEU's public API: M reference streams, each the same sentence N times.
    return BLEU(lowercase=lowercase, force=True).corpus_score(hyps, [[r] * len(hyps) for r in refs]).score / 100


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_explicit_multi_reference_corpus_bleu(seed):
    rnd = random.Random(seed)
    words = ["a", "man", "dog", "the", "on", "sits", "runs", "bike", ".", ",", "red", "blue", "A", "Dog"]
    refs = [" ".join(rnd.choices(words, k=rnd.randint(1, 10))) for _ in range(25)]
    hyps = [" ".join(rnd.choices(words, k=rnd.randint(0, 10))) for _ in range(15)]
    assert sacrebleu_corpus(hyps, refs) == pytest.approx(_explicit(hyps, refs), abs=1e-12)
    assert sacrebleu_corpus(hyps, refs, lowercase=True) == pytest.approx(_explicit(hyps, refs, True), abs=1e-12)


def test_edge_cases():
    refs = ["a dog runs on the beach.", "a cat sits on a mat."]
    assert sacrebleu_corpus(refs, refs) == pytest.approx(1.0)
    assert sacrebleu_corpus([], refs) == 0.0
    with pytest.raises(ValueError):
        sacrebleu_corpus(["x"], [])


def test_detokenize_inverts_nltk_tokens():
    assert detokenize(["a", "dog", "runs", "at", "night", "."]) == "a dog runs at night."
    assert detokenize(["it", "'s", "a", "cat", ",", "too"]) == "it's a cat, too"
