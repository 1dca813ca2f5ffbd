"""Smoke tests of `python -m textgan.train` (real subprocesses on configs/tiny/), exact resume, and the
one-line errors (exit code 2, no traceback) for every kind of bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
import yaml
from conftest import REPO_ROOT, TEST_LINES, metric_records, write_tiny_text
from safetensors.torch import load_file

from textgan.checkpoint import latest_checkpoint
from textgan.config import dump_yaml
from textgan.data.vocab import IdVocab
from textgan.registry import get_model, make_config
from textgan.runs import source_fingerprint
from textgan.train import main as train_main

TINY = Path(__file__).resolve().parents[1] / "configs" / "tiny"
TINY_MLE, TINY_MLE_TEXT = TINY / "mle.yaml", TINY / "mle_text.yaml"

CHECKPOINT_FILES = {"weights.safetensors", "state.pt", "meta.json"}


def test_oracle_run_layout(oracle_run):
    cfg = yaml.safe_load((oracle_run / "config.yaml").read_text())
    assert cfg["model"] == "mle" and cfg["data"]["oracle"]["vocab_size"] == 50 and cfg["mle"]["epochs"] == 2
    assert json.loads((oracle_run / "vocab.json").read_text())["size"] == 50
    records = metric_records(oracle_run)
    assert [r["iteration"] for r in records] == [0, 1, 2]  # eval before training, then every epoch
    assert all({"nll_oracle", "nll_test"} <= set(r) for r in records)
    assert "mle_loss" in records[-1] and "bleu_2" not in records[-1]
    assert records[-1]["nll_oracle"] < records[0]["nll_oracle"]
    ckpts = sorted((oracle_run / "checkpoints").iterdir())
    assert [c.name for c in ckpts] == ["step-00000001", "step-00000002"]
    assert all({f.name for f in c.iterdir()} == CHECKPOINT_FILES for c in ckpts)
    meta = json.loads((ckpts[-1] / "meta.json").read_text())
    assert (meta["model"], meta["step"], meta["vocab_size"], meta["seq_len"]) == ("mle", 2, 50, 8)
    assert (oracle_run / "samples" / "step-000002.txt").read_text().count("\n") == 5
    info = json.loads((oracle_run / "run_info.jsonl").read_text().splitlines()[-1])
    assert info["phases"] == [{"name": "mle", "unit": "epoch", "iterations": 2}]   # the schedule, for tools
    assert info["cpu_capability"] == torch.backends.cpu.get_cpu_capability()   # why reruns on other machines differ
    assert info["source"] == source_fingerprint()  # the code this sitting imported, for the benchmark harness


def test_text_run_layout(text_run):
    assert (text_run / "tokenizer.json").is_file() and not (text_run / "vocab.json").exists()
    last = metric_records(text_run)[-1]
    assert {"nll_test", "mle_loss"} | {f"bleu_{n}" for n in range(2, 6)} | {f"self_bleu_{n}" for n in range(2, 6)} \
        <= set(last)
    assert "nll_oracle" not in last and all(0 <= last[f"bleu_{n}"] <= 1 for n in range(2, 6))
    assert {f.name for f in latest_checkpoint(text_run / "checkpoints").iterdir()} == CHECKPOINT_FILES


def test_list(cli, capsys):
    proc = cli.main(train_main, ["--list"], capsys)
    assert proc.returncode == 0
    names = [line.split()[0] for line in proc.stdout.splitlines() if line.startswith("  ")]
    assert {"mle", "oracle", "coco", "emnlp_news", "emnlp_news_10k"} <= set(names)


def test_resume_is_bitwise_identical(oracle_run, tmp_path, cli):
    """3 epochs straight == the 2-epoch run resumed with its budget raised to 3."""
    shutil.copytree(oracle_run, tmp_path / "resumed")
    procs = cli.many({
        "straight": ("textgan.train", ["--model", "mle", "--config", TINY_MLE, "--run-dir", "straight",
                                       "mle.epochs=3"]),
        "resumed": ("textgan.train", ["--resume", "--run-dir", "resumed", "mle.epochs=3"]),
    }, cwd=tmp_path)
    for proc in procs.values():
        assert proc.returncode == 0, proc.stderr
    straight, resumed = (latest_checkpoint(tmp_path / name / "checkpoints") for name in ("straight", "resumed"))
    assert straight.name == resumed.name == "step-00000003"
    a, b = load_file(straight / "weights.safetensors"), load_file(resumed / "weights.safetensors")
    assert a.keys() == b.keys() and all(a[k].equal(b[k]) for k in a)
    timing = {"elapsed_s", "eval_s"}
    strip = lambda rs: [{k: v for k, v in r.items() if k not in timing} for r in rs]
    assert strip(metric_records(tmp_path / "resumed")) == strip(metric_records(tmp_path / "straight"))
    # the raised budget is saved, so resuming again after a crash would keep it
    assert yaml.safe_load((tmp_path / "resumed" / "config.yaml").read_text())["mle"]["epochs"] == 3


def test_overwrite_replaces_an_existing_run(oracle_run, tmp_path, monkeypatch, cli, capsys):
    shutil.copytree(oracle_run, tmp_path / "run")
    (tmp_path / "run" / "notes.txt").write_text("kept beside the run\n")
    monkeypatch.chdir(tmp_path)
    argv = ["--model", "mle", "--config", TINY_MLE, "--run-dir", "run", "--overwrite", "mle.epochs=0"]
    proc = cli.main(train_main, argv, capsys)
    assert proc.returncode == 0, proc.stderr
    assert [r["iteration"] for r in metric_records(tmp_path / "run")] == [0]
    assert [c.name for c in (tmp_path / "run" / "checkpoints").iterdir()] == ["step-00000000"]
    # only the run's own files were replaced; the old run set aside is gone once the new one has a checkpoint
    assert (tmp_path / "run" / "notes.txt").read_text() == "kept beside the run\n"
    assert not (tmp_path / "run" / ".replaced").exists()


def test_a_write_failing_during_overwrite_puts_the_old_run_back(oracle_run, tmp_path, monkeypatch, cli, capsys):
    import errno

    from textgan.runs import RunDir

    shutil.copytree(oracle_run, tmp_path / "run")
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "run").rglob("*"))

    def disk_full(self, info):
        raise OSError(errno.ENOSPC, "No space left on device", str(self.path / "run_info.jsonl"))

    monkeypatch.setattr(RunDir, "write_run_info", disk_full)
    monkeypatch.chdir(tmp_path)
    proc = cli.main(train_main, ["--model", "mle", "--config", TINY_MLE, "--run-dir", "run", "--overwrite"], capsys)
    # the advice is to run the command again, not to --resume (which would continue the old run)
    cli.user_error(proc, "No space left on device", "is back as it was", "run the command again")
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "run").rglob("*")) == before


def test_a_start_killed_while_replacing_a_run_says_where_that_run_is(oracle_run, tmp_path, monkeypatch, cli, capsys):
    from textgan.runs import RunDir

    shutil.copytree(oracle_run, tmp_path / "run")
    run = RunDir(tmp_path / "run")
    run.set_aside()  # as --overwrite does, then the start is killed after writing its config alone
    (tmp_path / "run" / "config.yaml").write_text((run.replaced / "config.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    cli.user_error(cli.main(train_main, ["--resume", "--run-dir", "run"], capsys),
                   "has no checkpoint to resume from", "the run it was replacing is kept in")
    cli.user_error(cli.main(train_main, ["--model", "mle", "--config", TINY_MLE, "--run-dir", "run"], capsys),
                   "saved no checkpoint", "--overwrite", "the run it was replacing is kept in")
    proc = cli.main(train_main, ["--model", "mle", "--config", TINY_MLE, "--run-dir", "run", "--overwrite",
                                 "mle.epochs=1"], capsys)
    assert proc.returncode == 0, proc.stderr
    assert not run.replaced.exists() and run.has_checkpoint()


def test_relative_data_paths_are_found_from_another_folder(tmp_path, monkeypatch, cli, capsys, caplog):
    """A run trained on `--data train.txt data.test=test.txt` resumes and evaluates from another folder: its
    relative paths are read from the folder it was started in (run_info's cwd); the saved config keeps them."""
    from textgan.evaluate import main as evaluate_main

    start = tmp_path / "project"
    start.mkdir()
    write_tiny_text(start)
    monkeypatch.chdir(start)
    argv = [*TEXT_ARGS, "--data", "train.txt", "data.test=test.txt", "--run-dir", "run", "mle.epochs=1"]
    assert cli.main(train_main, argv, capsys).returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    resumed = cli.main(train_main, ["--resume", "--run-dir", start / "run", "mle.epochs=2"], capsys)
    assert resumed.returncode == 0, resumed.stderr
    assert [r["iteration"] for r in metric_records(start / "run")] == [0, 1, 2]
    scored = cli.main(evaluate_main, ["--run", start / "run", "--num", "8", "--metrics", "bleu"], capsys)
    assert scored.returncode == 0, scored.stderr
    saved = yaml.safe_load((start / "run" / "config.yaml").read_text())["data"]
    assert (saved["name"], saved["test"]) == ("train.txt", "test.txt")
    assert "the training data differ" not in caplog.text  # the same file, found from elsewhere
    # the README's Python recipe too: load_data(run.cfg.data) of a loaded run works from here
    from textgan.data.sources import load_data
    from textgan.runs import load_run

    loaded = load_run(start / "run")
    assert len(load_data(loaded.cfg.data, vocab=loaded.vocab).test) == len(TEST_LINES)


def test_a_data_file_edited_between_sittings_is_reported(tmp_path, monkeypatch, cli, capsys, caplog):
    write_tiny_text(tmp_path)
    monkeypatch.chdir(tmp_path)
    argv = [*TEXT_ARGS, "--data", "train.txt", "data.test=test.txt", "--run-dir", "run", "mle.epochs=1"]
    assert cli.main(train_main, argv, capsys).returncode == 0
    with open(tmp_path / "train.txt", "a") as f:
        f.write("a sentence added later\n")
    resumed = cli.main(train_main, ["--resume", "--run-dir", "run", "mle.epochs=2"], capsys)
    assert resumed.returncode == 0, resumed.stderr
    assert "the training data differ from the ones this run started on" in caplog.text


def test_resuming_a_finished_run_says_there_is_nothing_to_train(oracle_run, tmp_path, cli, capsys):
    shutil.copytree(oracle_run, tmp_path / "run")
    proc = cli.main(train_main, ["--resume", "--run-dir", str(tmp_path / "run")], capsys)
    assert proc.returncode == 0, proc.stderr
    assert "nothing to train: the checkpoint at step 2 already completes the schedule" in proc.stdout
    assert "raise a budget (e.g. mle.epochs=N)" in proc.stdout  # the MLE run's own budget, not a GAN's
    assert sorted(c.name for c in (tmp_path / "run" / "checkpoints").iterdir()) == ["step-00000001", "step-00000002"]
    # an override given to a resume that trains nothing leaves the config as it was: the run's evaluations
    # were measured with the saved settings (compare and evaluate read them from config.yaml)
    config = (tmp_path / "run" / "config.yaml").read_text()
    proc = cli.main(train_main, ["--resume", "--run-dir", str(tmp_path / "run"), "eval.num_samples=7"], capsys)
    assert proc.returncode == 0 and "the run's config is unchanged" in proc.stdout, proc.stderr
    assert (tmp_path / "run" / "config.yaml").read_text() == config


def test_nothing_to_train_after_patience_ended_the_last_phase_says_a_budget_will_not_help(tmp_path):
    from types import SimpleNamespace

    from textgan.runs import RunDir
    from textgan.train import nothing_to_train

    run = RunDir(tmp_path)
    tmp_path.mkdir(exist_ok=True)
    last = SimpleNamespace(name="mle", unit="epoch", iterations=30, budget_key="mle.epochs")
    for iteration in (0, 4, 8):
        run.log_metrics({"phase": "mle", "iteration": iteration, "step": iteration, "nll_valid": 3.0})
    message = nothing_to_train(last, run, 8, patience_selects=True)
    assert "train.patience ended phase 'mle' at epoch 8 of 30" in message and "new run" in message
    assert "mle.epochs=N" not in message
    # without train.patience on that phase the same records are a run stopped between evaluations (a signal)
    assert "raise a budget (e.g. mle.epochs=N)" in nothing_to_train(last, run, 8, patience_selects=False)
    run.log_metrics({"phase": "mle", "iteration": 30, "step": 30, "nll_valid": 3.0})  # the whole budget ran
    assert "raise a budget (e.g. mle.epochs=N)" in nothing_to_train(last, run, 30, patience_selects=True)


def make_workdir(cwd: Path) -> Path:
    """Bad inputs: an empty file, a Latin-1 file, bad YAML, and a run directory with no checkpoint."""
    (cwd / "empty.txt").write_text("\n\n")
    (cwd / "latin1.txt").write_bytes("café crème\n".encode("latin-1"))
    (cwd / "bad.yaml").write_text("mle: [1\n")
    nockpt = cwd / "nockpt"  # a run whose training never reached a checkpoint
    nockpt.mkdir()
    (nockpt / "config.yaml").write_text(dump_yaml(make_config(get_model("mle"))))
    (nockpt / "run_info.jsonl").write_text('{"argv": []}\n')
    IdVocab(5000).save(nockpt)
    return cwd


TINY_ARGS = ["--model", "mle", "--config", str(TINY_MLE)]
TEXT_ARGS = ["--model", "mle", "--config", str(TINY_MLE_TEXT)]

CASES = {
    "missing_file": ([*TEXT_ARGS, "--data", "missing.txt"], ["data file 'missing.txt' not found"]),
    "empty_file": ([*TEXT_ARGS, "--data", "empty.txt"], ["'empty.txt' is empty"]),
    "undecodable": ([*TEXT_ARGS, "--data", "latin1.txt"], ["not valid utf-8", "data.encoding=latin-1"]),
    "unknown_data_set": ([*TINY_ARGS, "--data", "cocoa"], ["unknown data set 'cocoa'"]),
    "unknown_model": (["--model", "nope"], ["unknown model 'nope'", "mle"]),
    "no_model": (["--data", "oracle"], ["no model given"]),
    "unknown_key": ([*TINY_ARGS, "train.evall_every=2"], ["unknown config key 'train.evall_every'", "eval_every"]),
    "bad_value": ([*TINY_ARGS, "mle.lr=0"], ["'mle.lr' must be > 0"]),
    "bad_type": ([*TINY_ARGS, "mle.epochs=many"], ["'mle.epochs' must be an integer"]),
    "section_scalar": ([*TINY_ARGS, "train=3"], ["'train' is a section"]),
    # another generator kind's section would be silently ignored: forgetting generator.kind is the mistake
    "other_kinds_section": ([*TINY_ARGS, "generator.transformer.layers=3"],
                            ["'generator.transformer.layers' is read only with generator.kind=transformer",
                             "add generator.kind=transformer, or remove it"]),
    "malformed": ([*TINY_ARGS, "foo"], ["malformed override 'foo'"]),
    "missing_config": (["--model", "mle", "--config", "nope.yaml"], ["config file 'nope.yaml' not found"]),
    "bad_yaml": (["--model", "mle", "--config", "bad.yaml"], ["config file 'bad.yaml' is not valid YAML"]),
    "run_without_checkpoint": ([*TINY_ARGS, "--run-dir", "nockpt"], ["holds a run that saved no checkpoint",
                                                                     "--overwrite"]),
    "resume_no_checkpoint": (["--resume", "--run-dir", "nockpt"], ["has no checkpoint to resume from",
                                                                    "start it again with --overwrite"]),
    "resume_no_run_dir": (["--resume"], ["--resume needs --run-dir"]),
    "resume_missing_dir": (["--resume", "--run-dir", "nowhere"], ["run directory 'nowhere' not found"]),
    "resume_change_generator": (["--resume", "--run-dir", "nockpt", "generator.hidden_dim=4"],
                                ["'generator.hidden_dim' cannot change when resuming"]),
    "resume_change_seed": (["--resume", "--run-dir", "nockpt", "--seed", "3"], ["--seed cannot change"]),
    "resume_change_data": (["--resume", "--run-dir", "nockpt", "--data", "coco"], ["resume without --data"]),
}
# One case of each kind (data, model, override, run directory) goes through the real entry point,
# `python -m textgan.train`, in concurrent subprocesses; the rest call the same `main` in-process.
SUBPROCESS_CASES = ("missing_file", "unknown_model", "malformed", "resume_no_checkpoint")


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory, cli):
    cwd = make_workdir(tmp_path_factory.mktemp("bad_train"))
    return cli.many({k: ("textgan.train", CASES[k][0]) for k in SUBPROCESS_CASES}, cwd)


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_bad_input_is_one_line_error(bad_runs, cli, case):
    cli.user_error(bad_runs[case], *CASES[case][1])


