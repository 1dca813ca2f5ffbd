"""benchmarks/report.py (the cross-grid report) on small fake result JSONs written in tmp_path."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks import report


def _oracle(model: str, seed: int, nll: float, chash: str, grid: str) -> dict:
    """A grid-run result on the oracle; adversarial models get an MLE phase before their adversarial one."""
    curve = [{"phase": "mle", "step": 1, "nll_oracle": 9.5}]
    if model != "mle":
        curve.append({"phase": "adversarial", "step": 2, "nll_oracle": nll})
    return {"model": model, "data": "oracle", "seed": seed, "grid": grid, "config_hash": chash,
            "config": {"data": {"name": "oracle", "oracle": {"seq_len": 20}}, "train": {"device": "auto"}},
            "protocol": {"n_samples": 100, "n_references": 200, "temperature": 1.0},
            "metrics": {"temperature": 1.0, "n_samples": 100, "n_references": 200, "nll_oracle": nll,
                        "nll_test": 8.0, "eval_s": 1.0},
            "pretrain_metrics": curve[0], "curve": curve,
            "sweep": [{"temperature": t, "nll_oracle": nll - 1 + t, "nll_test": 9 - t} for t in (0.5, 1.0, 1.5)],
            "wall_s": 130.0 * (seed + 1), "train_wall_s": 120.0 * (seed + 1),
            "eval_wall_s": 10.0 * (seed + 1), "hardware": {"torch_threads": 1, "cuda": None}}


def _conditional(seed: int) -> dict:
    """A conditional result: its metrics nested under "per_class", sample sizes in the metrics entry."""
    per_class = {"class_acc_negative": 0.8, "class_acc_positive": 0.9, "class_acc": 0.85, "bleu_2": 0.5}
    return {"model": "cseqgan", "data": "mr", "seed": seed, "grid": "conditional_mr", "config_hash": "cccc",
            "protocol": {"class_acc": "share of class-y samples ..."},
            "metrics": {"n_samples": 50, "samples_per_class": 25, "n_references": 60,
                        "labels": ["negative", "positive"], "per_class": per_class},
            "wall_s": 60.0, "train_wall_s": 54.0, "eval_wall_s": 6.0,
            "hardware": {"torch_threads": 2, "cuda": "NVIDIA H100"}}


def _write(folder: Path, name: str, result: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(result))


def test_report_groups_settings_and_compares_with_published(tmp_path):
    results = tmp_path / "results"
    # two seeds of one SeqGAN setting, one MLE run in another grid, a conditional run, and files to skip
    _write(results / "seqgan_oracle", "a.json", _oracle("seqgan", 0, 8.0, "aaaa", "seqgan_oracle"))
    _write(results / "seqgan_oracle", "b.json", _oracle("seqgan", 1, 8.2, "aaaa", "seqgan_oracle"))
    _write(results / "mle_oracle", "m.json", _oracle("mle", 0, 9.0, "bbbb", "mle_oracle"))
    _write(results / "seqgan_oracle" / "100_rounds", "x.json", _oracle("seqgan", 0, 1.0, "zzzz", "seqgan_oracle"))
    _write(results / "conditional_mr", "c.json", _conditional(0))
    _write(results / "image_baseline", "i.json", {"name": "gan", "metrics": {"fd": 1.0}})
    (results / "mle_oracle" / "README.md").write_text("# rendered\n")
    published = tmp_path / "published.yaml"
    published.write_text("oracle:\n  nll_oracle:\n    source: RelGAN paper Table 1\n"
                         "    values: {mle: 9.038, relgan: [6.680, 0.343]}\n")
    out = tmp_path / "REPORT.md"

    assert report.main(["--results", str(results), "--out", str(out), "--published", str(published)]) == 0
    text = out.read_text()
    # oracle: columns in protocol order, then the MLE starting point, sizes, wall time and hardware
    assert ("| model | grid | config | seeds | nll_oracle | nll_test | nll_oracle after MLE | params G / D "
            "| train min / run | eval min / run | hardware |") in text
    # seqgan: 2 seeds, mean ± std of 8.0 and 8.2; started from 9.5 after MLE; mean training (2 + 4 min) / 2,
    # mean evaluation (10 + 20 s) / 2
    assert ("| seqgan | seqgan_oracle | `aaaa` | 2 | 8.100 ± 0.141 | 8.000 ± 0.000 | 9.500 ± 0.000 | – | 3.0 "
            "| 0.2 | cpu ×1 thread |") in text
    # mle: its own grid, linked to the grid's README relative to the report; no "after MLE" value of its own
    assert ("| mle | [mle_oracle](results/mle_oracle/README.md) | `bbbb` | 1 | 9.000 | 8.000 | – | – | 2.0 | 0.2 |"
            in text)
    assert "zzzz" not in text and "image_baseline" not in text  # subfolders and non-text results skipped
    # published numbers beside ours, with their source
    assert "| mle | 9.038 |" in text and "| relgan | 6.680 ± 0.343 |" in text
    assert "RelGAN paper Table 1" in text
    assert "100 samples against 200 references (mle_oracle, seqgan_oracle)" in text
    # conditional data set: its own section, per-class columns sorted after the protocol metrics
    assert "## mr" in text
    assert "| bleu_2 | class_acc | class_acc_negative | class_acc_positive |" in text
    assert "| 0.500 | 0.850 | 0.800 | 0.900 | – | 0.9 | 0.1 | NVIDIA H100 |" in text
    assert "50 samples against 60 references (conditional_mr)" in text
    # one quality-diversity plot over all oracle settings, referenced relative to the report
    png = results / "quality_diversity_oracle.png"
    assert png.stat().st_size > 1000
    assert "](results/quality_diversity_oracle.png)" in text
    assert not (results / "quality_diversity_mr.png").exists()  # no sweep, no plot
    # deterministic: a second run writes the same Markdown
    report.main(["--results", str(results), "--out", str(out), "--published", str(published)])
    assert out.read_text() == text


def test_report_without_results_is_an_error(tmp_path, capsys):
    assert report.main(["--results", str(tmp_path), "--out", str(tmp_path / "R.md")]) == 2
    assert report.main(["--results", str(tmp_path), "--out", str(tmp_path / "nowhere" / "R.md")]) == 2
    assert "folder" in capsys.readouterr().err and not (tmp_path / "nowhere").exists()
    (tmp_path / "grid").mkdir()
    (tmp_path / "grid" / "mle-oracle-seed0-x.json").write_text('{"model": "ml')  # damaged
    assert report.main(["--results", str(tmp_path), "--out", str(tmp_path / "R.md")]) == 2
    assert "result file" in capsys.readouterr().err  # names the file


def _infill(label: str, seed: int, bleu2: float) -> dict:
    """An in-filling result in bench_infill.py's layout."""
    return {"model": label.lower(), "label": label, "data": "coco", "seed": seed, "n_filled": 10,
            "n_references": 90, "bleu": {"2": bleu2, "3": 0.3, "4": 0.2, "5": 0.1},
            "self_bleu": {n: 0.5 for n in "2345"}, "masked_accuracy": 0.02, "infill_nll": 6.5,
            "train_wall_s": {label.lower(): 120.0}, "budget": "tiny budget"}


