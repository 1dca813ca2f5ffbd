"""Exact, vectorised BLEU-n and self-BLEU-n for sets of token sequences.

Implements `bleu` (each hypothesis against one shared reference set) and `self_bleu` (each sample
against all the other samples), both averaged over hypotheses, plus the per-hypothesis variants
`bleu_per_hypothesis` and `self_bleu_per_sample` returning arrays of shape (N, max_n - 1) whose
column k holds BLEU-(k + 2).

The values equal nltk's `sentence_bleu(references, hyp, weights=(1/n,)*n,
smoothing_function=SmoothingFunction().method1)` (nltk 3.x) up to float rounding (~1e-15):

* modified precision of order k: numerator = sum over the hypothesis' k-grams of
  min(count in hyp, max count in any single reference); denominator = max(1, len(hyp) - k + 1),
  so hypotheses shorter than k get 0 / 1;
* nltk returns 0 when the unigram numerator is 0 (this covers empty hypotheses);
* method1 replaces a zero numerator by epsilon = 0.1, i.e. p_k = 0.1 / denominator (nltk's
  Fraction is built with `_normalize=False`, so method1 sees the raw, unreduced denominator);
* brevity penalty with r = closest reference length (ties -> the shorter length) and c = len(hyp):
  1 if c > r, else exp(1 - r / c);
* score = bp * exp(sum_k (1/n) * log(p_k)) for k = 1..n.

Instead of nltk's hypotheses x references loop, every sequence is integer-encoded once, k-grams get
exact dense ids by repeatedly ranking (id of (k-1)-gram, next token) pairs with `np.unique`, and
per-sequence k-gram counts become (sequence, id, count) tables. The clip count of every k-gram is
then one table lookup: the max over the references (bleu), or the leave-one-out max (self-BLEU),
which is the top count unless the sample is the holder of the top count, in which case it is the
second count (equal to the top when the top is shared, e.g. by duplicated samples).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from numbers import Integral

import numpy as np

__all__ = ["bleu", "bleu_per_hypothesis", "self_bleu", "self_bleu_per_sample"]

# nltk's SmoothingFunction default epsilon for method1.
_EPSILON = 0.1
_INT64_MAX = np.iinfo(np.int64).max

Tokens = Sequence[Hashable]


def _check_max_n(max_n: int) -> None:
    if not isinstance(max_n, (int, np.integer)) or isinstance(max_n, bool) or max_n < 2:
        raise ValueError(f"max_n must be an integer >= 2 (BLEU-2..max_n), got {max_n!r}")


def _encode(seqs: Sequence[Tokens]) -> tuple[np.ndarray, np.ndarray, int]:
    """Map tokens to dense ints; return (concatenated token ids, lengths, vocabulary size).

    A dict lookup gives the same equality semantics as nltk's tuple comparison (1 == 1.0, ...),
    and works for any hashable token type, str or int alike.
    """
    vocab: dict[Hashable, int] = {}
    lookup = vocab.setdefault
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    # One flat comprehension is the cheapest pure-Python way to walk ~10^5-10^6 tokens.
    flat = [lookup(tok, len(vocab)) for s in seqs for tok in s]
    return np.asarray(flat, dtype=np.int64), lengths, max(1, len(vocab))


def _check_key_range(a: int, b: int) -> None:
    # Combined keys x * b + y (x < a, y < b) must fit in int64 to stay exact. Both factors are at
    # most the number of tokens, so only absurd corpora (> 3e9 tokens) can fail.
    if a * b >= _INT64_MAX:
        raise ValueError("corpus too large for exact int64 n-gram keys")


def _ngram_tables(seqs: Sequence[Tokens], max_n: int):
    """Yield, for k = 1..max_n, the k-gram count table (seq index, k-gram id, count, n_ids).

    Ids are exact (no hashing collisions): the id of a k-gram is the rank of the pair
    (id of its (k-1)-gram prefix, last token) among all such pairs in the corpus.
    """
    tok, lengths, vocab_size = _encode(seqs)
    n_seq = len(lengths)
    seq_of_pos = np.repeat(np.arange(n_seq, dtype=np.int64), lengths)
    starts = np.cumsum(lengths) - lengths
    # remaining[p] = number of tokens from p to the end of its sequence (p included).
    remaining = lengths[seq_of_pos] - (np.arange(len(tok), dtype=np.int64) - starts[seq_of_pos])
    pos = np.arange(len(tok), dtype=np.int64)  # start positions of the current k-grams
    ids = tok
    n_ids = vocab_size
    for k in range(1, max_n + 1):
        if k > 1:
            keep = remaining[pos] >= k
            pos, ids = pos[keep], ids[keep]
            _check_key_range(n_ids, vocab_size)
            pair = ids * vocab_size + tok[pos + k - 1]
            uniq, ids = np.unique(pair, return_inverse=True)
            ids = ids.reshape(-1).astype(np.int64, copy=False)
            n_ids = max(1, len(uniq))
        _check_key_range(n_seq, n_ids)
        seq_key = seq_of_pos[pos] * n_ids + ids
        uniq_key, counts = np.unique(seq_key, return_counts=True)
        yield uniq_key // n_ids, uniq_key % n_ids, counts.astype(np.int64), n_ids


def _closest_lengths(hyp_len: np.ndarray, pred: np.ndarray, succ: np.ndarray) -> np.ndarray:
    """nltk's closest_ref_length given the nearest candidate lengths below/above (NaN = none).

    nltk takes min by (abs(ref_len - hyp_len), ref_len), so on equal distance the shorter
    (`pred`) wins; `pred` may equal hyp_len (distance 0).
    """
    d_pred = np.where(np.isnan(pred), np.inf, hyp_len - pred)
    d_succ = np.where(np.isnan(succ), np.inf, succ - hyp_len)
    return np.where(d_pred <= d_succ, pred, succ)


def _brevity_penalty(hyp_len: np.ndarray, ref_len: np.ndarray) -> np.ndarray:
    c = hyp_len.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        penalty = np.exp(1.0 - ref_len / c)
    # nltk: 1 if c > r; 0 if c == 0 (irrelevant: such scores are 0 anyway); else exp(1 - r/c).
    return np.where(c > ref_len, 1.0, np.where(c == 0, 0.0, penalty))


def _scores(numer: np.ndarray, hyp_len: np.ndarray, ref_len: np.ndarray, max_n: int) -> np.ndarray:
    """BLEU-2..max_n from matched counts numer (N, max_n), lengths and closest ref lengths."""
    orders = np.arange(1, max_n + 1, dtype=np.int64)
    denom = np.maximum(1, hyp_len[:, None] - orders[None, :] + 1).astype(np.float64)
    # method1: (0 + epsilon) / denominator for zero numerators, the plain ratio otherwise.
    prec = np.where(numer > 0, numer, _EPSILON) / denom
    log_prec = np.log(prec)
    bp = _brevity_penalty(hyp_len, ref_len)
    out = np.empty((len(hyp_len), max_n - 1), dtype=np.float64)
    for n in range(2, max_n + 1):
        # Same operation order as nltk: sum of w_i * log(p_i) with w_i = 1/n, then exp.
        out[:, n - 2] = bp * np.exp(np.sum((1 / n) * log_prec[:, :n], axis=1))
    out[numer[:, 0] == 0] = 0.0  # nltk: no unigram match -> BLEU 0 for every order
    return out


def _as_list(seqs: Sequence[Tokens], what: str, fn: str, minimum: int = 1) -> list[Tokens]:
    """`seqs` as a list of token sequences, or a TypeError / ValueError saying what is wrong with it.

    Input that would give a valid-looking number of the wrong thing is refused, not scored: a string
    (BLEU over its characters) and an id array or tensor (`textgan.sampling.sample`'s output still holds
    the padding after EOS, which would count as tokens)."""
    if isinstance(seqs, (str, bytes)):
        raise TypeError(f"{fn} expects a list of token sequences for {what}, got a string; pass "
                        "[sentence.split() for sentence in sentences]")
    if hasattr(seqs, "shape"):  # numpy array, torch tensor
        raise TypeError(f"{fn} expects lists of tokens for {what}, got a {type(seqs).__name__} of ids; decode "
                        "it without the padding first: [vocab.decode(row).split() for row in ids.tolist()]")
    if not isinstance(seqs, Iterable):
        raise TypeError(f"{fn} expects a list of token sequences for {what}, got {type(seqs).__name__}")
    seqs = list(seqs)
    for i, seq in enumerate(seqs):
        if isinstance(seq, (str, bytes)):
            raise TypeError(f"{fn} expects token sequences for {what}, but item {i} is a string ({seq[:30]!r}); "
                            "split sentences into tokens first, [s.split() for s in sentences], or wrap one tokenised "
                            "sentence in a list")
        if hasattr(seq, "shape"):
            raise TypeError(f"{fn} expects lists of tokens for {what}, but item {i} is a {type(seq).__name__} of ids; "
                            "decode it without the padding first: vocab.decode(row.tolist()).split()")
        if not isinstance(seq, Sequence):
            raise TypeError(f"{fn} expects token sequences for {what}, but item {i} is a {type(seq).__name__} "
                            "(one sentence given instead of a list of sentences?)")
        if seq and not isinstance(seq[0], Hashable):
            raise TypeError(f"{fn}: the tokens of {what} must be hashable (str or int), item {i} holds a "
                            f"{type(seq[0]).__name__}")
    if len(seqs) < minimum:
        need = "one" if minimum == 1 else str(minimum)
        raise ValueError(f"{fn} needs at least {need} {what}, got {len(seqs)}")
    return seqs


def _token_kind(seqs: list[Tokens]) -> str | None:
    """'str' or 'int' when the first tokens of the first sequences are all of that kind, else None."""
    seen = {"str" if isinstance(t, str) else "int" if isinstance(t, Integral) else "other"
            for seq in seqs[:100] for t in seq[:5]}
    return seen.pop() if len(seen) == 1 and seen != {"other"} else None


def bleu_per_hypothesis(hypotheses: Sequence[Tokens], references: Sequence[Tokens],
                        max_n: int = 5) -> np.ndarray:
    """BLEU-2..max_n of each hypothesis against all references: array (N, max_n - 1)."""
    _check_max_n(max_n)
    hyps = _as_list(hypotheses, "hypothesis", "bleu")
    refs = _as_list(references, "reference", "bleu")
    kinds = _token_kind(hyps), _token_kind(refs)
    if None not in kinds and kinds[0] != kinds[1]:  # no token could ever match: 0.0, which looks like a score
        raise TypeError(f"bleu: the hypotheses hold {kinds[0]} tokens and the references {kinds[1]} tokens, so "
                        "nothing can match; give both as words (vocab.decode(row).split()) or both as ids")
    n_hyp = len(hyps)
    numer = np.zeros((n_hyp, max_n), dtype=np.float64)
    for k, (seq, gid, cnt, n_ids) in enumerate(_ngram_tables(hyps + refs, max_n)):
        is_ref = seq >= n_hyp
        # Clip count of each k-gram = its max count in any single reference, computed once.
        max_ref = np.zeros(n_ids, dtype=np.int64)
        np.maximum.at(max_ref, gid[is_ref], cnt[is_ref])
        h_seq, h_gid, h_cnt = seq[~is_ref], gid[~is_ref], cnt[~is_ref]
        clipped = np.minimum(h_cnt, max_ref[h_gid])
        numer[:, k] = np.bincount(h_seq, weights=clipped, minlength=n_hyp)

    hyp_len = np.fromiter((len(h) for h in hyps), dtype=np.int64, count=n_hyp)
    ref_lens = np.unique(np.fromiter((len(r) for r in refs), dtype=np.int64, count=len(refs)))
    # Candidates: largest reference length <= hyp_len and smallest one > hyp_len.
    idx = np.searchsorted(ref_lens, hyp_len, side="right")
    pred = np.where(idx > 0, ref_lens[np.maximum(idx - 1, 0)], np.nan)
    succ = np.where(idx < len(ref_lens), ref_lens[np.minimum(idx, len(ref_lens) - 1)], np.nan)
    ref_len = _closest_lengths(hyp_len, pred, succ)
    return _scores(numer, hyp_len, ref_len, max_n)


def self_bleu_per_sample(samples: Sequence[Tokens], max_n: int = 5) -> np.ndarray:
    """BLEU-2..max_n of each sample against all other samples: array (N, max_n - 1)."""
    _check_max_n(max_n)
    samples = _as_list(samples, "samples", "self_bleu", minimum=2)
    n_smp = len(samples)
    numer = np.zeros((n_smp, max_n), dtype=np.float64)
    for k, (seq, gid, cnt, n_ids) in enumerate(_ngram_tables(samples, max_n)):
        if len(gid) == 0:  # no sample is long enough for k-grams: numerators stay 0
            continue
        # Sort by (id, count descending): each id's first row holds the top count (and its
        # holder), the next row of the same id the second count (0 if there is none).
        order = np.lexsort((-cnt, gid))
        s_gid, s_cnt, s_seq = gid[order], cnt[order], seq[order]
        first = np.flatnonzero(np.r_[True, s_gid[1:] != s_gid[:-1]])
        top1 = np.zeros(n_ids, dtype=np.int64)
        top2 = np.zeros(n_ids, dtype=np.int64)
        holder = np.full(n_ids, -1, dtype=np.int64)
        g_first = s_gid[first]
        top1[g_first] = s_cnt[first]
        holder[g_first] = s_seq[first]
        nxt = first + 1
        has_second = nxt < len(s_gid)
        has_second[has_second] = s_gid[nxt[has_second]] == g_first[has_second]
        top2[g_first[has_second]] = s_cnt[nxt[has_second]]
        # Leave-one-out max: the top count, unless this sample holds it; then the second count
        # (which equals the top when another sample ties it).
        loo_max = np.where(seq == holder[gid], top2[gid], top1[gid])
        clipped = np.minimum(cnt, loo_max)
        numer[:, k] = np.bincount(seq, weights=clipped, minlength=n_smp)

    lens = np.fromiter((len(s) for s in samples), dtype=np.int64, count=n_smp)
    uniq, mult = np.unique(lens, return_counts=True)
    idx = np.searchsorted(uniq, lens)  # uniq[idx] == lens exactly
    # Excluding this sample: its own length stays available only if another sample shares it;
    # otherwise the nearest candidates are the neighbouring distinct lengths.
    own_left = mult[idx] >= 2
    below = np.where(idx > 0, uniq[np.maximum(idx - 1, 0)], np.nan)
    above = np.where(idx + 1 < len(uniq), uniq[np.minimum(idx + 1, len(uniq) - 1)], np.nan)
    pred = np.where(own_left, lens, below)
    succ = np.where(own_left, np.nan, above)
    ref_len = _closest_lengths(lens, pred, succ)
    return _scores(numer, lens, ref_len, max_n)


def _average(per_hyp: np.ndarray, max_n: int) -> dict[int, float]:
    means = per_hyp.mean(axis=0)
    return {n: float(means[n - 2]) for n in range(2, max_n + 1)}


def bleu(hypotheses: Sequence[Tokens], references: Sequence[Tokens],
         max_n: int = 5) -> dict[int, float]:
    """Mean sentence BLEU-n (nltk method1 semantics) of hypotheses vs all references, n=2..max_n.

    Hypotheses and references are sequences of hashable tokens (list[str], list[int], ...).
    """
    return _average(bleu_per_hypothesis(hypotheses, references, max_n), max_n)


def self_bleu(samples: Sequence[Tokens], max_n: int = 5) -> dict[int, float]:
    """Mean self-BLEU-n, n=2..max_n: each sample scored against all the other samples.

    Leave-one-out is by position, so a duplicated sample has its copy as a reference.
    """
    return _average(self_bleu_per_sample(samples, max_n), max_n)
