"""The metric set of the evaluation protocol (docs/evaluation.md) over sets of sentences, and its description.

`score_texts` computes the sample-only metrics — BLEU-n against a reference set, leave-one-out
self-BLEU-n, sacreBLEU (the all-references corpus definition of `sacrebleu_metric`) and FED — for
one set of samples; the likelihood metrics need a model and live in `textgan/metrics/sweep.py`.
`protocol_knobs` is the description every result JSON carries, so a number is never separated from
the way it was measured.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from textgan.errors import UserError
from textgan.metrics.bleu import bleu, self_bleu

METRICS = ("bleu", "self_bleu", "nll", "fed", "sacrebleu")
TEXT_ONLY = ("fed", "sacrebleu")  # need real sentences; meaningless on the oracle's token ids

BLEU_DEFINITION = ("nltk sentence_bleu, uniform weights 1/n, SmoothingFunction().method1, each sample against "
                   "all references, averaged over samples (exact to 1e-9)")
SELF_BLEU_DEFINITION = "each sample against all other samples (leave-one-out), same BLEU definition"
_SACREBLEU = ("sacrebleu BLEU (13a, BLEU-4, exp smoothing) corpus score with all test sentences as references of "
              "every sample, samples and references {}; scaled to [0, 1]")
SACREBLEU_DEFINITION = _SACREBLEU.format("detokenised")
# `textgan.evaluate --samples/--references`: the files' lines reach sacreBLEU as they are written
SACREBLEU_FILES_DEFINITION = _SACREBLEU.format("as the files' lines (not detokenised)")
NLL_DEFINITION = "mean NLL (nats) per real token + EOS, padding excluded"
NLL_TEST_DEFINITION = "test set under the generator with logits / temperature (Caccia et al. 2020)"
FED_DEFINITION = ("Frechet distance of all-MiniLM-L6-v2 embeddings (mean-pooled, L2-normalised), test sentences "
                  "vs samples")


def parse_metrics(spec: str | Sequence[str]) -> list[str]:
    """'bleu,nll' or ['bleu', 'nll'] -> a checked, de-duplicated list in the given order."""
    names = [m.strip() for m in (spec.split(",") if isinstance(spec, str) else spec) if m.strip()]
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        raise UserError(f"unknown metric {', '.join(repr(m) for m in unknown)}; known metrics: {', '.join(METRICS)}")
    if not names:
        raise UserError(f"no metrics given; known metrics: {', '.join(METRICS)}")
    return list(dict.fromkeys(names))


@dataclass
class Sentences:
    """One set of sentences in both forms the metrics read."""

    tokens: list[Sequence[Hashable]]   # token sequences (BLEU / self-BLEU)
    text: list[str]                    # plain detokenised strings (sacreBLEU / FED)

    def __len__(self) -> int:
        return len(self.tokens)


class RealStats:
    """FED's Gaussian of the reference embeddings, computed once and reused over a temperature sweep."""

    def __init__(self) -> None:
        self.encoder = None
        self.stats: tuple[np.ndarray, np.ndarray] | None = None

    def get(self, references: Sentences) -> tuple[Any, tuple[np.ndarray, np.ndarray]]:
        from textgan.metrics.fed import gaussian_stats, load_encoder

        if self.encoder is None:
            self.encoder = load_encoder()
        if self.stats is None:
            self.stats = gaussian_stats(self.encoder.encode(references.text))
        return self.encoder, self.stats


def score_texts(metrics: Sequence[str], samples: Sentences, references: Sentences | None, max_n: int = 5,
                lowercase: bool = False, fed_cache: RealStats | None = None) -> dict[str, Any]:
    """The sample-only metrics of `metrics` (nll is skipped here) as a JSON-ready dict.

    BLEU keys hold {"2": BLEU-2, ..., str(max_n): ...}. `lowercase` applies to sacreBLEU only.
    """
    out: dict[str, Any] = {}
    needs_refs = [m for m in metrics if m in ("bleu", "fed", "sacrebleu")]
    if needs_refs and references is None:
        raise UserError(f"{', '.join(needs_refs)} need reference sentences (--references FILE, or a run with a "
                        "test set)")
    if "bleu" in metrics:
        out["bleu"] = {str(n): v for n, v in bleu(samples.tokens, references.tokens, max_n).items()}
    if "self_bleu" in metrics:
        if len(samples) < 2:
            raise UserError("self-BLEU needs at least two samples")
        out["self_bleu"] = {str(n): v for n, v in self_bleu(samples.tokens, max_n).items()}
    if "sacrebleu" in metrics:
        from textgan.metrics.sacrebleu_metric import sacrebleu_corpus

        out["sacrebleu"] = sacrebleu_corpus(samples.text, references.text, lowercase=lowercase)
    if "fed" in metrics:
        from textgan.metrics.fed import frechet_distance, gaussian_stats

        if len(samples) < 2 or len(references) < 2:
            raise UserError("FED needs at least two samples and two references")
        encoder, (mu_r, s_r) = (fed_cache or RealStats()).get(references)
        mu_g, s_g = gaussian_stats(encoder.encode(samples.text))
        out["fed"] = frechet_distance(mu_r, s_r, mu_g, s_g)
    return out


def protocol_knobs(metrics: Sequence[str], n_samples: int, n_references: int | None, max_n: int,
                   detokenised: bool = True, **extra: Any) -> dict[str, Any]:
    """What the numbers of one evaluation mean: sample sizes and the definition of each metric used.

    `detokenised=False`: sacreBLEU scored text as given (sample files), not the run's detokenised samples."""
    knobs: dict[str, Any] = {"n_samples": n_samples, "n_references": n_references, "max_n": max_n, **extra}
    definitions = {"bleu": BLEU_DEFINITION, "self_bleu": SELF_BLEU_DEFINITION,
                   "sacrebleu": SACREBLEU_DEFINITION if detokenised else SACREBLEU_FILES_DEFINITION,
                   "fed": FED_DEFINITION, "nll": NLL_DEFINITION}
    for m in metrics:
        knobs[f"{m}_definition"] = definitions[m]
    if "nll" in metrics:
        knobs["nll_test_definition"] = NLL_TEST_DEFINITION
    return knobs
