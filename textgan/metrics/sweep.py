"""Evaluating a generator at one temperature, and the quality-diversity temperature sweep.

The sweep follows Caccia et al., 2020, "Language GANs Falling Short": a GAN's lower sample diversity
can be traded for quality by any model just by lowering the softmax temperature, so models are
compared by whole curves over temperatures (docs/evaluation.md: 0.5 ... 2.0), not by one point:
- real text: quality BLEU-n of samples at T vs diversity self-BLEU-n of the same samples;
- oracle: quality NLL-oracle of samples at T vs diversity NLL-test of the test set under the
  *temperature-scaled* model softmax(logits / T) (the model the samples came from).

`evaluate_generator` returns one JSON-ready entry (the same layout as `python -m textgan.evaluate
--json`): {"temperature", "n_samples", "n_references", "nll_oracle", "nll_test", "bleu": {"2": ...},
"self_bleu": {...}, "sacrebleu", "fed", "protocol": {...}} with the keys that apply to the data.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from textgan.data.corpus import sampled_rows, strip_after_eos
from textgan.data.sources import DataBundle
from textgan.data.vocab import TextVocab
from textgan.errors import UserError
from textgan.metrics.nll import nll_oracle, sequence_nll
from textgan.metrics.sacrebleu_metric import detokenize
from textgan.metrics.suite import TEXT_ONLY, RealStats, Sentences, parse_metrics, protocol_knobs, score_texts
from textgan.sampling import sample

__all__ = ["DEFAULT_TEMPERATURES", "check_metrics", "default_metrics", "evaluate_generator", "temperature_sweep"]

DEFAULT_TEMPERATURES = (0.5, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0)  # docs/evaluation.md


def default_metrics(data: DataBundle) -> list[str]:
    """Text: BLEU, self-BLEU, NLL-test, sacreBLEU (FED is opt-in: it needs the `fed` extra and minutes of CPU);
    self-BLEU alone for text without a test set. Oracle: NLL-oracle and NLL-test, the quality-diversity pair."""
    if data.oracle is not None:
        return ["nll"]
    # without a test set only the samples themselves can be scored: their diversity
    return ["bleu", "self_bleu", "nll", "sacrebleu"] if data.test is not None else ["self_bleu"]


def check_metrics(metrics: Sequence[str], data: DataBundle) -> None:
    """A UserError for a metric the data cannot give (FED on token ids, BLEU without a test set)."""
    if data.oracle is not None:
        bad = [m for m in metrics if m in TEXT_ONLY]
        if bad:
            raise UserError(f"{', '.join(bad)} {'applies' if len(bad) == 1 else 'apply'} to real text only; this "
                            "run's data is the synthetic oracle")
    if data.test is None:
        bad = [m for m in metrics if m in ("bleu", "fed", "sacrebleu", "nll")]
        if bad:
            raise UserError(f"{', '.join(bad)} {'needs' if len(bad) == 1 else 'need'} a test set; this run's data "
                            "has none (train with data.test=FILE), so only --metrics self_bleu applies")


def _texts(data: DataBundle, rows: list[list[int]]) -> list[str]:
    vocab = data.vocab
    if isinstance(vocab, TextVocab):
        return [detokenize(vocab.decode(r).split()) for r in rows]
    return [vocab.decode(r) for r in rows]


def sentences_of(data: DataBundle, rows: list[list[int]]) -> Sentences:
    """Token-id rows (cut at EOS) in both forms the metrics read: the ids (BLEU) and detokenised text (FED)."""
    return Sentences(rows, _texts(data, rows))


def reference_sentences(data: DataBundle) -> Sentences | None:
    """The test set as references: token ids cut at EOS, and detokenised text."""
    if data.test is None:
        return None
    rows = strip_after_eos(data.test.tokens, data.vocab.eos_id)
    return sentences_of(data, rows)




def check_data(data: object, caller: str) -> None:
    """A TypeError naming what to pass when the data argument is something else (a run, a name)."""
    if not all(hasattr(data, field) for field in ("vocab", "seq_len", "test", "oracle")):
        raise TypeError(f"{caller} takes the loaded data (textgan.data.sources.load_data(run.cfg.data)), "
                        f"got {type(data).__name__}")


def evaluate_generator(generator: nn.Module, data: DataBundle, metrics: Sequence[str], *, temperature: float = 1.0,
                       num_samples: int = 10000, seed: int = 1234, max_n: int = 5, num_test: int = 0,
                       references: Sentences | None = None, fed_cache: RealStats | None = None) -> dict[str, Any]:
    """Sample `num_samples` at `temperature` (private RNG seeded by `seed`) and score `metrics` (names or a
    comma-separated string, see `textgan.metrics.suite.METRICS`). `num_test`: NLL-test over the first N test
    sequences (a run's eval.num_test; 0 = all), as the training loop's evaluations do."""
    from textgan.sampling import check_generator

    check_generator(generator, "evaluate_generator")
    check_data(data, "evaluate_generator")
    metrics = parse_metrics(metrics) if metrics is not None else default_metrics(data)  # before sampling
    # numpy / torch scalars are accepted, and the entry stays JSON-ready (plain Python numbers)
    try:
        num_samples, seed, max_n, num_test = int(num_samples), int(seed), int(max_n), int(num_test)
        temperature = float(temperature)
    except (TypeError, ValueError):
        raise UserError(f"num_samples, seed, max_n and num_test must be integers and temperature a number; got "
                        f"{num_samples!r}, {seed!r}, {max_n!r}, {num_test!r}, {temperature!r}") from None
    if num_test < 0:
        raise UserError(f"num_test must be >= 0 (0 = every test sequence), got {num_test}")
    if num_samples < (2 if "self_bleu" in metrics else 1):
        raise UserError(f"num_samples must be >= {2 if 'self_bleu' in metrics else 1} for {', '.join(metrics)}, "
                        f"got {num_samples}")
    check_metrics(metrics, data)
    t0 = time.perf_counter()
    vocab = data.vocab
    ids = sample(generator, num_samples, data.seq_len, temperature=temperature, eos_id=vocab.eos_id,
                 pad_id=vocab.pad_id, seed=seed)                                  # (N, T)
    entry: dict[str, Any] = {"temperature": temperature, "n_samples": num_samples,
                             "n_references": len(data.test) if data.test is not None else None}
    if "nll" in metrics:
        if data.oracle is not None:
            entry["nll_oracle"] = nll_oracle(data.oracle, ids)
        if data.test is not None:
            n = num_test or len(data.test)
            entry["nll_test"] = sequence_nll(generator, data.test.tokens[:n], data.test.lengths[:n],
                                             temperature=temperature)
            entry["nll_test_sequences"] = min(n, len(data.test))
    if any(m != "nll" for m in metrics):
        if references is None and any(m in metrics for m in ("bleu", "fed", "sacrebleu")):
            references = reference_sentences(data)  # self-BLEU alone needs none
        rows = sampled_rows(ids, vocab)
        samples = sentences_of(data, rows)
        entry.update(score_texts(metrics, samples, references, max_n, fed_cache=fed_cache))
    entry["protocol"] = protocol_knobs(metrics, num_samples, entry["n_references"], max_n,
                                       temperature=temperature, seed=seed, top_k=0, top_p=1.0,
                                       data=data.name)
    entry["eval_s"] = round(time.perf_counter() - t0, 3)
    return entry


def temperature_sweep(generator: nn.Module, data: DataBundle, temperatures: Sequence[float] = DEFAULT_TEMPERATURES,
                      metrics: Sequence[str] | None = None, *, num_samples: int = 10000, seed: int = 1234,
                      max_n: int = 5, num_test: int = 0, progress: bool = False) -> list[dict[str, Any]]:
    """One `evaluate_generator` entry per temperature (same seed at each, so only T changes)."""
    from textgan.sampling import check_generator

    check_generator(generator, "temperature_sweep")
    check_data(data, "temperature_sweep")
    metrics = parse_metrics(metrics) if metrics is not None else default_metrics(data)  # a list, or "nll,bleu"
    check_metrics(metrics, data)
    try:  # any iterable of numbers: a list, a tuple, a numpy array or tensor, a generator expression
        temperatures = [float(t) for t in temperatures]
    except (TypeError, ValueError):
        raise UserError(f"temperatures must be a non-empty list of numbers > 0, got {temperatures!r}") from None
    if not temperatures or any(not t > 0 for t in temperatures):
        raise UserError(f"temperatures must be a non-empty list of numbers > 0, got {temperatures}")
    references = reference_sentences(data) if any(m in metrics for m in ("bleu", "fed", "sacrebleu")) else None
    fed_cache = RealStats()  # the test set is encoded once for the whole sweep
    entries = []
    with torch.inference_mode():
        for t in temperatures:
            entry = evaluate_generator(generator, data, metrics, temperature=float(t), num_samples=num_samples,
                                       seed=seed, max_n=max_n, num_test=num_test, references=references,
                                       fed_cache=fed_cache)
            if progress:
                shown = {k: v for k, v in entry.items() if k in ("nll_oracle", "nll_test", "sacrebleu", "fed")}
                print(f"T={t}: {shown} ({entry['eval_s']:.1f}s)", flush=True)
            entries.append(entry)
    return entries
