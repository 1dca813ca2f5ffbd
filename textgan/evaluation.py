"""Evaluation during training and from saved runs: the metrics that apply to the run's data source.

Every evaluation samples `eval.num_samples` sequences from a private, fixed-seed RNG (so evaluating never
shifts the training RNG stream, which keeps resumed runs identical) and measures:
- `nll_oracle` when the data has an oracle (SeqGAN's synthetic benchmark);
- `nll_test` (mean NLL per real token + EOS of the test set under the generator) when there is a test set,
  under softmax(logits / eval.temperature): the model the samples were drawn from, as the protocol's
  sweep defines it (`textgan.metrics.sweep`), so each record's NLL-oracle / NLL-test pair is one point of
  that quality-diversity curve (identical at the default temperature 1);
- `nll_valid`, the same over the validation sentences held out of the training set (`data.valid_size`),
  but always at temperature 1: `train.best_metric` selects checkpoints on it (textgan/best.py), i.e. on
  the weights, whatever temperature they are evaluated at;
- BLEU-2..5 of the samples against the test set and self-BLEU-2..5 (protocol in the benchmarks docs),
  for real text, when `eval.bleu` is on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch
from torch import nn

from textgan.config import SEED_MAX, param, section
from textgan.data.corpus import sampled_rows, strip_after_eos
from textgan.data.sources import DataBundle
from textgan.metrics.bleu import bleu, self_bleu
from textgan.metrics.classifier import ClassifierConfig
from textgan.metrics.nll import nll_oracle, sequence_nll
from textgan.sampling import sample

log = logging.getLogger(__name__)


@dataclass
class EvalConfig:
    num_samples: int = param(10000, min=1, help="generated samples per evaluation (protocol: 10,000)")
    num_test: int = param(0, min=0, help="test sequences for nll_test (0 = all)")
    temperature: float = param(1.0, min=0.0, min_exclusive=True,
                               help="sampling temperature of every evaluation (the protocol: 1)")
    seed: int = param(1234, min=0, max=SEED_MAX, help="seed of evaluation sampling (independent of training)")
    bleu: bool = param(True, help="BLEU-2..5 and self-BLEU-2..5 on real text")
    bleu_max_n: int = param(5, min=2, help="BLEU and self-BLEU are reported for n = 2..N")
    # the sentiment / class classifier scoring conditional samples (labelled data only)
    classifier: ClassifierConfig = section(ClassifierConfig)


class Evaluator:
    def __init__(self, data: DataBundle, cfg: EvalConfig) -> None:
        self.data = data
        self.cfg = cfg
        self._references = None
        if data.test is None and data.oracle is None:
            log.warning("'%s' has no test set: evaluations report self-BLEU only (no BLEU, no NLL-test); pass "
                        "data.test=FILE to measure them", data.name)

    def references(self) -> list[list[int]]:
        if self._references is None:
            self._references = strip_after_eos(self.data.test.tokens, self.data.vocab.eos_id)
        return self._references

    def generate(self, generator: nn.Module, num: int | None = None, temperature: float | None = None,
                 seed: int | None = None) -> torch.Tensor:
        vocab = self.data.vocab
        return sample(generator, num or self.cfg.num_samples, self.data.seq_len,
                      temperature=temperature or self.cfg.temperature, eos_id=vocab.eos_id,
                      pad_id=vocab.pad_id, seed=self.cfg.seed if seed is None else seed)

    def evaluate(self, generator: nn.Module) -> tuple[dict[str, float], torch.Tensor]:
        """(metrics, the generated samples (N, T))."""
        samples = self.generate(generator)
        return self.score(generator, samples), samples

    def score(self, generator: nn.Module | None, samples: torch.Tensor) -> dict[str, float]:
        metrics: dict[str, float] = {}
        data, test = self.data, self.data.test
        if data.oracle is not None:
            metrics["nll_oracle"] = nll_oracle(data.oracle, samples)
        if test is not None and generator is not None:
            n = self.cfg.num_test or len(test)
            # At the sampling temperature: paired with nll_oracle of these samples, an NLL-test at T = 1 would
            # put the point off the curve the sweep draws for the same temperature.
            metrics["nll_test"] = sequence_nll(generator, test.tokens[:n], test.lengths[:n],
                                               temperature=self.cfg.temperature)
        valid = getattr(data, "valid", None)  # data.valid_size: the split model selection reads
        if valid is not None and generator is not None:
            metrics["nll_valid"] = sequence_nll(generator, valid.tokens, valid.lengths)
        if data.oracle is None and self.cfg.bleu:
            hyps = sampled_rows(samples, data.vocab)
            if test is not None:  # without a test set there are no references, but diversity still measures
                for n, v in bleu(hyps, self.references(), self.cfg.bleu_max_n).items():
                    metrics[f"bleu_{n}"] = v
            if len(hyps) > 1:
                for n, v in self_bleu(hyps, self.cfg.bleu_max_n).items():
                    metrics[f"self_bleu_{n}"] = v
        return metrics

    def decode(self, samples: torch.Tensor) -> list[str]:
        return [self.data.vocab.decode(row) for row in samples.tolist()]


def make_evaluator(data, cfg: EvalConfig):
    """The evaluator of a data bundle: its own when it brings one (continuous or labelled data), else `Evaluator`."""
    own = getattr(data, "make_evaluator", None)
    return own(cfg) if own is not None else Evaluator(data, cfg)
