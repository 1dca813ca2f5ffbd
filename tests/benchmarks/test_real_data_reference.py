"""benchmarks/real_data_reference.py: the training sentences scored as samples, on two tiny splits whose topics
differ (the sentence encoder replaced by a hashed bag of words, so no model is needed)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks.real_data_reference import halves, main, measure
from tests.conftest import BagOfWordsEncoder
from textgan.data.sources import DataConfig
from textgan.metrics import fed as fed_mod
from textgan.metrics.suite import Sentences


def _splits(folder: Path) -> tuple[Path, Path]:
    colours, places = ["red", "big", "small", "brown", "old"], ["park", "road", "beach", "field", "yard"]
    train = [f"a {c} dog runs in the {p} ." for c in colours for p in places]
    test = [f"a {c} cat sleeps in the {p} ." for c in colours for p in places[:3]] + train[:10]
    (folder / "train.txt").write_text("\n".join(train) + "\n")
    (folder / "test.txt").write_text("\n".join(test) + "\n")
    return folder / "train.txt", folder / "test.txt"


def test_halves_are_disjoint_and_seeded():
    s = Sentences([[i] for i in range(10)], [str(i) for i in range(10)])
    a, b = halves(s, seed=0)
    assert len(a) == len(b) == 5 and sorted(a.text + b.text) == sorted(s.text)
    assert halves(s, seed=0)[0].text == a.text and halves(s, seed=1)[0].text != a.text


def test_a_topic_shift_between_the_splits_shows_in_fed_and_in_the_word_list(tmp_path, monkeypatch):
    monkeypatch.setattr(fed_mod, "load_encoder", lambda *a, **k: BagOfWordsEncoder())
    train, test = _splits(tmp_path)
    out = measure(DataConfig(name=str(train), test=str(test)), num=20, seed=0, data_dir=None, min_count=5, top=2)
    assert out["n_train_scored"] == 20 and out["n_references"] == 25 and out["train_file"] == "train.txt"
    tv = out["train_vs_test"]
    assert set(tv["bleu"]) == set(tv["self_bleu"]) == {"2", "3", "4", "5"}
    assert 0 < tv["bleu"]["5"] <= 1
    floor = out["fed_noise_floor"]
    assert floor["half_size"] == 10
    assert tv["fed"] > floor["train_half_vs_half"]  # dogs against a test set that is mostly cats
    assert {row[0] for row in out["word_shift"]["more_in_train"]} == {"dog", "runs"}
    assert {row[0] for row in out["word_shift"]["more_in_test"]} == {"cat", "sleeps"}
    assert out["word_shift"]["more_in_test"][0][1] == 0  # [word, train count, test count]


def test_a_data_set_without_test_set_is_a_one_line_error(tmp_path, capsys):
    train, _ = _splits(tmp_path)
    assert main(["--data", str(train), "--num", "8"]) == 2
    assert capsys.readouterr().err.strip() == f"error: data set '{train}' has no test set to score against"
