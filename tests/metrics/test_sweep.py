"""The temperature sweep (textgan/metrics/sweep.py) and NLL under a temperature (textgan/metrics/nll.py)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from textgan.data.corpus import Corpus, sampled_rows, strip_after_eos
from textgan.data.sources import DataBundle, OracleConfig, load_oracle_data
from textgan.data.vocab import IdVocab, TextVocab
from textgan.errors import UserError
from textgan.metrics.bleu import bleu, self_bleu
from textgan.metrics.nll import sequence_nll
from textgan.metrics.sweep import DEFAULT_TEMPERATURES, evaluate_generator, temperature_sweep
from textgan.nn import LSTMGenerator
from textgan.sampling import sample


def _oracle_data(tmp_path) -> DataBundle:
    cfg = OracleConfig(params="seeded", vocab_size=30, emb_dim=8, hidden_dim=8, seq_len=6, num_train=32, num_test=48)
    return load_oracle_data(cfg, tmp_path)


def _text_data() -> DataBundle:
    train = [s.split() for s in ["the cat sat on the mat", "a dog ran in the park", "the dog sat on a log"]]
    test = [s.split() for s in ["the cat ran on the log", "a dog sat", "the bird sang"]]
    vocab = TextVocab.build(train + test)
    corpus = lambda ws: Corpus.from_sequences(vocab.encode(ws), 8, vocab.pad_id, vocab.eos_id)
    return DataBundle("toy", corpus(train), corpus(test), vocab)


def test_sequence_nll_temperature_matches_manual():
    torch.manual_seed(0)
    g = LSTMGenerator(12, 4, 5, bos_id=0, init_std=0.5)
    tokens = torch.randint(0, 12, (7, 5))
    lengths = torch.tensor([5, 3, 1, 5, 2, 4, 5])
    mask = torch.arange(5)[None] < lengths[:, None]
    with torch.no_grad():
        logp = F.log_softmax(g(tokens) / 2.5, dim=-1).gather(-1, tokens[..., None])[..., 0]
    expected = -(logp[mask]).mean().item()
    assert sequence_nll(g, tokens, lengths, temperature=2.5) == pytest.approx(expected, rel=1e-6)
    assert sequence_nll(g, tokens, lengths, temperature=1.0) == pytest.approx(sequence_nll(g, tokens, lengths))
    with pytest.raises(ValueError):
        sequence_nll(g, tokens, lengths, temperature=0.0)


def test_sequence_nll_near_temperature_zero_is_the_greedy_limit_not_nan():
    # logits / 1e-39 overflow to +-inf and gave NaN; the limit is 0 for argmax-only sequences, else inf
    torch.manual_seed(0)
    g = LSTMGenerator(12, 4, 5, bos_id=0, init_std=0.5)
    greedy = sample(g, 3, 5, temperature=1e-39, seed=0)
    assert sequence_nll(g, greedy, temperature=1e-39) == 0.0
    assert sequence_nll(g, (greedy + 1) % 12, temperature=1e-39) == float("inf")


@pytest.mark.parametrize("tokens, lengths, error, message", [
    (torch.ones(0, 5, dtype=torch.long), None, ValueError, "at least one sequence"),
    (torch.ones(2, 5, dtype=torch.long), torch.tensor([0, 0]), ValueError, "not all be 0"),
    (torch.ones(2, 5, dtype=torch.long), torch.tensor([5, 6]), ValueError, r"lengths must lie in 0\.\.5"),
    (torch.ones(3, 5, dtype=torch.long), torch.tensor([5, 5]), ValueError, "one entry per sequence"),
    (torch.full((2, 5), 10**6), None, ValueError, r"token ids must lie in 0\.\.11"),
    (torch.ones(5, dtype=torch.long), None, TypeError, r"an \(N, T\) integer tensor"),
    ([["the", "cat"]], None, TypeError, "got list"),
])
def test_sequence_nll_names_bad_input(tokens, lengths, error, message):
    g = LSTMGenerator(12, 4, 5, bos_id=0)
    with pytest.raises(error, match=message):
        sequence_nll(g, tokens, lengths)


def test_load_data_takes_a_name_or_path(tmp_path):
    from conftest import write_tiny_text

    from textgan.data.sources import load_data

    train, test = write_tiny_text(tmp_path)
    data = load_data(str(train))  # a path (or a data set name) with the default settings
    assert data.name == str(train) and len(data.train) > 0


def test_evaluate_generator_checks_its_arguments_before_sampling(tmp_path):
    data, g = _oracle_data(tmp_path), LSTMGenerator(30, 4, 5, bos_id=0)
    with pytest.raises(UserError, match="unknown metric 'blue'"):
        evaluate_generator(g, data, ["blue"], num_samples=4)
    entry = evaluate_generator(g, data, "nll,self_bleu", num_samples=4)  # a comma-separated string works too
    assert {"nll_oracle", "self_bleu"} <= set(entry)
    with pytest.raises(UserError, match="num_samples must be >= 2 for nll, self_bleu"):
        evaluate_generator(g, data, "nll,self_bleu", num_samples=1)
    with pytest.raises(TypeError, match="takes the loaded data"):
        evaluate_generator(g, object(), ["nll"], num_samples=4)


def test_oracle_sweep_entries(tmp_path):
    data = _oracle_data(tmp_path)
    g = LSTMGenerator(30, 8, 8, bos_id=0)
    sweep = temperature_sweep(g, data, [0.5, 1.0, 2.0], num_samples=40, seed=3)
    assert [e["temperature"] for e in sweep] == [0.5, 1.0, 2.0]
    for e in sweep:
        assert e["n_samples"] == 40 and e["n_references"] == 48
        assert e["nll_oracle"] > 0 and e["nll_test"] == pytest.approx(
            sequence_nll(g, data.test.tokens, data.test.lengths, temperature=e["temperature"]))
        assert e["protocol"]["temperature"] == e["temperature"] and e["protocol"]["seed"] == 3
    with pytest.raises(UserError, match="real text"):
        temperature_sweep(g, data, [1.0], ["sacrebleu"], num_samples=4)


def test_sweep_takes_what_a_script_passes(tmp_path):
    """Temperatures as any iterable of numbers (a numpy array, a generator expression), metrics as a comma
    string, numpy scalars; the entries stay JSON-ready."""
    import json

    import numpy as np

    data = _oracle_data(tmp_path)
    g = LSTMGenerator(30, 8, 8, bos_id=0)
    reference = temperature_sweep(g, data, [0.5, 1.0], ["nll"], num_samples=20, seed=3)
    for temps in (np.array([0.5, 1.0]), (t for t in [0.5, 1.0])):
        sweep = temperature_sweep(g, data, temps, "nll", num_samples=np.int64(20), seed=np.int64(3))
        assert [e["nll_oracle"] for e in sweep] == [e["nll_oracle"] for e in reference]
    json.dumps(sweep)
    with pytest.raises(UserError, match="temperatures must be a non-empty list of numbers > 0, got 0.8"):
        temperature_sweep(g, data, 0.8, "nll", num_samples=20)
    with pytest.raises(UserError, match="num_test must be >= 0"):
        evaluate_generator(g, data, "nll", num_samples=4, num_test=-1)


def test_text_entry_matches_library_on_same_samples():
    data = _text_data()
    torch.manual_seed(0)
    g = LSTMGenerator(data.vocab.size, 6, 6, bos_id=data.vocab.bos_id, init_std=0.5)
    e = evaluate_generator(g, data, ["bleu", "self_bleu", "sacrebleu", "nll"], temperature=0.8, num_samples=30,
                           seed=5, max_n=4)
    ids = sample(g, 30, data.seq_len, temperature=0.8, eos_id=data.vocab.eos_id, pad_id=data.vocab.pad_id, seed=5)
    hyps = sampled_rows(ids, data.vocab)
    refs = strip_after_eos(data.test.tokens, data.vocab.eos_id)
    assert e["bleu"] == {str(k): v for k, v in bleu(hyps, refs, 4).items()}
    assert e["self_bleu"] == {str(k): v for k, v in self_bleu(hyps, 4).items()}
    assert 0 <= e["sacrebleu"] <= 1 and "nll_oracle" not in e and e["nll_test"] > 0


def test_bleu_scores_a_sample_as_its_decoded_text_reads():
    # a <pad> or <bos> sampled mid-sentence is dropped by decode (sample files, FED, sacreBLEU): BLEU must
    # score the same sentence, not the raw ids (which gave BLEU-3 < 1 for a sentence equal to its reference)
    vocab = TextVocab.build([["a", "dog", "runs"]])
    a, dog, runs = vocab.encode([["a", "dog", "runs"]])[0][:3]
    row = torch.tensor([[a, vocab.pad_id, dog, vocab.bos_id, runs, vocab.eos_id, vocab.pad_id]])
    hyps = sampled_rows(row, vocab)
    assert hyps == [[a, dog, runs]] and vocab.decode(row[0].tolist()) == "a dog runs"
    assert bleu(hyps, [[a, dog, runs]], 3)[3] == pytest.approx(1.0)
    oracle_row = torch.tensor([[0, 3, 0, 1]])                     # oracle ids: 0 and 1 are ordinary tokens
    assert sampled_rows(oracle_row, IdVocab(5, 0)) == [[0, 3, 0, 1]]


def test_lower_temperature_is_less_diverse():
    data = _text_data()
    torch.manual_seed(1)
    g = LSTMGenerator(data.vocab.size, 6, 6, bos_id=data.vocab.bos_id, init_std=1.0)  # peaked logits
    cold, hot = temperature_sweep(g, data, [0.3, 3.0], ["self_bleu"], num_samples=60, seed=0)
    assert cold["self_bleu"]["2"] > hot["self_bleu"]["2"]


def test_default_temperatures_follow_protocol():
    assert DEFAULT_TEMPERATURES == (0.5, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0)
    with pytest.raises(UserError):
        temperature_sweep(LSTMGenerator(5, 2, 2), _text_data(), [], ["self_bleu"])


def test_training_evaluation_pairs_nll_test_with_its_sampling_temperature(tmp_path):
    # metrics.jsonl's nll_oracle is of samples drawn at eval.temperature; its nll_test must be of that same
    # temperature-scaled model, as the sweep scores it, or the record is a point off the quality-diversity curve.
    from textgan.evaluation import EvalConfig, Evaluator

    data = _oracle_data(tmp_path)
    torch.manual_seed(0)
    g = LSTMGenerator(30, 8, 8, bos_id=0, init_std=0.5)
    for t in (0.5, 1.0):
        record = Evaluator(data, EvalConfig(num_samples=40, temperature=t, seed=3)).evaluate(g)[0]
        entry = evaluate_generator(g, data, ["nll"], temperature=t, num_samples=40, seed=3)
        assert record["nll_oracle"] == pytest.approx(entry["nll_oracle"], rel=1e-12)
        assert record["nll_test"] == pytest.approx(entry["nll_test"], rel=1e-12)
