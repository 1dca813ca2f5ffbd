"""sacreBLEU for unconditional generation: corpus BLEU with the whole test set as every sample's references.

sacreBLEU (Post, 2018, "A Call for Clarity in Reporting BLEU Scores") is a *parallel* metric:
`corpus_bleu(hyps, [refs])` pairs hyps[i] with refs[i]. Generated samples have no aligned reference, so
pairing sample i with test sentence i would measure nothing. The definition used here instead is

    sacrebleu = BLEU().corpus_score(samples, [[ref_j] * N for ref_j in test_set]).score / 100

i.e. sacreBLEU's own BLEU (13a tokenisation, BLEU-4, corpus-level sums of clipped n-gram matches and of
closest reference lengths, 'exp' smoothing) where every sample has all M test sentences as its
references, the same reference set as the protocol's BLEU-n. It is reported as a readability number
for readers used to sacreBLEU, next to (not instead of) the protocol's BLEU-n, which averages
sentence-level nltk BLEU over samples.

Building M reference streams of N copies would cost N x M work. Every sample sees the same reference
set, so sacreBLEU's per-segment reference statistics (n-gram counts maxed over the references, the
reference lengths) are the same for all of them and are computed once with sacreBLEU's own methods.
The reference lengths are deduplicated: the closest length (ties -> shorter) depends only on the set
of distinct lengths. tests/metrics/test_sacrebleu_metric.py checks equality with the explicit
`corpus_score` call, which guards against changes in the sacreBLEU internals used here.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["detokenize", "sacrebleu_corpus"]

_DETOKENIZER = None


def detokenize(words: Sequence[str]) -> str:
    """Join nltk (Treebank) word tokens back into plain text, e.g. ["night", "."] -> "night."

    sacreBLEU tokenises its input itself and expects detokenised text; samples decoded from a run are
    nltk tokens joined by spaces, so they are detokenised with the inverse of the tokenizer that made them.
    """
    global _DETOKENIZER
    if _DETOKENIZER is None:
        from nltk.tokenize.treebank import TreebankWordDetokenizer

        _DETOKENIZER = TreebankWordDetokenizer()
    return _DETOKENIZER.detokenize(list(words))


def sacrebleu_corpus(hypotheses: Sequence[str], references: Sequence[str], lowercase: bool = False) -> float:
    """sacreBLEU corpus BLEU-4 (in [0, 1]) of `hypotheses`, each against all of `references` (see above).

    Both are plain, detokenised strings. `lowercase=True` lowercases both sides (use it when the
    generator only produces lowercase text but the reference file is cased).
    """
    from sacrebleu.metrics import BLEU

    if not references:
        raise ValueError("sacreBLEU needs at least one reference sentence")
    if not hypotheses:
        return 0.0
    # force=True: samples decoded from a word-level model may end in " ." which sacreBLEU would flag
    # as "already tokenised"; that warning is about MT system outputs, not this use.
    metric = BLEU(lowercase=lowercase, force=True)
    ref_info = metric._extract_reference_info([metric._preprocess_segment(r) for r in references])
    ref_info["ref_lens"] = sorted(set(ref_info["ref_lens"]))
    order = metric.max_ngram_order
    totals = [0] * (2 + 2 * order)   # [sys_len, ref_len, correct_1..4, total_1..4], summed over samples
    for hyp in hypotheses:
        stats = metric._compute_segment_statistics(metric._preprocess_segment(hyp), ref_info)
        for k, v in enumerate(stats):
            totals[k] += v
    return metric._compute_score_from_stats(totals).score / 100.0
