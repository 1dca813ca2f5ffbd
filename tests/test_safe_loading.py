"""Nothing in a run directory can execute code on load, and incompatible checkpoints are refused with a reason.

Each hostile file below would create a marker file if it were unpickled / constructed; the tests check that
the CLIs refuse it with a one-line error (exit code 2) and that the marker never appears. Hostile files get
matching checksums in meta.json, so it is the loader itself, not the checksum, that refuses them.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from pathlib import Path

import pytest
import torch

from textgan.checkpoint import FORMAT_VERSION, IncompatibleCheckpoint, latest_checkpoint, load_checkpoint
from textgan.sample import main as sample_main
from textgan.train import main as train_main


class Payload:
    """Unpickling this calls Path.touch(marker): what a malicious checkpoint would do with os.system."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def rehash(ckpt: Path, name: str) -> None:
    meta = json.loads((ckpt / "meta.json").read_text())
    meta["files"][name] = hashlib.sha256((ckpt / name).read_bytes()).hexdigest()
    (ckpt / "meta.json").write_text(json.dumps(meta))


@pytest.fixture
def run(oracle_run, tmp_path, monkeypatch):
    shutil.copytree(oracle_run, tmp_path / "run")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "run"


def newest(run: Path) -> Path:
    return latest_checkpoint(run / "checkpoints")


@pytest.mark.parametrize("what", ["state.pt", "weights.safetensors"])
def test_pickled_code_in_a_checkpoint_is_refused(run, cli, capsys, what):
    marker = run.parent / "pwned"
    ckpt = newest(run)
    if what == "state.pt":
        torch.save({"progress": Payload(marker)}, ckpt / what)
    else:
        (ckpt / what).write_bytes(pickle.dumps(Payload(marker)))
    rehash(ckpt, what)
    for main, argv in ((sample_main, ["--run", "run"]), (train_main, ["--resume", "--run-dir", "run"])):
        needle = "safe loading refuses" if what == "state.pt" else "weights.safetensors"
        cli.user_error(cli.main(main, argv, capsys), needle)
    assert not marker.exists()


def test_yaml_tags_in_config_are_not_executed(run, cli, capsys):
    marker = run.parent / "pwned"
    cfg = run / "config.yaml"
    cfg.write_text(f"!!python/object/apply:pathlib.Path.touch [{str(marker)!r}]\n" + cfg.read_text())
    cli.user_error(cli.main(sample_main, ["--run", "run"], capsys), "config.yaml", "not valid YAML")
    cli.user_error(cli.main(train_main, ["--resume", "--run-dir", "run"], capsys), "not valid YAML")
    assert not marker.exists()


def test_a_config_without_a_model_is_refused(run, cli, capsys):
    (run / "config.yaml").write_text("")
    cli.user_error(cli.main(sample_main, ["--run", "run"], capsys), "config.yaml names no model")


def test_other_format_version_is_refused_not_skipped(run, cli, capsys):
    ckpt = newest(run)
    meta = json.loads((ckpt / "meta.json").read_text())
    (ckpt / "meta.json").write_text(json.dumps({**meta, "format_version": FORMAT_VERSION + 1}))
    with pytest.raises(IncompatibleCheckpoint):
        latest_checkpoint(run / "checkpoints")  # never falls back to older training silently
    proc = cli.main(train_main, ["--resume", "--run-dir", "run"], capsys)
    cli.user_error(proc, f"format version {FORMAT_VERSION + 1}", f"reads version {FORMAT_VERSION}")
    assert "falling back" not in proc.stderr


def test_other_vocabulary_of_the_same_size_is_refused(text_run, tmp_path, monkeypatch, cli, capsys):
    shutil.copytree(text_run, tmp_path / "run")
    monkeypatch.chdir(tmp_path)
    tok_path = tmp_path / "run" / "tokenizer.json"
    tok = json.loads(tok_path.read_text())
    vocab = tok["model"]["vocab"]
    words = [w for w in vocab if not w.startswith("<")][:2]
    vocab[words[0]], vocab[words[1]] = vocab[words[1]], vocab[words[0]]  # same size, other ids
    tok_path.write_text(json.dumps(tok))
    for main, argv in ((train_main, ["--resume", "--run-dir", "run"]), (sample_main, ["--run", "run"])):
        cli.user_error(cli.main(main, argv, capsys), "different vocabulary")


def test_a_checkpoint_of_another_model_is_refused(run, cli, capsys):
    """An MLE and a SeqGAN LSTM have the same shapes: `--checkpoint` of the other run would load silently."""
    ckpt = newest(run)
    meta = json.loads((ckpt / "meta.json").read_text())
    (ckpt / "meta.json").write_text(json.dumps({**meta, "model": "other_model"}))  # as another run's checkpoint
    from textgan.evaluate import main as evaluate_main

    for main, argv in ((sample_main, ["--run", "run", "--checkpoint", ckpt]),
                       (evaluate_main, ["--run", "run", "--checkpoint", ckpt, "--num", "10"])):
        cli.user_error(cli.main(main, argv, capsys), "was saved by a 'other_model' run", "one of this run's")


def test_meta_lists_every_file_and_the_vocabulary(run):
    _, _, meta = load_checkpoint(newest(run))
    assert set(meta["files"]) == {"weights.safetensors", "state.pt"}
    assert len(meta["vocab"]) == 16 and meta["world_size"] == 1
