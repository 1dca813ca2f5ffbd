"""Tests for textgan.metrics.bleu: parity with nltk's sentence_bleu (method1, uniform weights).

Every case compares our per-hypothesis BLEU-2..5 / self-BLEU-2..5 and their means with a plain loop
over nltk's `sentence_bleu` to 1e-9: tiny vocabularies (many ties and clipping), sentences shorter
than n, empty hypotheses, a single reference, duplicated samples, and a COCO subset (only when
$TEXTGAN_DATA_DIR/coco holds the data; skipped otherwise).
"""

from __future__ import annotations

import os
import random
import warnings
from pathlib import Path

import numpy as np
import pytest
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

from textgan.metrics import bleu, self_bleu
from textgan.metrics.bleu import bleu_per_hypothesis, self_bleu_per_sample

TOL = 1e-9
MAX_N = 5
_SMOOTH = SmoothingFunction().method1


def nltk_scores(references, hypothesis, max_n=MAX_N):
    """nltk BLEU-2..max_n of one hypothesis, one sentence_bleu call per order as specified."""
    with warnings.catch_warnings():
        # nltk warns about short/degenerate inputs; the values are what we compare against.
        warnings.simplefilter("ignore", UserWarning)
        return [float(sentence_bleu(references, hypothesis, weights=(1 / n,) * n,
                                    smoothing_function=_SMOOTH))
                for n in range(2, max_n + 1)]


def nltk_bleu(hyps, refs, max_n=MAX_N):
    return np.array([nltk_scores(refs, h, max_n) for h in hyps]).reshape(len(hyps), max_n - 1)


def nltk_self_bleu(samples, max_n=MAX_N):
    # Leave-one-out by position: a duplicate of sample i stays among its references.
    rows = [nltk_scores(samples[:i] + samples[i + 1:], s, max_n) for i, s in enumerate(samples)]
    return np.array(rows).reshape(len(samples), max_n - 1)


def assert_bleu_parity(hyps, refs, max_n=MAX_N):
    ours = bleu_per_hypothesis(hyps, refs, max_n)
    expected = nltk_bleu(hyps, refs, max_n)
    np.testing.assert_allclose(ours, expected, rtol=0, atol=TOL)
    means = bleu(hyps, refs, max_n)
    assert sorted(means) == list(range(2, max_n + 1))
    for n, value in means.items():
        assert isinstance(value, float)
        assert abs(value - expected[:, n - 2].mean()) <= TOL


def assert_self_bleu_parity(samples, max_n=MAX_N):
    ours = self_bleu_per_sample(samples, max_n)
    expected = nltk_self_bleu(samples, max_n)
    np.testing.assert_allclose(ours, expected, rtol=0, atol=TOL)
    for n, value in self_bleu(samples, max_n).items():
        assert abs(value - expected[:, n - 2].mean()) <= TOL


def random_sentences(rng, count, vocab, max_len=8, as_str=False):
    words = [f"w{i}" for i in range(vocab)] if as_str else list(range(vocab))
    return [[rng.choice(words) for _ in range(rng.randint(0, max_len))] for _ in range(count)]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("as_str", [False, True])
def test_bleu_random_tiny_vocab(seed, as_str):
    rng = random.Random(seed)
    hyps = random_sentences(rng, 25, vocab=rng.randint(3, 5), as_str=as_str)
    refs = random_sentences(rng, 15, vocab=rng.randint(3, 5), as_str=as_str)
    assert_bleu_parity(hyps, refs)


@pytest.mark.parametrize("seed", range(6))
def test_self_bleu_random_tiny_vocab(seed):
    rng = random.Random(100 + seed)
    samples = random_sentences(rng, 20, vocab=rng.randint(3, 5))
    assert_self_bleu_parity(samples)


def test_short_and_empty_hypotheses():
    # Lengths 0..4 are shorter than some n in 2..5: nltk uses 0 / max(1, 0) for those orders,
    # and an empty hypothesis (no unigram match) scores 0.
    refs = [["a", "b", "a", "c"], ["b", "a"], ["c", "c", "a", "b", "a", "b"], []]
    hyps = [[], ["a"], ["d"], ["a", "b"], ["b", "a", "c"], ["a", "b", "a", "c"], ["d", "d", "d"]]
    assert_bleu_parity(hyps, refs)
    assert bleu_per_hypothesis([[]], refs)[0].tolist() == [0.0] * (MAX_N - 1)


def test_single_reference():
    rng = random.Random(7)
    ref = [rng.randrange(4) for _ in range(9)]
    hyps = random_sentences(rng, 30, vocab=4, max_len=12)
    assert_bleu_parity(hyps, [ref])


def test_single_reference_that_is_empty():
    assert_bleu_parity([["x", "y"], [], ["x"]], [[]])


