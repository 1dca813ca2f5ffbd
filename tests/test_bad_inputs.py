"""The bad-input sweep: every row of the table in docs/reliability.md, through the real CLI entry points.

Each error row must give exit code 2 and exactly one stderr line `error: ...` naming the problem (no
traceback), and leave every file of the existing runs byte for byte as it was (checkpoints, config,
logs: an `--overwrite` target or a refused `--resume` included). The few rows that are
deliberately not errors (documented there) must train and print their warning. Most rows call the CLI's
`main(argv)` in-process (cheap); one row of each kind also runs as a real `python -m` subprocess.
"""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from conftest import TINY_MLE, TINY_MLE_TEXT, TRAIN_LINES, write_tiny_text

from textgan import checkpoint as checkpoint_module
from textgan.runs import RunDir
from textgan.sample import main as sample_main
from textgan.train import main as train_main

MLE = ["--model", "mle", "--config", str(TINY_MLE)]
TEXT = ["--model", "mle", "--config", str(TINY_MLE_TEXT)]
TRAIN, SAMPLE = "textgan.train", "textgan.sample"
OK = None  # marker: the row is not an error

# id -> (CLI, argv, stderr needles, expected: "error" or OK)
ROWS = {
    "data_missing": (TRAIN, [*TEXT, "--data", "missing.txt"], ["data file 'missing.txt' not found"], "error"),
    "data_empty": (TRAIN, [*TEXT, "--data", "empty.txt"], ["'empty.txt' is empty"], "error"),
    "data_binary": (TRAIN, [*TEXT, "--data", "binary.txt"], ["looks binary"], "error"),
    "data_not_utf8": (TRAIN, [*TEXT, "--data", "latin1.txt"], ["not valid utf-8", "data.encoding=latin-1"], "error"),
    "data_line_over_auto_cap": (TRAIN, [*TEXT, "--data", "long.txt"], ["1500 words", "data.max_len=N"], "error"),
    "data_line_over_max_len": (TRAIN, [*TEXT, "--data", "train.txt", "--run-dir", "capped", "data.max_len=3"],
                               ["were truncated"], OK),
    "data_utf16_without_encoding": (TRAIN, [*TEXT, "--data", "utf16.txt"], ["is UTF-16 text", "data.encoding=utf-16"],
                                    "error"),
    "data_utf16_with_encoding": (TRAIN, [*TEXT, "--data", "utf16.txt", "--run-dir", "wide", "data.encoding=utf-16"],
                                 [], OK),
    "vocab_one_word": (TRAIN, [*TEXT, "--data", "one_word.txt"], ["vocabulary of 1 word"], "error"),
    "max_vocab_too_small": (TRAIN, [*TEXT, "--data", "train.txt", "data.max_vocab=3"],
                            ["data.max_vocab=3 leaves 0 word(s) beside the 4 special tokens", "data.max_vocab=6"],
                            "error"),
    "data_key_of_another_kind": (TRAIN, [*MLE, "data.max_vocab=3"],
                                 ["data.max_vocab applies to text data, not to the synthetic oracle",
                                  "data.oracle.vocab_size"], "error"),
    "corpus_smaller_than_batch": (TRAIN, [*TEXT, "--data", "train.txt", "--run-dir", "small", "mle.batch_size=64"],
                                  [], OK),
    "model_unknown": (TRAIN, ["--model", "nope"], ["unknown model 'nope'"], "error"),
    "override_unknown_key": (TRAIN, [*MLE, "mle.epochz=3"], ["unknown config key 'mle.epochz'", "epochs"], "error"),
    "override_malformed": (TRAIN, [*MLE, "mle.epochs"], ["malformed override 'mle.epochs'"], "error"),
    "override_wrong_type": (TRAIN, [*MLE, "mle.lr=fast"], ["'mle.lr' must be a number"], "error"),
    "override_list_unparsable": (TRAIN, [*MLE, "train.best_phases=[mle"],
                                 ["'train.best_phases' must be a list, got '[mle'"], "error"),
    "seed_out_of_range": (TRAIN, [*MLE, "--seed", "-1"], ["config key 'seed' must be >= 0"], "error"),
    "size_zero": (TRAIN, [*MLE, "mle.batch_size=0"], ["'mle.batch_size' must be >= 1"], "error"),
    "size_negative": (TRAIN, [*MLE, "generator.hidden_dim=-4"], ["'generator.hidden_dim' must be >= 1"], "error"),
    "eval_temperature_zero": (TRAIN, [*MLE, "eval.temperature=0"], ["'eval.temperature' must be > 0"], "error"),
    # the network kinds are checked with the config, before the data (here a missing file) are read
    "network_kind_unknown": (TRAIN, [*TEXT, "--data", "missing.txt", "generator.kind=gru"],
                             ["'generator.kind' must be one of lstm, transformer", "got 'gru'"], "error"),
    "sample_temperature_zero": (SAMPLE, ["--run", "run", "--temperature", "0"], ["temperature must be > 0"], "error"),
    "sample_temperature_negative": (SAMPLE, ["--run", "run", "--temperature", "-1"], ["temperature must be > 0"],
                                    "error"),
    "sample_top_p_zero": (SAMPLE, ["--run", "run", "--top-p", "0"], ["top-p must be in (0, 1]"], "error"),
    "sample_top_p_above_one": (SAMPLE, ["--run", "run", "--top-p", "1.5"], ["top-p must be in (0, 1]"], "error"),
    "sample_num_zero": (SAMPLE, ["--run", "run", "--num", "0"], ["--num must be >= 1"], "error"),
    "run_of_another_model": (TRAIN, ["--resume", "--run-dir", "run", "--model", "seqgan"],
                             ["holds a 'mle' run, not 'seqgan'"], "error"),
    "run_dir_not_a_run": (SAMPLE, ["--run", "not_a_run"], ["has no config.yaml"], "error"),
    "checkpoint_truncated": (SAMPLE, ["--run", "run", "--checkpoint", "run/checkpoints/step-00000002"],
                             ["is damaged"], "error"),
    "checkpoints_all_truncated": (TRAIN, ["--resume", "--run-dir", "damaged"], ["no intact checkpoint"], "error"),
    "checkpoint_newest_truncated": (TRAIN, ["--resume", "--run-dir", "newest_damaged"],
                                    ["falling back to the previous checkpoint"], OK),
    "disk_full_checkpoint": (TRAIN, [*MLE, "--run-dir", "full"],
                             ["No space left on device", "previous checkpoint (step-00000001) is intact", "--resume"],
                             "error"),
    "valid_size_too_large": (TRAIN, [*TEXT, "--data", "train.txt", "data.valid_size=12"],
                             ["data.valid_size=12 leaves no training data", "has 8 training sentences",
                              "use a value below 8"], "error"),
    "best_metric_not_reported": (TRAIN, [*MLE, "train.best_metric=nll_valid"],
                                 ["train.best_metric=nll_valid is not reported", "data.valid_size=N"], "error"),
    "patience_without_best_metric": (TRAIN, [*MLE, "train.patience=3"],
                                     ["train.patience and train.restore_best need train.best_metric"], "error"),
    "sample_best_without_best": (SAMPLE, ["--run", "run", "--checkpoint", "best"], ["has no best checkpoint"],
                                 "error"),
    "disk_full_metrics": (TRAIN, [*MLE, "--run-dir", "full"], ["No space left on device", "metrics.jsonl"], "error"),
    "overwrite_with_bad_data": (TRAIN, [*TEXT, "--data", "missing.txt", "--run-dir", "run", "--overwrite"],
                                ["data file 'missing.txt' not found"], "error"),
    "overwrite_with_late_error": (TRAIN, [*MLE, "--run-dir", "run", "--overwrite", "train.best_metric=nll_tset"],
                                  ["train.best_metric=nll_tset is not reported"], "error"),
    "run_dir_holds_other_files": (TRAIN, [*MLE, "--run-dir", "project", "--overwrite"],
                                  ["is not a run but holds 'config.yaml'", "choose another --run-dir"], "error"),
    "resume_with_config": (TRAIN, ["--resume", "--run-dir", "run", "--config", str(TINY_MLE)],
                           ["--config is not read on --resume", "key=value"], "error"),
    "resume_and_overwrite": (TRAIN, ["--resume", "--overwrite", "--run-dir", "run"],
                             ["--resume and --overwrite contradict each other"], "error"),
    "resume_checkpoint_of_newer_format": (TRAIN, ["--resume", "--run-dir", "future", "mle.epochs=3"],
                                          ["has format version 2", "this textgan reads version 1"], "error"),
    "resume_budget_below_progress": (TRAIN, ["--resume", "--run-dir", "run", "mle.epochs=0"],
                                     ["is at epoch 1 of phase 'mle', past the 0", "budget at 1 or more"], "error"),
    "flag_wrong_type": (TRAIN, [*MLE, "--seed", "abc"],
                        ["argument --seed: invalid int value: 'abc'", "python -m textgan.train --help"], "error"),
    "sample_flag_wrong_type": (SAMPLE, ["--run", "run", "--num", "many"], ["argument --num: invalid int value"],
                               "error"),
    "sample_out_folder_missing": (SAMPLE, ["--run", "run", "--out", "nowhere/samples.txt"],
                                  ["folder 'nowhere' does not exist"], "error"),
    "sample_out_is_a_directory": (SAMPLE, ["--run", "run", "--out", "not_a_run"], ["is a directory"], "error"),
}
SUBPROCESS_ROWS = ("data_binary", "vocab_one_word", "sample_top_p_zero", "checkpoints_all_truncated",
                   "flag_wrong_type")


