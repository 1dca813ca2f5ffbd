"""`python -m textgan.compare` and `textgan.comparison`: the last evaluation of each run, the settings on which
runs were measured differently, the curves plot, and one-line errors."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from textgan.compare import main as compare_main
from textgan.comparison import seconds, summarize


def test_the_same_run_twice_is_measured_alike(oracle_run, tmp_path, cli, capsys):
    shutil.copytree(oracle_run, tmp_path / "twin")
    proc = cli.main(compare_main, [oracle_run, tmp_path / "twin"], capsys)
    assert proc.returncode == 0, proc.stderr
    head, rule, *rows = proc.stdout.splitlines()
    assert head.split(" | ")[1:7] == ["model", "data", "seed", "last evaluation", "training s", "nll_oracle"]
    assert len(rows) == 2 and rows[0].split(" | ")[1:] == rows[1].split(" | ")[1:]   # same numbers, two paths
    last = summarize(oracle_run).last
    assert f"{last['nll_oracle']:.4f}" in rows[0] and "mle 2/2" in rows[0]
    assert "Not measured alike" not in proc.stdout


def test_a_run_named_twice_is_one_column(oracle_run, tmp_path, cli, capsys, monkeypatch):
    monkeypatch.chdir(oracle_run.parent)
    proc = cli.main(compare_main, [oracle_run, f"./{oracle_run.name}", oracle_run.name], capsys)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 3   # header, rule, one row
    assert str(oracle_run) in proc.stdout
    assert proc.stderr.strip() == f"warning: given more than once, shown once: {oracle_run}"


def test_differently_measured_runs_are_named_with_their_settings(oracle_run, text_run, tmp_path, cli, capsys):
    fewer = tmp_path / "fewer"
    shutil.copytree(oracle_run, fewer)
    cfg = yaml.safe_load((fewer / "config.yaml").read_text())
    cfg["eval"]["num_samples"] //= 2
    (fewer / "config.yaml").write_text(yaml.safe_dump(cfg))
    proc = cli.main(compare_main, [oracle_run, fewer], capsys)
    assert proc.returncode == 0, proc.stderr
    notes = proc.stdout.split("Not measured alike")[1].splitlines()[1:]
    half = cfg["eval"]["num_samples"]
    assert notes == [f"- eval.num_samples: {oracle_run} {2 * half}, {fewer} {half}"]
    # the way out it names is one that works: evaluate writes its own output, it does not rewrite the run's
    assert "textgan.evaluate --run RUN --num N --json OUT` scores every run alike, into files of its own" in proc.stdout
    # an oracle run against a text run: the data differ; the oracle's own settings are not listed for the
    # text run, and only the metrics both measured are shown (training losses never are)
    proc = cli.main(compare_main, [oracle_run, text_run], capsys)
    out = proc.stdout
    assert "- data.name: " in out and "data.oracle" not in out
    assert "| nll_test |" in out.splitlines()[0] + "|" and "nll_oracle" not in out.splitlines()[0]
    assert "mle_loss" not in out


def test_a_run_that_restored_its_best_weights_says_so(oracle_run, tmp_path, cli, capsys):
    # the record train.restore_best appends (textgan/loop.py): the best evaluation again, with its origin
    restored = tmp_path / "restored"
    shutil.copytree(oracle_run, restored)
    first, last = summarize(oracle_run).records[1], summarize(oracle_run).last
    record = {**first, "step": last["step"], "restored_from_step": first["step"]}
    with open(restored / "metrics.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")
    proc = cli.main(compare_main, [restored], capsys)
    assert proc.returncode == 0, proc.stderr
    row = proc.stdout.splitlines()[2].split(" | ")
    assert row[4] == f"mle 2/2, step {first['step']} restored"
    assert row[5] == seconds(last['elapsed_s']) and row[6] == f"{first['nll_oracle']:.4f}"
    assert "restored_from_step" not in proc.stdout
    assert summarize(restored).training_seconds() == last["elapsed_s"] > first["elapsed_s"]


def test_plot_and_out_files(oracle_run, tmp_path, cli, capsys):
    plot, out = tmp_path / "curves.png", tmp_path / "table.md"
    proc = cli.main(compare_main, [oracle_run, "--plot", plot, "--out", out, "--metrics", "nll_test"], capsys)
    assert proc.returncode == 0, proc.stderr
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "(nll_oracle)" in proc.stderr
    assert out.read_text().splitlines()[0] == "| run | model | data | seed | last evaluation | training s | nll_test |"
    assert "leaves out" not in proc.stderr


def test_plot_names_a_run_it_leaves_out(oracle_run, text_run, tmp_path, cli, capsys):
    proc = cli.main(compare_main, [oracle_run, text_run, "--plot", tmp_path / "c.png"], capsys)
    assert proc.returncode == 0, proc.stderr
    assert f"the plot leaves out {text_run}: no nll_oracle in its evaluations" in proc.stderr


def test_bad_input_is_one_line_error(oracle_run, tmp_path, cli, capsys):
    cli.user_error(cli.main(compare_main, [tmp_path / "nowhere"], capsys), "nowhere' not found")
    cli.user_error(cli.main(compare_main, [oracle_run, "--metrics", "bleu_9"], capsys),
                   "no run measured bleu_9", "nll_oracle")
    cli.user_error(cli.main(compare_main, [oracle_run, "--plot", tmp_path / "c.txt"], capsys), "must be a .png")
    cli.user_error(cli.main(compare_main, [oracle_run, "--plot", tmp_path / "c.png", "--plot-metric", "fed"], capsys),
                   "--plot-metric fed: no run measured it")
    empty = tmp_path / "empty"
    shutil.copytree(oracle_run, empty)
    (empty / "metrics.jsonl").write_text("")
    cli.user_error(cli.main(compare_main, [empty], capsys), "has no evaluation yet")


def test_runs_of_another_generator_kind_are_named_apart(oracle_run, tmp_path):
    from textgan.comparison import summarize

    transformer = tmp_path / "transformer"
    shutil.copytree(oracle_run, transformer)
    cfg = yaml.safe_load((transformer / "config.yaml").read_text())
    cfg["generator"]["kind"] = "transformer"
    (transformer / "config.yaml").write_text(yaml.safe_dump(cfg))
    assert [summarize(r).model for r in (oracle_run, transformer)] == ["mle", "mle+transformer"]


def test_differences_takes_summaries_in_any_iterable(oracle_run, text_run):
    from textgan.comparison import differences, summarize

    runs = [oracle_run, text_run]
    assert differences(summarize(r) for r in runs) == differences([summarize(r) for r in runs]) != {}
    with pytest.raises(TypeError, match=r"differences\(\[summarize\(d\) for d in run_dirs\]\)"):
        differences([str(r) for r in runs])


def test_a_torn_metrics_line_is_skipped(oracle_run, tmp_path, cli, capsys):
    """A run killed mid-write (or still writing) leaves a partial last line: the records before it compare."""
    torn = tmp_path / "torn"
    shutil.copytree(oracle_run, torn)
    whole = (torn / "metrics.jsonl").read_bytes()
    (torn / "metrics.jsonl").write_bytes(whole + b'{"phase": "ml\xff\n[1]\n')
    clean = cli.main(compare_main, [oracle_run], capsys)
    proc = cli.main(compare_main, [torn], capsys)
    assert proc.returncode == 0, proc.stderr
    # the same table: only the run's name differs
    assert proc.stdout.replace(str(torn), "RUN") == clean.stdout.replace(str(oracle_run), "RUN")


def test_real_entry_point(oracle_run, tmp_path, cli):
    proc = cli.many({"compare": ("textgan.compare", [oracle_run, oracle_run])}, tmp_path)["compare"]
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 3 and "Not measured alike" not in proc.stdout   # one run: one row
    assert "given more than once" in proc.stderr


def test_training_seconds_keep_a_decimal_below_ten():
    assert (seconds(0.04), seconds(9.96), seconds(10.4), seconds(1234.5)) == ("0.0", "10.0", "10", "1234")