def test_brevity_penalty_ties_prefer_shorter_reference():
    # Reference lengths 2 and 4 are both 1 away from a length-3 hypothesis: nltk takes 2 (no
    # penalty); a length-1 hypothesis takes 2 (penalty).
    refs = [["a", "b", "c", "d"], ["a", "b"]]
    assert_bleu_parity([["a", "b", "c"], ["a"], ["a", "b", "c", "d", "e"]], refs)


def test_self_bleu_duplicates():
    samples = [["a", "b", "a"], ["a", "b", "a"], ["b", "a"], ["a"], [], ["a", "b", "a", "b", "a"]]
    assert_self_bleu_parity(samples)
    # All samples identical: each one's copy is a perfect reference.
    same = [["x", "y", "z", "w", "v"]] * 3
    np.testing.assert_allclose(self_bleu_per_sample(same), 1.0, rtol=0, atol=TOL)
    assert_self_bleu_parity(same)


@pytest.mark.parametrize("seed", range(4))
def test_self_bleu_random_with_duplicates(seed):
    rng = random.Random(200 + seed)
    samples = random_sentences(rng, 12, vocab=3, max_len=6)
    samples += [list(rng.choice(samples)) for _ in range(4)]
    rng.shuffle(samples)
    assert_self_bleu_parity(samples)


def test_self_bleu_lengths_unique_and_shared():
    # Exercises leave-one-out closest lengths: unique lengths (own length excluded) and shared.
    samples = [["a"] * n for n in (1, 2, 2, 5, 7, 10)] + [["b", "a", "a"]]
    assert_self_bleu_parity(samples)


def test_max_n_two_and_tuples():
    hyps = [("a", "b", "c"), ("c", "b")]
    refs = [("a", "b", "c", "d"), ("b", "c")]
    assert_bleu_parity(hyps, refs, max_n=2)
    assert set(bleu(hyps, refs, max_n=2)) == {2}


def test_errors():
    with pytest.raises(ValueError, match="at least one reference"):
        bleu([["a"]], [])
    with pytest.raises(ValueError, match="at least one hypothesis"):
        bleu([], [["a"]])
    with pytest.raises(ValueError, match="at least 2 samples"):
        self_bleu([["a"]])
    with pytest.raises(ValueError, match="max_n"):
        bleu([["a"]], [["a"]], max_n=1)


@pytest.mark.parametrize("hypotheses, message", [
    (["a man rides", "a dog"], "item 0 is a string"),          # sentences not split: would score characters
    ("a man rides".split(), "item 0 is a string"),              # one tokenised sentence, not a list of them
    ([1, 2, 3], "item 0 is a int"),
    ([[["a"]]], "must be hashable"),
    (None, "got NoneType"),
    (np.array([[1, 2, 3], [2, 3, 4]]), "got a ndarray of ids; decode it without the padding"),
    ([np.array([1, 2, 3]), np.array([2, 3])], "item 0 is a ndarray of ids; decode it without the padding"),
])
def test_input_that_would_score_the_wrong_thing_is_refused(hypotheses, message):
    with pytest.raises(TypeError, match=message):
        bleu(hypotheses, [["a", "man"]])
    with pytest.raises(TypeError, match=message):
        self_bleu(hypotheses if hypotheses is None or len(hypotheses) > 1 else [*hypotheses, *hypotheses])


def test_ids_against_words_is_refused_not_scored_zero():
    with pytest.raises(TypeError, match="the hypotheses hold int tokens and the references str tokens"):
        bleu([[1, 2, 3], [2, 3, 4]], [["a", "man", "rides"]])
    # the same kind on both sides scores as before, ids included (numpy ids count as ints)
    assert bleu([[1, 2, 3]], [[1, 2, 3]], max_n=3) == {2: 1.0, 3: 1.0}
    assert bleu([list(np.array([1, 2, 3]))], [[1, 2, 3]], max_n=2) == {2: 1.0}


def _coco_dir() -> Path | None:
    root = os.environ.get("TEXTGAN_DATA_DIR")
    if not root:
        return None
    coco = Path(root) / "coco"
    return coco if (coco / "train.txt").is_file() and (coco / "test.txt").is_file() else None


def _read_lines(path: Path, count: int) -> list[list[str]]:
    with path.open(encoding="utf-8") as f:
        lines = [line.lower().split() for line, _ in zip(f, range(count))]
    return lines


def test_coco_subset_parity():
    coco = _coco_dir()
    if coco is None:
        pytest.skip("COCO data not found: set TEXTGAN_DATA_DIR to a folder with coco/train.txt "
                    "and coco/test.txt to run this parity test")
    hyps = _read_lines(coco / "train.txt", 60)
    refs = _read_lines(coco / "test.txt", 300)
    assert_bleu_parity(hyps, refs)
    assert_self_bleu_parity(hyps[:40])
