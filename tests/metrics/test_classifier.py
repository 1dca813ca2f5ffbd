"""Tests of the evaluation classifier (textgan/metrics/classifier.py) and the per-class evaluator: it learns
a separable task, is trained once and then read from the cache, never moves the training RNG, and the
conditional evaluator's numbers match their definitions."""

from __future__ import annotations

import pytest
import torch
from conftest import write_tiny_labelled

from textgan.conditional_evaluation import ConditionalEvaluator
from textgan.data.corpus import sampled_rows, strip_after_eos
from textgan.data.sources import DataConfig, load_data
from textgan.evaluation import EvalConfig
from textgan.metrics import classifier as clf
from textgan.metrics.bleu import bleu
from textgan.nn import GeneratorConfig
from textgan.nn.conditional_generator import build_conditional_generator

TINY = clf.ClassifierConfig(epochs=30, emb_dim=8, num_filters=4, batch_size=16)


def toy(n: int = 64, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    tokens = torch.randint(4, 20, (n, 6), generator=g)
    tokens[:, 2] = 2 + labels                                       # one position gives the class away
    return tokens, labels


def test_classifier_learns_caches_and_keeps_the_rng(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTGAN_CACHE_DIR", str(tmp_path))
    tokens, labels = toy()
    test_tokens, test_labels = toy(32, seed=1)
    before = torch.get_rng_state()
    model, acc = clf.get_classifier(tokens, labels, test_tokens, test_labels, 20, 2, TINY)
    assert torch.equal(torch.get_rng_state(), before)             # evaluation never shifts training
    assert acc > 0.9 and acc == clf.accuracy(model, test_tokens, test_labels)
    assert len(list((tmp_path / "classifiers").glob("*.safetensors"))) == 1

    def no_training(*args, **kwargs):
        raise AssertionError("trained again instead of reading the cache")

    monkeypatch.setattr(clf, "train_classifier", no_training)
    cached, cached_acc = clf.get_classifier(tokens, labels, test_tokens, test_labels, 20, 2, TINY)
    assert cached_acc == acc
    assert torch.equal(clf.predict(cached, test_tokens), clf.predict(model, test_tokens))
    other = clf.ClassifierConfig(epochs=3, emb_dim=8, num_filters=4)  # another config: another entry
    with pytest.raises(AssertionError, match="trained again"):
        clf.get_classifier(tokens, labels, test_tokens, test_labels, 20, 2, other)


def test_conditional_evaluator_per_class(tiny_labelled):
    data = load_data(DataConfig(name=str(tiny_labelled), labels="tsv", tokenize="whitespace", test_fraction=0.25))
    torch.manual_seed(0)
    gen = build_conditional_generator("prefix", GeneratorConfig(emb_dim=8, hidden_dim=8), data.vocab.size,
                                      data.vocab.bos_id, 2)
    ev = ConditionalEvaluator(data, EvalConfig(num_samples=20, bleu_max_n=3, classifier=TINY))
    samples, labels = ev.generate_per_class(gen, 7)
    assert samples.shape == (14, data.seq_len) and labels.tolist() == [0] * 7 + [1] * 7
    metrics, shown = ev.evaluate(gen)
    assert shown.shape == (20, data.seq_len)
    assert set(ev.decode(shown[:2])[i].split("\t")[0] for i in range(2)) == {"negative", "positive"}
    for key in ("class_acc", "bleu_2", "self_bleu_3", "nll_test", "classifier_test_acc"):
        assert key in metrics
    assert metrics["class_acc"] == pytest.approx((metrics["class_acc_negative"] + metrics["class_acc_positive"]) / 2)
    # BLEU of a class: its samples against that class's test sentences only
    model, _ = ev.classifier()
    neg = shown[ev._last_labels == 0]
    refs = [r for r, y in zip(ev.references(), data.labels.test.tolist()) if y == 0]
    hyps = sampled_rows(neg, data.vocab)                 # cut at EOS, <pad> / <bos> drawn mid-sentence dropped
    assert hyps != strip_after_eos(neg, data.vocab.eos_id)  # this untrained G draws some: the rule matters here
    assert metrics["bleu_2_negative"] == pytest.approx(bleu(hyps, refs, 3)[2])
    assert metrics["class_acc_negative"] == pytest.approx(float((clf.predict(model, neg) == 0).double().mean()))


def test_a_class_without_test_sentences_is_left_out_of_every_per_class_metric_and_mean(tmp_path, monkeypatch):
    # a header row ("label<TAB>sentence") is a class of one sentence, which the test split never gets: it has no
    # BLEU, so its class accuracy and self-BLEU must not join the means either (all means: the same classes)
    monkeypatch.setenv("TEXTGAN_CACHE_DIR", str(tmp_path))
    path = write_tiny_labelled(tmp_path)
    path.write_text("label\tsentence\n" + path.read_text())
    data = load_data(DataConfig(name=str(path), labels="tsv", tokenize="whitespace", test_fraction=0.25))
    assert data.labels.names == ["label", "negative", "positive"] and data.labels.untested() == [0]
    torch.manual_seed(0)
    gen = build_conditional_generator("prefix", GeneratorConfig(emb_dim=8, hidden_dim=8), data.vocab.size,
                                      data.vocab.bos_id, 3)
    metrics, shown = ConditionalEvaluator(data, EvalConfig(num_samples=30, bleu_max_n=3, classifier=TINY)).evaluate(gen)
    assert shown.shape[0] == 30                          # its samples are still drawn: the others' stay the same
    assert not [key for key in metrics if key.endswith("_label")]
    for key in ("class_acc", "bleu_2", "bleu_3", "self_bleu_2", "self_bleu_3"):
        assert metrics[key] == pytest.approx((metrics[f"{key}_negative"] + metrics[f"{key}_positive"]) / 2), key


def test_conditional_nll_test_is_at_the_sampling_temperature(tiny_labelled, tmp_path, monkeypatch):
    # As the unconditional Evaluator: samples drawn at eval.temperature, nll_test of that same scaled model.
    from textgan.metrics.nll import sequence_nll

    monkeypatch.setenv("TEXTGAN_CACHE_DIR", str(tmp_path))
    data = load_data(DataConfig(name=str(tiny_labelled), labels="tsv", tokenize="whitespace", test_fraction=0.25))
    torch.manual_seed(0)
    gen = build_conditional_generator("prefix", GeneratorConfig(emb_dim=8, hidden_dim=8, init_std=0.5),
                                      data.vocab.size, data.vocab.bos_id, 2)
    ev = ConditionalEvaluator(data, EvalConfig(num_samples=8, temperature=0.5, bleu=False, classifier=TINY))
    metrics, _ = ev.evaluate(gen)
    test, y = data.test, data.labels.test
    total = sum(sequence_nll(gen.bind(c), test.tokens[y == c], test.lengths[y == c], temperature=0.5)
                * int(test.lengths[y == c].sum()) for c in range(2) if (y == c).any())
    assert metrics["nll_test"] == pytest.approx(total / int(test.lengths.sum()), rel=1e-9)
