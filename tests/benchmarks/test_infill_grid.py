"""benchmarks/infill_grid.py: in-filling grids (MaskGAN against MaskMLE, bench_infill.py per seed) as
`run_grid.py` reads, runs, skips and checks them."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks import run_grid
from benchmarks.infill_grid import InfillGrid, finished, load_infill_grid

TINY_OVERRIDES = [  # configs/maskgan.yaml cut to a seeded test oracle and test-sized networks (seconds)
    "data.oracle.params=seeded", "data.oracle.vocab_size=30", "data.oracle.emb_dim=8", "data.oracle.hidden_dim=8",
    "data.oracle.seq_len=8", "data.oracle.num_train=128", "data.oracle.num_test=32", "generator.emb_dim=8",
    "generator.hidden_dim=8", "discriminator.emb_dim=8", "discriminator.hidden_dim=8", "mle.epochs=1",
    "adversarial.rounds=2", "adversarial.pretrain_d_steps=1", "adversarial.eval_every=1", "mask.eval_num=16",
    "eval.num_samples=16"]


def _one_line_error(argv: list[str], capsys) -> str:
    capsys.readouterr()
    assert run_grid.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    return err


def _write_grid(folder: Path, **changes) -> Path:
    raw = {"kind": "infill", "name": "tiny_infill", "data": "oracle", "seeds": [0], "num": 16,
           "overrides": TINY_OVERRIDES, "budget_note": "test-sized", **changes}
    path = folder / "tiny_infill.yaml"
    path.write_text(json.dumps(raw))  # JSON is YAML
    return path


def test_run_grid_runs_an_infill_grid_then_skips_it_and_refuses_an_edited_one(tmp_path, capsys):
    grid = _write_grid(tmp_path)
    roots = ["--runs-root", str(tmp_path / "runs"), "--results-root", str(tmp_path / "results")]
    assert run_grid.main([str(grid), *roots, "--dry-run"]) == 0
    listed = capsys.readouterr().out
    assert "tiny_infill-seed0 [todo]: python benchmarks/bench_infill.py --data oracle --seed 0" in listed

    assert run_grid.main([str(grid), *roots]) == 0
    folder = tmp_path / "results" / "tiny_infill"
    for label in ("maskmle", "maskgan"):
        result = json.loads((folder / f"{label}-seed0.json").read_text())
        assert result["overrides"] == TINY_OVERRIDES and result["budget"] == "test-sized"
        assert result["n_filled"] == 16 and result["infill_nll"] > 0
    assert "| in-filling NLL (masked tokens) |" in (folder / "README.md").read_text()

    capsys.readouterr()
    assert run_grid.main([str(grid), *roots]) == 0
    assert "skip tiny_infill-seed0 (results exist)" in capsys.readouterr().out

    edited = _write_grid(tmp_path, overrides=[*TINY_OVERRIDES, "adversarial.rounds=3"])
    assert re.search("records data / maskmle / overrides .* move the old results away",
                     _one_line_error([str(edited), *roots, "--dry-run"], capsys))


@pytest.mark.parametrize(("changes", "message"), [
    ({"models": ["maskgan"]}, "unknown keys \\['models'\\]"),
    ({"data": ["coco", "oracle"]}, "needs one data set as a string"),
    ({"seeds": []}, "needs a non-empty 'seeds' list"),
    ({"maskmle": "selected"}, "maskmle must be 'pretrained' or 'run'"),
])
def test_a_bad_infill_grid_is_a_one_line_error(tmp_path, capsys, changes, message):
    assert re.search(message, _one_line_error([str(_write_grid(tmp_path, **changes)), "--dry-run"], capsys))


def test_a_seed_is_finished_only_with_both_result_files(tmp_path):
    grid = load_infill_grid(tmp_path / "g.yaml", {"kind": "infill", "data": "coco", "seeds": [0]})
    assert isinstance(grid, InfillGrid) and grid.name == "g" and grid.maskmle == "pretrained"
    folder = tmp_path / "g"
    folder.mkdir()
    setting = {"data": "coco", "maskmle_source": "pretrained", "overrides": []}
    (folder / "maskgan-seed0.json").write_text(json.dumps(setting))
    assert not finished(grid, 0, tmp_path)
    (folder / "maskmle-seed0.json").write_text(json.dumps(setting))
    assert finished(grid, 0, tmp_path)
