"""textgan/runs.py `RunDir.write_run_info` / `read_run_info`: one record per training sitting, which the
benchmark tools read back (the training command, the phase schedule, each sitting's source fingerprint)."""

from __future__ import annotations

from textgan.runs import RunDir, source_fingerprint


def test_each_sitting_is_read_back_in_order_with_its_source(tmp_path):
    run = RunDir(tmp_path)
    assert run.read_run_info() == []  # no sitting yet
    run.write_run_info({"argv": ["--model", "mle"]})
    run.write_run_info({"argv": ["--resume"]})
    first, second = run.read_run_info()
    assert (first["argv"], second["argv"]) == (["--model", "mle"], ["--resume"])
    assert first["source"] == second["source"] == source_fingerprint()


def test_a_line_cut_short_by_a_crash_is_skipped(tmp_path):
    run = RunDir(tmp_path)
    run.write_run_info({"argv": ["a"]})
    with open(tmp_path / "run_info.jsonl", "a") as f:
        f.write('{"argv": ["b"\n\n[1, 2]\n')  # a crash mid-write, a blank line, a record of another shape
    run.write_run_info({"argv": ["c"]})
    assert [r["argv"] for r in run.read_run_info()] == [["a"], ["c"]]
