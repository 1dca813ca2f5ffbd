"""`RunDir`'s --overwrite bookkeeping (textgan/runs.py): an old run is set aside, put back when the new run
fails before its first checkpoint, dropped once it has one; files beside a run are never touched."""

from __future__ import annotations

from pathlib import Path

from textgan.runs import RunDir


def make_run(path: Path, tag: str, checkpoint: bool = True) -> RunDir:
    run = RunDir(path)
    run.create()
    (path / "config.yaml").write_text(f"model: {tag}\n")
    (path / "run_info.jsonl").write_text("{}\n")
    if checkpoint:
        (path / "checkpoints" / "step-00000000").mkdir(parents=True)
    return run


def test_a_failed_replacement_puts_the_old_run_back(tmp_path):
    run = make_run(tmp_path / "run", "old")
    (tmp_path / "run" / "notes.txt").write_text("mine")
    run.set_aside()
    assert run.run_entries() == [] and (tmp_path / "run" / "notes.txt").exists()
    make_run(tmp_path / "run", "new", checkpoint=False)  # the new run fails before its first checkpoint
    assert run.restore_replaced()
    assert (tmp_path / "run" / "config.yaml").read_text() == "model: old\n" and run.has_checkpoint()
    assert not run.replaced.exists() and (tmp_path / "run" / "notes.txt").read_text() == "mine"


def test_a_replacement_with_a_checkpoint_drops_the_old_run(tmp_path):
    run = make_run(tmp_path / "run", "old")
    run.set_aside()
    make_run(tmp_path / "run", "new")
    run.drop_replaced()
    assert not run.replaced.exists() and not run.restore_replaced()
    assert (tmp_path / "run" / "config.yaml").read_text() == "model: new\n"


def test_a_killed_replacement_keeps_the_run_it_was_replacing(tmp_path):
    """A start killed before its first checkpoint leaves its files beside `.replaced`: replacing again deletes
    the killed start's files and keeps the older run set aside, which a later failure still puts back."""
    run = make_run(tmp_path / "run", "old")
    run.set_aside()
    make_run(tmp_path / "run", "killed", checkpoint=False)
    run.set_aside()
    assert run.run_entries() == []
    assert (run.replaced / "config.yaml").read_text() == "model: old\n"
    make_run(tmp_path / "run", "again", checkpoint=False)
    assert run.restore_replaced() and (tmp_path / "run" / "config.yaml").read_text() == "model: old\n"


def test_a_save_killed_midway_is_not_a_checkpoint(tmp_path):
    """The temporary folder of an interrupted save does not count: a run holding only that was never
    saved, and the run a replacing start was replacing is still the one worth keeping."""
    run = make_run(tmp_path / "run", "old")
    run.set_aside()
    killed = make_run(tmp_path / "run", "killed", checkpoint=False)
    (tmp_path / "run" / "checkpoints" / ".tmp-step-00000000").mkdir(parents=True)
    assert not killed.has_checkpoint()
    run.set_aside()  # a second --overwrite keeps the set-aside run
    assert (run.replaced / "config.yaml").read_text() == "model: old\n"


def test_relative_data_paths_are_found_from_the_start_folder(tmp_path, monkeypatch):
    """Files only (a named data set is read from the data root), the saved config untouched."""
    import json

    from textgan.data.sources import DataConfig
    from textgan.runs import with_data_paths_found

    start = tmp_path / "start"
    (start / "coco").mkdir(parents=True)  # a folder named like a data set: not a data file
    for name in ("train.txt", "test.txt", "pos.txt", "w.npz"):
        (start / name).write_text("x\n")
    run = make_run(tmp_path / "run", "mle")
    (tmp_path / "run" / "run_info.jsonl").write_text(json.dumps({"cwd": str(start)}) + "\n")
    monkeypatch.chdir(tmp_path)
    cfg = DataConfig(name="train.txt", test="test.txt", class_files=["positive=pos.txt"])
    cfg.oracle.params = "w.npz"
    found = with_data_paths_found(cfg, run.path)
    assert (found.name, found.test) == (str(start / "train.txt"), str(start / "test.txt"))
    assert found.class_files == [f"positive={start / 'pos.txt'}"] and found.oracle.params == str(start / "w.npz")
    assert (cfg.name, cfg.oracle.params) == ("train.txt", "w.npz")  # a copy
    assert with_data_paths_found(DataConfig(name="coco"), run.path).name == "coco"
    # a file that moved away from both folders is named where the run read it (the error then says where)
    moved = with_data_paths_found(DataConfig(name="train.txt", test="gone.txt"), run.path)
    assert moved.test == str(start / "gone.txt")
    assert with_data_paths_found(DataConfig(name="ring8"), run.path).name == "ring8"  # a bare word: a source
