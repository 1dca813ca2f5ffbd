"""Smoke tests of `python -m textgan.sample` on the tiny runs, and its one-line errors (exit code 2)."""

from __future__ import annotations

import shutil

import pytest
import torch

from textgan.sample import main as sample_main


@pytest.fixture(scope="module")
def procs(oracle_run, tmp_path_factory, cli):
    """Through the real entry point, concurrently: the same seeded call twice, and a run with no checkpoint."""
    cwd = tmp_path_factory.mktemp("sample")
    shutil.copytree(oracle_run, cwd / "run")
    shutil.copytree(oracle_run, cwd / "nockpt", ignore=shutil.ignore_patterns("checkpoints"))
    seeded = ["--run", "run", "--num", "5", "--seed", "1"]
    return cwd, cli.many({"a": ("textgan.sample", seeded), "b": ("textgan.sample", seeded),
                          "nockpt": ("textgan.sample", ["--run", "nockpt"])}, cwd)


def test_seeded_samples_are_reproducible(procs):
    _, p = procs
    assert p["a"].returncode == p["b"].returncode == 0, p["a"].stderr
    lines = p["a"].stdout.splitlines()
    assert p["b"].stdout.splitlines() == lines and len(lines) == 5
    rows = [[int(t) for t in line.split()] for line in lines]  # the oracle's vocabulary: ids 0..49
    assert all(len(r) == 8 and all(0 <= t < 50 for t in r) for r in rows)