@pytest.mark.parametrize("case", CASES)
def test_bad_input_in_process(tmp_path, monkeypatch, cli, capsys, case):
    monkeypatch.chdir(make_workdir(tmp_path))
    argv, needles = CASES[case]
    cli.user_error(cli.main(train_main, argv, capsys), *needles)


def test_train_model_is_the_cli_as_a_python_function(tmp_path):
    from textgan.errors import UserError
    from textgan.train import train_model

    run = tmp_path / "run"
    # values read back as themselves: a string that YAML 1.1 would read as a boolean ('off'), a float
    returned = train_model("mle", config=TINY_MLE, run_dir=run, seed=3,
                           overrides={"mle.epochs": 1, "train.nonfinite": "off", "mle.lr": 0.002})
    assert returned == run
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    assert (cfg["seed"], cfg["mle"]["epochs"], cfg["train"]["nonfinite"], cfg["mle"]["lr"]) == (3, 1, "off", 0.002)
    assert train_model(run_dir=run, resume=True, overrides={"mle.epochs": 2}) == run
    assert [r["iteration"] for r in metric_records(run)] == [0, 1, 2]
    # bad input raises the CLI's one-line message instead of printing it and returning an exit code
    with pytest.raises(UserError, match="already holds a run"):
        train_model("mle", config=TINY_MLE, run_dir=run)
    with pytest.raises(UserError, match="mle.epochs"):
        train_model("mle", config=TINY_MLE, run_dir=tmp_path / "other", overrides={"mle.epochs": "three"})
    with pytest.raises(UserError, match="overrides must map config keys to values"):
        train_model("mle", config=TINY_MLE, run_dir=tmp_path / "other", overrides="mle.epochs=1")
    with pytest.raises(UserError, match="overwrite must be True or False"):
        train_model("mle", config=TINY_MLE, run_dir=tmp_path / "other", overwrite="yes")
    # numpy / torch scalars and paths, as a script computes them, are written as plain values
    import numpy as np

    again = train_model("mle", config=TINY_MLE, run_dir=run, overwrite=True,
                        overrides={"mle.epochs": np.int64(1), "mle.lr": torch.tensor(0.002),
                                   "train.best_phases": ("mle",)})
    cfg = yaml.safe_load((again / "config.yaml").read_text())
    assert (cfg["mle"]["epochs"], cfg["mle"]["lr"], cfg["train"]["best_phases"]) == (1, pytest.approx(0.002), ["mle"])
    from textgan.runs import load_run

    assert load_run(run, checkpoint=0).meta["step"] == 0 and load_run(run, checkpoint=1).meta["step"] == 1


