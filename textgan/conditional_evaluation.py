"""Evaluation of class-conditional generators: per-class samples, class accuracy, BLEU / self-BLEU per class.

Labelled data (`textgan/data/labelled.py`) brings this evaluator (`make_evaluator`); it measures per
class when the generator is conditional (it has `bind(labels)`), else it is the plain `Evaluator`.
Per evaluation:
- `eval.num_samples` // K samples per class, from a private fixed-seed RNG per class (never the training
  stream, so resumed runs stay identical);
- `class_acc_<label>`: share of class-y samples the evaluation classifier (`textgan/metrics/classifier.py`,
  trained once on the training split, cached) assigns to y; `class_acc`: their mean;
  `classifier_test_acc`: that classifier's accuracy on the real test split (the metric's ceiling);
- `bleu_<n>_<label>` against the test sentences *of that class*, `self_bleu_<n>_<label>` within the
  class's samples (definitions as `textgan/evaluation.py`); `bleu_<n>` / `self_bleu_<n>` are means over
  classes;
- a class with no test sentence while others have some (`LabelSet.untested`: a header row, a mistyped label)
  gets none of these per-class metrics and is left out of every mean, so all means average the same classes;
- `nll_test`: NLL per real token + EOS of the test set, each sentence conditioned on its own label, at the
  sampling temperature `eval.temperature` (as `textgan/evaluation.py`); `nll_valid` the same over the
  validation split (`data.valid_size`) at temperature 1, for model selection.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from textgan.data.corpus import Corpus, sampled_rows, strip_after_eos
from textgan.data.sources import DataBundle
from textgan.errors import UserError
from textgan.evaluation import EvalConfig, Evaluator
from textgan.metrics.bleu import bleu, self_bleu
from textgan.metrics.classifier import get_classifier, predict
from textgan.metrics.nll import sequence_nll
from textgan.sampling import sample


def label_index(names: list[str], label: str) -> int:
    """Class id of `label`; a one-line error listing the labels for an unknown one."""
    if label not in names:
        raise UserError(f"unknown label '{label}'; the labels of this run are: {', '.join(names)}")
    return names.index(label)


class ConditionalEvaluator(Evaluator):
    """Per-class evaluation of a conditional generator; the plain `Evaluator` for any other generator."""

    def __init__(self, data: DataBundle, cfg: EvalConfig) -> None:
        super().__init__(data, cfg)
        self.labels = data.labels
        self._classifier = None
        self._last_labels: torch.Tensor | None = None

    def classifier(self):
        if self._classifier is None:
            data, labels = self.data, self.labels
            test = data.test.tokens if data.test is not None else None
            train, train_labels = data.train.tokens, labels.train
            if data.valid is not None:  # the classifier is a measuring tool, not the model under selection:
                # it learns from every real training sentence, held out or not
                train, train_labels = torch.cat([train, data.valid.tokens]), torch.cat([train_labels, labels.valid])
            self._classifier = get_classifier(train, train_labels, test, labels.test,
                                              data.vocab.size, labels.num_classes, self.cfg.classifier)
        return self._classifier

    def generate_per_class(self, generator: nn.Module, per_class: int, temperature: float | None = None
                           ) -> tuple[torch.Tensor, torch.Tensor]:
        """(samples (K * per_class, T) class by class, their labels (K * per_class,))."""
        vocab, out = self.data.vocab, []
        for c in range(self.labels.num_classes):
            out.append(sample(generator.bind(c), per_class, self.data.seq_len, eos_id=vocab.eos_id,
                              pad_id=vocab.pad_id, temperature=temperature or self.cfg.temperature,
                              seed=self.cfg.seed + c))
        labels = torch.arange(self.labels.num_classes).repeat_interleave(per_class)
        return torch.cat(out), labels

    def evaluate(self, generator: nn.Module) -> tuple[dict[str, float], torch.Tensor]:
        if not hasattr(generator, "bind"):  # an unconditional model trained on labelled data
            self._last_labels = None
            return super().evaluate(generator)
        per_class = max(2, self.cfg.num_samples // self.labels.num_classes)
        samples, labels = self.generate_per_class(generator, per_class)
        # interleave the classes, so the few samples the loop prints show every class
        order = torch.arange(len(labels)).view(self.labels.num_classes, per_class).T.reshape(-1)
        samples, labels = samples[order], labels[order]
        self._last_labels = labels
        return self.score_classes(generator, samples, labels), samples

    def score_classes(self, generator: nn.Module | None, samples: torch.Tensor,
                      labels: torch.Tensor) -> dict[str, float]:
        data, names, max_n = self.data, self.labels.names, self.cfg.bleu_max_n
        model, test_acc = self.classifier()
        predicted = predict(model, samples)
        metrics: dict[str, float] = {}
        if generator is not None and data.test is not None:
            n = self.cfg.num_test or len(data.test)
            # at the sampling temperature, as the unconditional Evaluator's nll_test (textgan/evaluation.py)
            metrics["nll_test"] = self.conditional_nll(generator, data.test, self.labels.test, n,
                                                       temperature=self.cfg.temperature)
        if generator is not None and data.valid is not None:  # data.valid_size: the split model selection reads
            metrics["nll_valid"] = self.conditional_nll(generator, data.valid, self.labels.valid, len(data.valid))
        per_class: dict[str, list[float]] = {}
        refs = strip_after_eos(data.test.tokens, data.vocab.eos_id) if data.test is not None else []
        # a class without test sentences (a header row, LabelSet.check_classes warned at load) has no BLEU: it
        # is left out of every metric, so that every mean over classes averages the same classes
        untested = set(self.labels.untested())
        for c, name in enumerate(names):
            if c in untested:
                continue
            rows = labels == c
            values = {"class_acc": float((predicted[rows] == c).double().mean())}
            hyps = sampled_rows(samples[rows], data.vocab)
            class_refs = [r for r, y in zip(refs, self.labels.test.tolist()) if y == c] if refs else []
            if self.cfg.bleu and class_refs:
                values.update({f"bleu_{n}": v for n, v in bleu(hyps, class_refs, max_n).items()})
            if self.cfg.bleu and len(hyps) > 1:
                values.update({f"self_bleu_{n}": v for n, v in self_bleu(hyps, max_n).items()})
            for key, value in values.items():
                metrics[f"{key}_{name}"] = value
                per_class.setdefault(key, []).append(value)
        metrics.update({key: sum(v) / len(v) for key, v in per_class.items()})
        metrics["classifier_test_acc"] = test_acc
        return metrics

    def conditional_nll(self, generator: nn.Module, corpus: Corpus, classes: torch.Tensor, n: int,
                        temperature: float = 1.0) -> float:
        """NLL per real token + EOS of the first `n` sentences of `corpus`, every one under its own class
        (logits / `temperature`)."""
        total, count = 0.0, 0
        tokens, lengths, labels = corpus.tokens[:n], corpus.lengths[:n], classes[:n]
        for c in range(self.labels.num_classes):
            rows = labels == c
            if rows.any():
                tokens_c = int(lengths[rows].sum())
                nll = sequence_nll(generator.bind(c), tokens[rows], lengths[rows], temperature=temperature)
                total += nll * tokens_c
                count += tokens_c
        return total / max(count, 1)

    def decode(self, samples: torch.Tensor) -> list[str]:
        """Sentences, tagged `label<TAB>` when they are the latest evaluation's samples."""
        lines = super().decode(samples)
        tags = self._last_labels
        if tags is None or len(tags) < len(lines):
            return lines
        return [f"{self.labels.names[int(y)]}\t{line}" for y, line in zip(tags, lines)]


def evaluate_conditional(generator: nn.Module, data: DataBundle, cfg: EvalConfig, num_samples: int, seed: int,
                         max_n: int) -> dict:
    """The per-class protocol for `textgan.evaluate --run` and the benchmark harness: a JSON-ready entry."""
    cfg = dataclasses.replace(cfg, num_samples=num_samples, seed=seed, bleu_max_n=max_n)
    metrics, _ = ConditionalEvaluator(data, cfg).evaluate(generator)
    per_class = max(2, num_samples // data.labels.num_classes)
    return {"n_samples": per_class * data.labels.num_classes, "samples_per_class": per_class,
            "temperature": cfg.temperature,  # the run's eval.temperature: samples and nll_test are at it
            "n_references": len(data.test) if data.test is not None else 0, "labels": data.labels.names,
            "per_class": metrics,
            "protocol": {"class_acc": "share of class-y samples the cached CNN classifier assigns to y",
                         "bleu": "each class's samples against that class's test sentences (nltk method1)",
                         "self_bleu": "within each class's samples, leave-one-out"}}
