"""benchmarks/harness.py `run_job` end to end on a tiny text run: train, evaluate, write the result JSON (its
training curve read back from the run folder), then skip the finished job on the next call."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks.harness import Grid, Job, portable_data_info, run_job, sitting_sources
from tests.conftest import TINY_MLE_TEXT, write_tiny_text
from textgan.runs import RunDir


def test_run_job_writes_the_result_then_skips_it(tmp_path):
    train, test = write_tiny_text(tmp_path)
    grid = Grid(name="tiny", models=["mle"], data=[str(train)], seeds=[0], config=str(TINY_MLE_TEXT),
                overrides=[f"data.test={test}", "train.threads=1"],
                eval={"num_samples": 20, "max_n": 3, "metrics": ["bleu", "nll"], "temperatures": [1.0]})
    job = Job(grid, "mle", str(train), 0)
    runs, results = tmp_path / "runs", tmp_path / "results"
    messages: list[str] = []

    out = run_job(job, runs, results, log=messages.append)
    assert out is not None and out.parent == results / "tiny" and out.name.startswith("mle-train-seed0-")
    result = json.loads(out.read_text())
    run_dir = runs / out.stem
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    assert result["curve"] == records and len(records) >= 2  # the step-0 evaluation and at least one more
    assert result["data_info"]["train"] == len(train.read_text().splitlines())  # the run's record of its data
    assert result["data_info"]["train_file"] == train.name  # outside the data root: no machine path committed
    assert result["metrics"]["bleu"].keys() >= {"2", "3"} and result["metrics"]["nll_test"] > 0
    assert [e["temperature"] for e in result["sweep"]] == [1.0]
    assert result["train_compute_s"] == round(records[-1]["elapsed_s"], 1)
    # nothing was edited meanwhile: the harness and the training sitting saw the same source
    assert result["source"]["sittings"] == [result["source"]["start"]] and result["source"]["end"] == \
        result["source"]["start"]
    assert not any("source changed" in m for m in messages)

    messages.clear()
    assert run_job(job, runs, results, log=messages.append) == out
    assert messages == [f"skip {out.stem} (result exists: {out})"]


def test_run_job_records_a_source_edit_made_while_it_ran(tmp_path, monkeypatch):
    import textgan.runs

    train, test = write_tiny_text(tmp_path)
    grid = Grid(name="tiny", models=["mle"], data=[str(train)], seeds=[0], config=str(TINY_MLE_TEXT),
                overrides=[f"data.test={test}", "train.threads=1"],
                eval={"num_samples": 10, "max_n": 2, "metrics": ["nll"]})
    real_fingerprint = textgan.runs.source_fingerprint
    fingerprints = iter(["before", "after"])  # the package as the job starts, then as it ends
    monkeypatch.setattr(textgan.runs, "source_fingerprint", lambda: next(fingerprints))
    messages: list[str] = []
    out = run_job(Job(grid, "mle", str(train), 0), tmp_path / "runs", tmp_path / "results", log=messages.append)
    source = json.loads(out.read_text())["source"]
    assert (source["start"], source["end"]) == ("before", "after")
    assert source["sittings"] == [real_fingerprint()]  # what the training subprocess imported, unpatched
    assert any(m.startswith("warning: textgan's source changed while mle-train-seed0-") for m in messages)


def test_sitting_sources_reads_every_recorded_sitting(tmp_path):
    lines = [json.dumps({"git_sha": "x", "argv": []}),  # a sitting written before the record existed
             json.dumps({"source": "aaa"}), "", json.dumps({"source": "bbb"}), '{"source": "cc']  # cut short
    (tmp_path / "run_info.jsonl").write_text("\n".join(lines))
    assert sitting_sources(RunDir(tmp_path).read_run_info()) == ["aaa", "bbb"]
    assert sitting_sources(RunDir(tmp_path / "missing").read_run_info()) == []


def test_portable_data_info_names_files_under_the_data_root_relative_to_it(tmp_path):
    root = tmp_path / "data"
    info = {"train_file": str(root / "coco" / "train.txt"), "test_file": str(tmp_path / "own" / "test.txt"),
            "train": 3, "vocab": 9}
    assert portable_data_info(info, str(root)) == {
        "train_file": "$TEXTGAN_DATA_DIR/coco/train.txt", "test_file": "test.txt", "train": 3, "vocab": 9}
    labelled = {"class_files": {"negative": str(root / "mr" / "rt-polarity.neg"), "positive": "/elsewhere/pos.txt"}}
    assert portable_data_info(labelled, str(root))["class_files"] == {
        "negative": "$TEXTGAN_DATA_DIR/mr/rt-polarity.neg", "positive": "pos.txt"}
    oracle = {"oracle": "SeqGAN target_params (target_params.npz)", "train": 10000}
    assert portable_data_info(oracle, str(root)) == oracle  # nothing to rewrite