@pytest.mark.parametrize("argv, message", [
    (["--model", "cgan_mle"], "model 'cgan_mle' trains on labelled text data; --data 'oracle' is oracle data (use "
                              "--data mr"),
    (["--model", "cgan_mle", "--data", "digits", "data.labels=tsv"], "--data 'digits' is images data"),
    (["--model", "sentigan", "--data", "coco"], "model 'sentigan' is conditional and needs labelled data"),
    (["--model", "gan"], "model 'gan' trains on points or images data; --data 'oracle' is oracle data"),
    (["--model", "mle", "--data", "ring8"], "model 'mle' trains on oracle or text data; --data 'ring8' is points"),
])
def test_data_of_the_wrong_kind_is_refused_before_it_is_loaded(argv, message, tmp_path, monkeypatch, cli, capsys):
    # building the oracle corpus, or tokenising COCO, took seconds to minutes before this error
    import textgan.data.sources as sources

    def must_not_load(*args, **kwargs):
        raise AssertionError("the data were loaded before the kind check")

    for loader in ("load_oracle_data", "load_text_data"):
        monkeypatch.setattr(sources, loader, must_not_load)
    monkeypatch.setitem(sources.DATA_SOURCES, "ring8", must_not_load)
    monkeypatch.setitem(sources.DATA_SOURCES, "digits", must_not_load)
    cli.user_error(cli.main(train_main, [*argv, "--run-dir", tmp_path / "r"], capsys), message)
    assert not (tmp_path / "r").exists()


