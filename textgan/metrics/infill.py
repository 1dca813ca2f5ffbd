"""In-filling evaluation (MaskGAN, Fedus, Goodfellow & Dai 2018, arXiv 1801.07736).

`evaluate_infill` masks the first `num` test sentences (at most half of the test set, at least 2) with a fixed
seed (the run's masking scheme and present rate unless given), fills them with the run's generator
(`textgan/infill.py`) and reports:
- `bleu` / `self_bleu` (n = 2..max_n): the filled sentences against the *other* test sentences (the
  sentences that were not masked; a sentence's own original is left out of its references, or copying
  the present half would already score highly), and each filled sentence against the other fillings;
  the exact nltk-equal BLEU of `textgan/metrics/bleu.py`.
- `unique_ngrams` (n = 1..4): the paper's diversity measure, the percentage of distinct n-grams among all
  n-grams of the filled spans (maximal runs of masked positions, up to the filled sentence's EOS; an
  n-gram counts when it lies inside one span).
- `masked_accuracy`: the fraction of masked real tokens filled with exactly the original token, and
  `infill_nll`: the masked-position NLL of the original test sentences under the generator (per token).
- On the synthetic oracle only, `nll_oracle_filled`: the oracle's per-token NLL of the filled sentences
  (every position), beside `nll_oracle_original`, the same for the original test sentences. A perfect
  in-filler draws the blanks from the oracle's own conditional given the present tokens, so its filled
  sentences are distributed as the originals and score the same on average: higher means fillings the
  oracle finds unlikely, lower means fillings sharper than the oracle (less diverse). A memorising in-filler
  scores lower than a well-fitted one, so it is read beside `infill_nll`, as NLL-oracle beside NLL-test.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import torch
from torch import nn

from textgan.data.corpus import Corpus, strip_after_eos
from textgan.data.sources import DataBundle
from textgan.errors import UserError
from textgan.infill import blank_banned, infill, masked_nll
from textgan.masking import filled_spans, make_mask, target_positions
from textgan.metrics.bleu import bleu, self_bleu
from textgan.metrics.nll import nll_oracle

log = logging.getLogger(__name__)


def unique_ngram_percent(rows: list[list[int]], spans: list[list[tuple[int, int]]], max_n: int = 4
                         ) -> dict[str, float]:
    """{"1": %, ..., "max_n": %}: 100 * distinct / total n-grams lying inside one span of a row."""
    out = {}
    for n in range(1, max_n + 1):
        counts: Counter = Counter()
        for row, row_spans in zip(rows, spans):
            for a, b in row_spans:
                counts.update(tuple(row[i:i + n]) for i in range(a, b - n + 1))
        total = sum(counts.values())
        out[str(n)] = 100.0 * len(counts) / total if total else float("nan")
    return out


@torch.inference_mode()
def infill_nll(generator: nn.Module, corpus: Corpus, scheme: str, present_rate: float, has_eos: bool, num: int,
               seed: int, batch_size: int = 256) -> float:
    """Mean NLL per masked target token of the first `num` sentences of `corpus`, masks drawn from `seed`."""
    rng = torch.Generator().manual_seed(seed)
    n = min(num, len(corpus))
    present = make_mask(corpus.lengths[:n], corpus.seq_len, scheme, present_rate, has_eos=has_eos, rng=rng)
    was_training = generator.training
    generator.eval()
    device = next(generator.parameters()).device
    total, count = 0.0, 0
    for s in range(0, n, batch_size):
        e = min(s + batch_size, n)
        nll, cnt = masked_nll(generator, corpus.tokens[s:e].to(device), corpus.lengths[s:e].to(device),
                              present[s:e].to(device))
        total, count = total + float(nll), count + int(cnt)
    generator.train(was_training)
    return total / max(count, 1)


@torch.inference_mode()
def evaluate_infill(generator: nn.Module, data: DataBundle, *, num: int = 1000, seed: int = 1234,
                    scheme: str = "contiguous", present_rate: float = 0.5, temperature: float = 1.0,
                    max_n: int = 5) -> dict[str, Any]:
    """In-filling metrics of `generator` on the first `num` test sentences of `data` (see the module doc)."""
    if not hasattr(generator, "infill"):
        raise UserError("in-filling evaluation needs a run of an in-filling model (maskgan, maskmle)")
    test = data.test
    if test is None or len(test) < 3:  # 2 fillings (self-BLEU needs 2) and a reference
        have = len(test) if test is not None else "none"
        raise UserError(f"in-filling evaluation needs a test set of at least 3 sentences; '{data.name}' has {have}")
    # the rest of the test set is BLEU's reference set: at least half of it stays there (a small test set
    # once filled all but one sentence and scored BLEU against that one)
    n = min(num, max(2, len(test) // 2))
    if n < num:
        log.warning("in-filling %d of the %d test sentences (not --num %d): the other %d are BLEU's references",
                    n, len(test), num, len(test) - n)
    vocab = data.vocab
    tokens, lengths = test.tokens[:n], test.lengths[:n]
    has_eos = vocab.eos_id is not None
    present = make_mask(lengths, test.seq_len, scheme, present_rate, has_eos=has_eos,
                        rng=torch.Generator().manual_seed(seed))
    filled = infill(generator, tokens, present, temperature=temperature, eos_id=vocab.eos_id, pad_id=vocab.pad_id,
                    seed=seed, banned=blank_banned(vocab))
    hyps = strip_after_eos(filled, vocab.eos_id)
    refs = strip_after_eos(test.tokens[n:], vocab.eos_id)
    targets = target_positions(present, lengths)
    correct = ((filled == tokens) & targets).sum()
    rows = filled.tolist()
    spans = [filled_spans(present[i], len(hyps[i])) for i in range(n)]
    nll = infill_nll(generator, test, scheme, present_rate, has_eos, n, seed)
    masked_fraction = float(targets.sum()) / float(lengths.sum())
    oracle_scores = {} if data.oracle is None else {
        "nll_oracle_filled": nll_oracle(data.oracle, filled), "nll_oracle_original": nll_oracle(data.oracle, tokens)}
    return {
        "n_filled": n, "n_references": len(refs),
        "bleu": {str(k): v for k, v in bleu(hyps, refs, max_n).items()},
        "self_bleu": {str(k): v for k, v in self_bleu(hyps, max_n).items()},
        "unique_ngrams": unique_ngram_percent(rows, spans),
        "masked_accuracy": float(correct) / max(float(targets.sum()), 1.0),
        "infill_nll": nll,
        **oracle_scores,
        "protocol": {"mask_scheme": scheme, "present_rate": present_rate, "masked_fraction": masked_fraction,
                     "mask_seed": seed, "sampling_seed": seed, "temperature": temperature,
                     "hypotheses": f"the first {n} test sentences, masked and filled once each",
                     "references": f"the other {len(refs)} test sentences (a sentence's own original excluded)",
                     "bleu": "nltk sentence_bleu, uniform weights, method1 smoothing, averaged",
                     "unique_ngrams": "100 * distinct / total n-grams inside filled spans"},
        "samples": [{"masked": _show(vocab, tokens[i], present[i]), "filled": vocab.decode(rows[i])}
                    for i in range(min(n, 10))],
    }


def _show(vocab, row: torch.Tensor, present: torch.Tensor) -> str:
    """A masked sentence as text with ___ at its masked positions (up to the EOS)."""
    ids = row.tolist()
    eos = vocab.eos_id
    end = ids.index(eos) if eos is not None and eos in ids else len(ids)
    words = [vocab.decode([i]) if p else "___" for i, p in zip(ids[:end], present[:end].tolist())]
    if eos is not None and end < len(ids) and not bool(present[end]):
        words.append("___(end)")
    return " ".join(words)


def format_infill_table(result: dict[str, Any]) -> str:
    lines = [f"{'metric':<20}{'value':>9}"]
    for key in ("bleu", "self_bleu", "unique_ngrams"):
        for n, v in result[key].items():
            lines.append(f"{key + '_' + n:<20}{v:>9.4f}")
    lines.append(f"{'masked_accuracy':<20}{result['masked_accuracy']:>9.4f}")
    lines.append(f"{'infill_nll':<20}{result['infill_nll']:>9.4f}")
    for key in ("nll_oracle_filled", "nll_oracle_original"):
        if key in result:
            lines.append(f"{key:<20}{result[key]:>9.4f}")
    lines.append(f"({result['n_filled']} filled test sentences, {result['n_references']} references)")
    return "\n".join(lines)


def evaluate_infill_run(run_dir, *, checkpoint=None, data_dir=None, num: int = 1000, seed: int | None = None,
                        max_n: int = 5, temperature: float = 1.0) -> dict[str, Any]:
    """`evaluate_infill` of a saved run with its own masking config; the result names run, model and data."""
    from textgan.data.sources import load_data
    from textgan.runs import git_sha, load_run

    run = load_run(run_dir, checkpoint)
    mask = getattr(run.cfg, "mask", None)
    if mask is None or not hasattr(run.generator, "infill"):
        raise UserError(f"run '{run.path}' ({run.spec.name}) is not an in-filling model; --infill needs a run of "
                        "maskgan or maskmle")
    data = load_data(run.cfg.data, data_dir, run.vocab)  # load_run found its relative paths
    result = evaluate_infill(run.generator, data, num=num, seed=mask.eval_seed if seed is None else seed,
                             scheme=mask.scheme, present_rate=mask.present_rate, temperature=temperature,
                             max_n=max_n)
    return {"run": str(run.path), "model": run.spec.name, "data": data.name,
            "checkpoint_step": run.meta.get("step"), "git_sha": git_sha(), **result}


def evaluate_infill_args(args) -> dict[str, Any]:
    """The `python -m textgan.evaluate --infill` path (its parsed arguments)."""
    if not args.run:
        raise UserError("--infill scores a run: pass --run RUN_DIR")
    if args.temperatures or args.metrics or args.references:
        raise UserError("--infill reports a fixed set of metrics; drop --temperatures / --metrics / --references")
    return evaluate_infill_run(args.run, checkpoint=args.checkpoint, data_dir=args.data_dir, num=args.num or 1000,
                               seed=args.seed, max_n=args.max_n)
