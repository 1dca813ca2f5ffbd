"""benchmarks/real_data_reference.py: the training sentences scored as samples, on two tiny splits whose topics
differ (the sentence encoder replaced by a hashed bag of words, so no model is needed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks.real_data_reference import half_indices, main, measure
from tests.conftest import BagOfWordsEncoder
from textgan.data.sources import DataConfig
from textgan.errors import UserError
from textgan.metrics import fed as fed_mod


def _splits(folder: Path) -> tuple[Path, Path]:
    colours, places = ["red", "big", "small", "brown", "old"], ["park", "road", "beach", "field", "yard"]
    train = [f"a {c} dog runs in the {p} ." for c in colours for p in places]
    test = [f"a {c} cat sleeps in the {p} ." for c in colours for p in places[:3]] + train[:10]
    (folder / "train.txt").write_text("\n".join(train) + "\n")
    (folder / "test.txt").write_text("\n".join(test) + "\n")
    return folder / "train.txt", folder / "test.txt"


def test_halves_are_disjoint_and_seeded():
    a, b = half_indices(10, seed=0)
    assert len(a) == len(b) == 5 and sorted(a + b) == list(range(10))
    assert half_indices(10, seed=0)[0] == a and half_indices(10, seed=1)[0] != a


def test_a_topic_shift_between_the_splits_shows_in_fed_and_in_the_word_list(tmp_path, monkeypatch):
    monkeypatch.setattr(fed_mod, "load_encoder", lambda *a, **k: BagOfWordsEncoder())
    train, test = _splits(tmp_path)
    out = measure(DataConfig(name=str(train), test=str(test)), num=20, seed=0, data_dir=None, min_count=5, top=2)
    assert out["n_train_scored"] == 20 and out["n_references"] == 25 and out["train_file"] == "train.txt"
    tv = out["train_vs_test"]
    assert set(tv["bleu"]) == set(tv["self_bleu"]) == {"2", "3", "4", "5"}
    assert 0 < tv["bleu"]["5"] <= 1
    floor = out["fed_noise_floor"]
    assert floor["half_size"] == 10 and floor["test_half_size"] == 12
    assert tv["fed"] > floor["train_half_vs_half"]  # dogs against a test set that is mostly cats
    assert {row[0] for row in out["word_shift"]["more_in_train"]} == {"dog", "runs"}
    assert {row[0] for row in out["word_shift"]["more_in_test"]} == {"cat", "sleeps"}
    assert out["word_shift"]["more_in_test"][0][1] == 0  # [word, train count, test count]


def test_a_data_set_without_test_set_is_a_one_line_error(tmp_path, capsys):
    train, _ = _splits(tmp_path)
    assert main(["--data", str(train), "--num", "8"]) == 2
    assert capsys.readouterr().err.strip() == f"error: data set '{train}' has no test set to score against"


def test_sample_files_are_placed_beside_real_data_on_both_references(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fed_mod, "load_encoder", lambda *a, **k: BagOfWordsEncoder())
    train, test = _splits(tmp_path)
    like_train = tmp_path / "like_train.txt"
    like_train.write_text("".join(f"a big dog runs in the {p} .\n" for p in ["park", "road", "beach"] * 4))
    like_test = tmp_path / "like_test.txt"
    like_test.write_text("".join(f"a red cat sleeps in the {p} .\n" for p in ["park", "road", "beach"] * 4))
    empty = tmp_path / "empty.txt"
    empty.write_text("\n" * 12)
    out = measure(DataConfig(name=str(train), test=str(test)), num=20, seed=0, data_dir=None, min_count=5,
                  samples=[like_train, like_test, empty])
    rows = {f["file"]: f for f in out["samples_vs_halves"]["files"]}
    assert rows["like_train.txt"]["n_samples"] == 10  # cut to the halves' size
    assert rows["like_train.txt"]["fed_vs_train_half"] < rows["like_test.txt"]["fed_vs_train_half"]
    assert rows["like_test.txt"]["fed_vs_test_half"] < rows["like_test.txt"]["fed_vs_train_half"]
    # empty lines are empty samples (as `textgan.sample` writes a collapsed run's output), scored, not refused
    assert rows["empty.txt"]["n_samples"] == 10
    assert rows["empty.txt"]["fed_vs_train_half"] > rows["like_test.txt"]["fed_vs_train_half"]
    real = out["samples_vs_halves"]["training_half_a"]
    assert real["fed_vs_train_half"] == out["fed_noise_floor"]["train_half_vs_half"]


def test_bad_sample_files_are_one_line_errors_raised_before_any_scoring(tmp_path, monkeypatch):
    def no_encoder(*args, **kwargs):
        raise AssertionError("scored before the sample files were checked")

    monkeypatch.setattr(fed_mod, "load_encoder", no_encoder)
    train, test = _splits(tmp_path)
    config = DataConfig(name=str(train), test=str(test))
    with pytest.raises(UserError, match=r"cannot read sample file '.*missing.txt' \(No such file or directory\)"):
        measure(config, num=20, seed=0, data_dir=None, samples=[tmp_path / "missing.txt"])
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 au lait\n".encode("latin-1") * 3)
    with pytest.raises(UserError, match="not UTF-8"):
        measure(config, num=20, seed=0, data_dir=None, samples=[tmp_path / "latin1.txt"])
    (tmp_path / "one.txt").write_text("a dog\n")
    with pytest.raises(UserError, match="1 line"):
        measure(config, num=20, seed=0, data_dir=None, samples=[tmp_path / "one.txt"])


def test_samples_need_a_single_data_set(tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["--data", "coco", "emnlp_news_10k", "--samples", str(tmp_path / "s.txt")])
    assert exc.value.code == 2


def test_append_adds_new_sample_files_to_an_earlier_output(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fed_mod, "load_encoder", lambda *a, **k: BagOfWordsEncoder())
    train, test = _splits(tmp_path)
    first, second = tmp_path / "run0.txt", tmp_path / "run1.txt"
    first.write_text("".join(f"a big dog runs in the {p} .\n" for p in ["park", "road", "beach"] * 4))
    second.write_text("".join(f"a red cat sleeps in the {p} .\n" for p in ["park", "road", "beach"] * 4))
    out = tmp_path / "out.json"
    common = ["--data", str(train), "--num", "20", "--min-count", "5", "--out", str(out)]
    monkeypatch.setattr("benchmarks.real_data_reference.DataConfig",  # the CLI names data sets; this one has a
                        lambda name: DataConfig(name=name, test=str(test)))  # test file beside it
    assert main([*common, "--samples", str(first)]) == 0
    alone = json.loads(out.read_text())[0]["samples_vs_halves"]["files"]
    assert main([*common, "--samples", str(second), "--append"]) == 0
    files = json.loads(out.read_text())[0]["samples_vs_halves"]["files"]
    assert [f["file"] for f in files] == ["run0.txt", "run1.txt"] and files[0] == alone[0]
    calls = json.loads(out.read_text())[0]["calls"]  # how each part was made, the earlier call kept
    assert [c["command"].split("--samples ")[1] for c in calls] == ["run0.txt", "run1.txt --append"]
    assert all(str(tmp_path) not in c["command"] and c["hardware"]["cpu_count"] for c in calls)

    assert main([*common, "--samples", str(second), "--append", "--seed", "1"]) == 2
    assert "used other halves" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--data", "coco", "--samples", str(first), "--append"])  # nothing to append to