def test_a_plugged_in_source_of_labelled_text_still_trains_a_conditional_model(tiny_labelled, monkeypatch, cli,
                                                                                 capsys):
    # its bundle alone says whether it is labelled: the check before loading must let it through
    import textgan.data.sources as sources
    from textgan.data.labelled import load_labelled_data

    monkeypatch.setitem(sources.DATA_SOURCES, "reviews_plugin", lambda cfg, root: load_labelled_data(
        sources.DataConfig(name=str(tiny_labelled), labels="tsv", tokenize="whitespace", test_fraction=0.25), root))
    proc = cli.main(train_main, ["--config", REPO_ROOT / "configs" / "tiny" / "cgan_mle.yaml", "--data",
                                 "reviews_plugin", "--run-dir", tiny_labelled.parent / "r", "data.labels=none"], capsys)
    assert proc.returncode == 0, proc.stderr


def test_resuming_with_the_runs_own_values_repeated_is_no_change(oracle_run, tmp_path, cli, capsys):
    # "the same command plus --resume": a repeated --seed or data / generator value changes nothing
    shutil.copytree(oracle_run, tmp_path / "run")
    saved = yaml.safe_load((oracle_run / "config.yaml").read_text())
    same = [f"data.oracle.num_train={saved['data']['oracle']['num_train']}",
            f"generator.hidden_dim={saved['generator']['hidden_dim']}"]
    proc = cli.main(train_main, ["--resume", "--run-dir", tmp_path / "run", "--seed", str(saved["seed"]), *same,
                                 "mle.epochs=3"], capsys)
    assert proc.returncode == 0, proc.stderr
    proc = cli.main(train_main, ["--resume", "--run-dir", tmp_path / "run", "data.oracle.num_train=7"], capsys)
    cli.user_error(proc, "'data.oracle.num_train' cannot change when resuming",
                   f"the run has data.oracle.num_train={saved['data']['oracle']['num_train']}")