def truncate(ckpt: Path) -> None:
    f = ckpt / "weights.safetensors"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])


def make_workdir(cwd: Path, oracle_run: Path) -> Path:
    write_tiny_text(cwd)
    (cwd / "empty.txt").write_text("\n \n")
    (cwd / "binary.txt").write_bytes(b"abc\x00\x01\x02 def\n")
    (cwd / "latin1.txt").write_bytes("caf\xe9 cr\xe8me\n".encode("latin-1"))
    (cwd / "long.txt").write_text(" ".join(f"w{i}" for i in range(1500)) + "\n" + TRAIN_LINES[0] + "\n")
    (cwd / "one_word.txt").write_text("hello\nhello hello\n")
    (cwd / "utf16.txt").write_text("\n".join(TRAIN_LINES) + "\n", encoding="utf-16")  # with its byte-order mark
    (cwd / "not_a_run").mkdir()
    (cwd / "project").mkdir()  # a user's folder that happens to hold a config.yaml: never a run to replace
    (cwd / "project" / "config.yaml").write_text("lr: 0.1\n")
    (cwd / "project" / "notes.txt").write_text("mine\n")
    for name in ("run", "damaged", "newest_damaged", "future"):
        shutil.copytree(oracle_run, cwd / name)
    for meta in (cwd / "future" / "checkpoints").glob("*/meta.json"):  # as a later textgan would write them
        meta.write_text(json.dumps({**json.loads(meta.read_text()), "format_version": 2}))
    for ckpt in (cwd / "damaged" / "checkpoints").iterdir():
        truncate(ckpt)
    truncate(cwd / "newest_damaged" / "checkpoints" / "step-00000002")
    truncate(cwd / "run" / "checkpoints" / "step-00000002")  # only --checkpoint names it explicitly
    return cwd