def test_a_reader_that_stops_early_ends_sampling_quietly(oracle_run, tmp_path):
    """`textgan.sample ... | head -1`: the closed pipe ends the CLI with SIGPIPE's status, no traceback."""
    import subprocess
    import sys

    from conftest import cli_env

    proc = subprocess.Popen([sys.executable, "-m", "textgan.sample", "--run", str(oracle_run), "--num", "20000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(), cwd=tmp_path)
    assert proc.stdout.readline().strip()  # one sample read, then the reader goes away
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 141 and "Traceback" not in err, err


def test_streamed_output_is_the_samples_of_one_call(oracle_run, tmp_path, cli, capsys):
    """Written a chunk (2,000 rows) at a time, the lines are those of one `sample` call, across chunk
    boundaries; --out leaves no temporary file behind."""
    from textgan.runs import load_run
    from textgan.sampling import sample

    run = load_run(oracle_run)
    ids = sample(run.generator, 4500, run.seq_len, eos_id=run.vocab.eos_id, pad_id=run.vocab.pad_id, seed=7)
    expected = [run.vocab.decode(row) for row in ids.tolist()]
    out = tmp_path / "s.txt"
    proc = cli.main(sample_main, ["--run", oracle_run, "--num", "4500", "--seed", "7", "--out", out], capsys)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().splitlines() == expected and [p.name for p in tmp_path.iterdir()] == ["s.txt"]


def test_run_without_checkpoint_is_one_line_error(procs, cli):
    # a run without a checkpoint cannot be resumed: the message says how to start it again
    cli.user_error(procs[1]["nockpt"], "has no checkpoint yet", "--overwrite --run-dir nockpt")


def test_out_writes_the_file(procs, tmp_path, cli, capsys):
    run, out = procs[0] / "run", tmp_path / "out.txt"
    proc = cli.main(sample_main, ["--run", run, "--num", "5", "--seed", "1", "--out", out], capsys)
    assert proc.returncode == 0 and proc.stdout == "" and f"wrote 5 samples to {out}" in proc.stderr
    assert out.read_text().splitlines() == procs[1]["a"].stdout.splitlines()


def test_threads_limits_torch_and_keeps_the_samples(procs, cli, capsys):
    before = torch.get_num_threads()
    try:
        # conftest already holds torch at 1 thread: start from 2, or a no-op --threads 1 would pass too
        torch.set_num_threads(2)
        proc = cli.main(sample_main, ["--run", procs[0] / "run", "--num", "5", "--seed", "1", "--threads", "1"],
                        capsys)
        assert proc.returncode == 0 and torch.get_num_threads() == 1
        assert proc.stdout.splitlines() == procs[1]["a"].stdout.splitlines()
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("argv, needles", [
    (["--temperature", "0"], ["temperature must be > 0"]),
    (["--top-p", "0"], ["top-p must be in (0, 1]"]),
    (["--top-p", "1.5"], ["top-p must be in (0, 1]"]),
    (["--temperature", "-1"], ["temperature must be > 0"]),
    (["--top-k", "-2"], ["top-k must be >= 0"]),
    (["--num", "0"], ["--num must be >= 1"]),
    (["--threads", "0"], ["--threads must be >= 1"]),
    (["--checkpoint", "nowhere"], ["checkpoint 'nowhere' not found", "step-00000001"]),
])
def test_bad_input_in_process(oracle_run, cli, capsys, argv, needles):
    cli.user_error(cli.main(sample_main, ["--run", oracle_run, *argv], capsys), *needles)


def test_bad_run_dirs_in_process(oracle_run, tmp_path, cli, capsys):
    cli.user_error(cli.main(sample_main, ["--run", tmp_path / "nowhere"], capsys), "nowhere' not found")
    shutil.copytree(oracle_run, tmp_path / "run", ignore=shutil.ignore_patterns("checkpoints"))
    cli.user_error(cli.main(sample_main, ["--run", tmp_path / "run"], capsys), "has no checkpoint yet")
    (tmp_path / "run" / "vocab.json").unlink()
    cli.user_error(cli.main(sample_main, ["--run", tmp_path / "run"], capsys), "has no tokenizer.json or vocab.json")
    (tmp_path / "run" / "config.yaml").unlink()
    cli.user_error(cli.main(sample_main, ["--run", tmp_path / "run"], capsys), "has no config.yaml")
    # a checkpoint folder given as the run: the message names the run and the flag that picks a checkpoint
    checkpoint = oracle_run / "checkpoints" / "step-00000001"
    cli.user_error(cli.main(sample_main, ["--run", checkpoint], capsys),
                   f"is a checkpoint of run '{oracle_run}', not a run directory", "--checkpoint step-00000001")
    shutil.copytree(checkpoint, tmp_path / "copy" / "best" / "step-00000001")  # a selected checkpoint
    (tmp_path / "copy" / "config.yaml").write_text((oracle_run / "config.yaml").read_text())
    cli.user_error(cli.main(sample_main, ["--run", tmp_path / "copy" / "best" / "step-00000001"], capsys),
                   "pick a checkpoint with --checkpoint best")


def test_text_run_samples_words(text_run, cli, capsys):
    proc = cli.main(sample_main, ["--run", text_run, "--num", "6", "--seed", "0"], capsys)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    vocab = {w for line in (text_run.parent / "train.txt").read_text().splitlines() for w in line.split()}
    vocab |= {w for line in (text_run.parent / "test.txt").read_text().splitlines() for w in line.split()}
    assert len(lines) == 6 and all(set(line.split()) <= vocab | {"<unk>"} for line in lines)  # no <pad>/<eos>


def test_top_k_1_is_seed_independent_and_checkpoint_flag(oracle_run, cli, capsys):
    first = oracle_run / "checkpoints" / "step-00000001"
    outs = [cli.main(sample_main, ["--run", oracle_run, "--num", "3", "--top-k", "1", "--seed", s], capsys).stdout
            for s in ("1", "2")]
    assert outs[0] == outs[1] and len(outs[0].splitlines()) == 3
    older = cli.main(sample_main, ["--run", oracle_run, "--num", "3", "--top-k", "1", "--checkpoint", first],
                     capsys)
    assert older.returncode == 0 and len(older.stdout.splitlines()) == 3
    by_name = cli.main(sample_main, ["--run", oracle_run, "--num", "3", "--top-k", "1", "--checkpoint", first.name],
                       capsys)  # the folder's name under <run>/checkpoints/ picks the same checkpoint
    assert by_name.returncode == 0 and by_name.stdout == older.stdout