def test_a_resume_that_changes_a_setting_other_than_a_budget_says_so(oracle_run, tmp_path, cli, capsys, caplog):
    shutil.copytree(oracle_run, tmp_path / "run")
    argv = ["--resume", "--run-dir", str(tmp_path / "run"), "mle.epochs=3", "eval.temperature=0.5"]
    proc = cli.main(train_main, argv, capsys)
    assert proc.returncode == 0, proc.stderr
    assert "resuming with changed settings: eval.temperature 1.0 -> 0.5;" in caplog.text
    assert "mle.epochs" not in caplog.text  # raising a budget is what a resume is for


def test_a_resume_that_trains_nothing_does_not_warn_of_changed_settings(oracle_run, tmp_path, cli, capsys, caplog):
    # nothing is applied then, and the closing message says so: a warning that the setting changed would contradict it
    shutil.copytree(oracle_run, tmp_path / "run")
    proc = cli.main(train_main, ["--resume", "--run-dir", str(tmp_path / "run"), "eval.temperature=0.5"], capsys)
    assert proc.returncode == 0, proc.stderr
    assert "nothing to train" in proc.stdout + proc.stderr
    assert "settings given now were not applied" in proc.stdout + proc.stderr
    assert "resuming with changed settings" not in caplog.text


def test_a_resume_refusing_a_new_data_file_says_where_the_run_reads_it(text_run, oracle_run, tmp_path, cli, capsys):
    # the usual reason to give a new path is that the file moved: the error says where to put it back
    shutil.copytree(text_run, tmp_path / "run")
    saved = yaml.safe_load((text_run / "config.yaml").read_text())["data"]
    moved = tmp_path / "moved"
    moved.mkdir()
    train, test = write_tiny_text(moved)
    proc = cli.main(train_main, ["--resume", "--run-dir", tmp_path / "run", f"data.test={test}"], capsys)
    cli.user_error(proc, "'data.test' cannot change when resuming",
                   f"put it (or a link to it) back where the run reads it: {Path(saved['test']).resolve()}")
    proc = cli.main(train_main, ["--resume", "--run-dir", tmp_path / "run", "--data", str(train)], capsys)
    cli.user_error(proc, "resume without --data",
                   f"put it (or a link to it) back where the run reads it: {Path(saved['name']).resolve()}")
    shutil.copytree(oracle_run, tmp_path / "oracle")  # not a file key: no such hint
    proc = cli.main(train_main, ["--resume", "--run-dir", tmp_path / "oracle", "data.oracle.num_train=7"], capsys)
    cli.user_error(proc, "'data.oracle.num_train' cannot change when resuming")
    assert "link to it" not in proc.stderr


def test_a_resume_that_changes_the_networks_names_the_setting_in_one_short_line(tiny_labelled, cli, capsys):
    # the checkpoint's weights no longer fit: the error listed every weight torch found missing (600 characters)
    run = tiny_labelled.parent / "run"
    proc = cli.main(train_main, ["--config", REPO_ROOT / "configs" / "tiny" / "cgan_mle.yaml", "--data", tiny_labelled,
                                 "--run-dir", run, "mle.epochs=1"], capsys)
    assert proc.returncode == 0, proc.stderr
    proc = cli.main(train_main, ["--resume", "--run-dir", run, "mle.epochs=2", "conditional.generator=per_class"],
                    capsys)
    line = cli.user_error(proc, "does not fit this model's 'generator'", "weight(s) missing, e.g. ",
                          "; this resume changes conditional.generator prefix -> per_class",
                          "drop any that shapes the networks (it cannot change on resume)")
    assert len(line) - len(str(run)) < 350 and "vocabulary changed?" not in line, line