def snapshot(cwd: Path) -> dict[str, str]:
    """sha256 of every file of the existing runs (nothing saved may be lost or changed by an error)."""
    return {str(p.relative_to(cwd)): hashlib.sha256(p.read_bytes()).hexdigest()
            for name in ("run", "damaged", "future", "project") for p in sorted((cwd / name).rglob("*")) if p.is_file()}


def fail_on_call(n: int, real):
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise OSError(errno.ENOSPC, "No space left on device", str(args[-1]) if args else None)
        return real(*args, **kwargs)
    return wrapper


@pytest.mark.parametrize("row", ROWS)
def test_row_in_process(row, tmp_path, oracle_run, monkeypatch, cli, capsys, caplog):
    cwd = make_workdir(tmp_path, oracle_run)
    monkeypatch.chdir(cwd)
    module, argv, needles, expected = ROWS[row]
    if row == "disk_full_checkpoint":  # saves: step 0, step 1, then step 2 fails
        monkeypatch.setattr(checkpoint_module, "save_file", fail_on_call(3, checkpoint_module.save_file))
    if row == "disk_full_metrics":
        def log_metrics(self, record):
            raise OSError(errno.ENOSPC, "No space left on device", str(self.path / "metrics.jsonl"))
        monkeypatch.setattr(RunDir, "log_metrics", log_metrics)
    before = snapshot(cwd)
    proc = cli.main(train_main if module == TRAIN else sample_main, argv, capsys)
    if expected is OK:
        assert proc.returncode == 0, proc.stderr
        for needle in needles:  # warnings: logging goes to pytest's capture in-process
            assert needle in proc.stderr + caplog.text
    else:
        cli.user_error(proc, *needles)
        assert snapshot(cwd) == before, "an error changed a saved checkpoint"
    if row == "disk_full_checkpoint":  # the run keeps its good checkpoints, no temporary folder, and resumes
        ckpts = sorted(p.name for p in (cwd / "full" / "checkpoints").iterdir())
        assert ckpts == ["step-00000000", "step-00000001"]
        monkeypatch.undo()
        monkeypatch.chdir(cwd)
        resumed = cli.main(train_main, ["--resume", "--run-dir", "full"], capsys)
        assert resumed.returncode == 0, resumed.stderr
        assert (cwd / "full" / "checkpoints" / "step-00000002" / "meta.json").is_file()


def test_every_row_is_in_the_docs_table():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "reliability.md").read_text()
    missing = [row for row in ROWS if f"`{row}`" not in doc]
    assert not missing, f"rows missing from docs/reliability.md: {missing}"


@pytest.fixture(scope="module")
def subprocess_results(tmp_path_factory, oracle_run, cli):
    cwd = make_workdir(tmp_path_factory.mktemp("bad_inputs"), oracle_run)
    return cli.many({row: (ROWS[row][0], ROWS[row][1]) for row in SUBPROCESS_ROWS}, cwd)


@pytest.mark.parametrize("row", SUBPROCESS_ROWS)
def test_row_through_python_m(row, subprocess_results, cli):
    cli.user_error(subprocess_results[row], *ROWS[row][2])