def test_report_has_an_infilling_section_with_seeds_averaged(tmp_path):
    results = tmp_path / "results"
    _write(results / "oracle_grid", "mle-oracle-seed0.json", _oracle("mle", 0, 9.0, "aaaa", "oracle_grid"))
    _write(results / "infill", "maskgan-seed0.json", _infill("MaskGAN", 0, 0.6))
    _write(results / "infill", "maskgan-seed1.json", _infill("MaskGAN", 1, 0.8))
    _write(results / "infill", "maskmle-seed0.json", _infill("MaskMLE", 0, 0.5))
    text = report.build_report(results, tmp_path / "REPORT.md", tmp_path / "none.yaml")
    section = text.split("## In-filling (MaskGAN)")[1]
    assert "| MaskGAN (infill) | coco | 2 | 0.700 ± 0.141 |" in section
    assert "| MaskMLE (infill) | coco | 1 | 0.500 |" in section
    assert "| 6.500 ± 0.000 | – | 10 / 90 | 2.0 |" in section and "Budget of infill: tiny budget." in section


def test_infilling_rows_on_the_oracle_show_the_oracle_nll_of_fillings_and_originals(tmp_path):
    results = tmp_path / "results"
    _write(results / "oracle_grid", "mle-oracle-seed0.json", _oracle("mle", 0, 9.0, "aaaa", "oracle_grid"))
    for seed, filled in ((0, 9.0), (1, 9.2)):
        result = {**_infill("MaskGAN", seed, 0.6), "data": "oracle", "nll_oracle_filled": filled,
                  "nll_oracle_original": 8.5}
        _write(results / "infill_oracle", f"maskgan-seed{seed}.json", result)
    section = report.build_report(results, tmp_path / "REPORT.md", tmp_path / "none.yaml").split("## In-filling")[1]
    assert "| MaskGAN (infill_oracle) | oracle | 2 |" in section
    assert "| 9.100 ± 0.141 (8.500 ± 0.000) | 10 / 90 |" in section


def test_infilling_rows_name_the_oracle_length_an_override_set(tmp_path):
    results = tmp_path / "results"
    _write(results / "oracle_grid", "mle-oracle-seed0.json", _oracle("mle", 0, 9.0, "aaaa", "oracle_grid"))
    for grid, overrides in (("infill20", ["data.valid_size=1000"]), ("infill40", ["data.oracle.seq_len=40"])):
        result = {**_infill("MaskGAN", 0, 0.6), "data": "oracle", "overrides": overrides}
        _write(results / grid, "maskgan-seed0.json", result)
    section = report.build_report(results, tmp_path / "REPORT.md", tmp_path / "none.yaml").split("## In-filling")[1]
    assert "| MaskGAN (infill20) | oracle | 1 |" in section
    assert "| MaskGAN (infill40) | oracle_len40 | 1 |" in section


def test_report_without_infilling_results_has_no_infilling_section(tmp_path):
    results = tmp_path / "results"
    _write(results / "oracle_grid", "mle-oracle-seed0.json", _oracle("mle", 0, 9.0, "aaaa", "oracle_grid"))
    assert "In-filling" not in report.build_report(results, tmp_path / "REPORT.md", tmp_path / "none.yaml")


def test_report_shows_generator_and_discriminator_sizes(tmp_path):
    results = tmp_path / "results"
    run = _oracle("seqgan", 0, 9.0, "aaaa", "oracle_grid")
    run["sizes"] = {"generator": 2_500_000, "rollout": 2_500_000, "discriminator": 48_000}
    _write(results / "oracle_grid", "seqgan-oracle-seed0.json", run)
    _write(results / "oracle_grid", "mle-oracle-seed0.json", _oracle("mle", 0, 9.0, "bbbb", "oracle_grid"))
    text = report.build_report(results, tmp_path / "REPORT.md", tmp_path / "none.yaml")
    assert "| params G / D |" in text
    assert "| 2.50M / 48k |" in text   # the seqgan row
    assert "| – |" in text             # the mle row has no sizes recorded


def _coco(seed: int) -> dict:
    sweep = [{"temperature": t, "bleu": {"5": 0.3 - 0.1 * t}, "self_bleu": {"5": 0.6 - 0.2 * t}} for t in (0.5, 1.0)]
    return {"model": "mle", "data": "coco", "seed": seed, "grid": "g", "config_hash": "cccc",
            "protocol": {"n_samples": 10, "n_references": 20},
            "metrics": {"n_samples": 10, "n_references": 20, "bleu": {"5": 0.2}, "self_bleu": {"5": 0.4}},
            "sweep": sweep, "wall_s": 60.0, "train_wall_s": 54.0, "eval_wall_s": 6.0,
            "hardware": {"torch_threads": 1, "cuda": None}}


def test_report_shows_the_training_data_scored_as_samples_where_measured(tmp_path):
    results = tmp_path / "results"
    _write(results / "g", "m.json", _coco(0))
    real = [{"data": "coco", "n_train_scored": 30, "n_references": 20,
             "train_vs_test": {"bleu": {"2": 0.7, "5": 0.22}, "self_bleu": {"2": 0.9, "5": 0.42}, "fed": 0.389},
             "fed_noise_floor": {"train_half_vs_half": 0.013, "test_half_vs_half": 0.012, "half_size": 15},
             "word_shift": {"more_in_train": [["toilet", 9, 0]], "more_in_test": [["zebra", 0, 7]]}}]
    (results / report.REAL_DATA_FILE).write_text(json.dumps(real))
    text = report.build_report(results, tmp_path / "REPORT.md", tmp_path / "none.yaml")
    assert "### Real data: the training set scored as samples" in text
    assert "| 0.700 | 0.220 | 0.900 | 0.420 | 0.389 | 0.013 / 0.012 |" in text
    assert "(train:test counts): toilet 9:0; in the test set: zebra 0:7." in text
    assert (results / "quality_diversity_coco.png").stat().st_size > 1000
    (results / report.REAL_DATA_FILE).unlink()  # without the file the section is left out, nothing fails
    assert "Real data" not in report.build_report(results, tmp_path / "REPORT.md", tmp_path / "none.yaml")
