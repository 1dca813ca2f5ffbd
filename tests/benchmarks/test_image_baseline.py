"""benchmarks/image_baseline.py and its renderer: which runs the benchmark plans (every continuous model on
every data set it supports, the `gan` / `dcgan` registration once), which run directories it restores for the
figures, and the digits table over seeds."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks import image_baseline, image_baseline_render
from textgan.image.gan_spec import MODELS


def test_plan_runs_every_continuous_model_on_every_data_set_once_per_seed():
    names = [name for name, _ in image_baseline.plan([0, 1, 2])]
    assert len(names) == len(set(names))
    runs = {tuple(name.rsplit("-", 2)) for name in names}
    variants = set(image_baseline.POINT_VARIANTS)
    # `dcgan` and `gan` are one registration: each data set runs it under one of the two names
    assert set(MODELS) - {"dcgan"} == {m for m, d, _ in runs if d == "ring8"} - variants == \
        {m for m, d, _ in runs if d == "grid25"} - variants
    assert set(MODELS) - {"gan"} == {m for m, d, _ in runs if d == "digits"}
    assert {s for _, _, s in runs} == {"seed0", "seed1", "seed2"}
    assert len(runs) == 3 * (2 * (5 + len(variants)) + 5)
    for name, argv in image_baseline.plan([1]):
        row, data, seed = name.rsplit("-", 2)
        model, overrides = image_baseline.POINT_VARIANTS.get(row, (row, []))
        assert argv[:6] == ["--model", model, "--data", data, "--seed", "1"]
        assert "train.threads=1" in argv and argv[argv.index("--run-dir") + 1].endswith(name)
        assert argv[len(argv) - len(overrides):] == overrides


def test_a_variant_row_runs_its_model_with_its_overrides():
    (name, argv), *_ = image_baseline.plan([0], {"dragan_scale0.05"})
    assert name == "dragan_scale0.05-ring8-seed0"
    assert argv[:2] == ["--model", "dragan"] and argv[-1] == "gan.dragan_scale=0.05"


def test_every_planned_run_resolves_and_sets_only_keys_its_model_reads(monkeypatch):
    from textgan.train import parse_args, resolve_config

    monkeypatch.chdir(image_baseline.REPO)  # the jobs name configs/ relative to the repo, where they run
    for _, argv in image_baseline.plan([0]):
        resolve_config(parse_args(argv))  # a key of ModelSpec.unread_keys would be a UserError


def test_plan_model_filter():
    assert {name.split("-")[0] for name, _ in image_baseline.plan([0], {"dragan"})} == {"dragan"}


def test_plan_data_filter_and_the_figures_it_restores(tmp_path, monkeypatch):
    assert {name.split("-")[1] for name, _ in image_baseline.plan([0, 1], datas={"digits"})} == {"digits"}
    monkeypatch.setattr(image_baseline, "OUT", tmp_path)
    monkeypatch.setattr(image_baseline, "RUNS", tmp_path / "runs")
    for name in ("gan-ring8-seed0", "dcgan-digits-seed0"):
        (tmp_path / f"{name}.json").write_text("{}")
    # rerunning the digits restores only the digits' figure runs: the mixtures' figures are kept as they are
    assert [name for name, _ in image_baseline.figure_runs_missing(datas={"digits"})] == ["dcgan-digits-seed0"]


def test_figure_runs_missing_lists_finished_seed0_jobs_without_a_run_directory(tmp_path, monkeypatch):
    out, runs = tmp_path / "results", tmp_path / "runs"
    monkeypatch.setattr(image_baseline, "OUT", out)
    monkeypatch.setattr(image_baseline, "RUNS", runs)
    out.mkdir()
    for name in ("gan-ring8-seed0", "gan-ring8-seed1", "wgan_gp-ring8-seed0", "dcgan-digits-seed0"):
        (out / f"{name}.json").write_text("{}")
    (runs / "wgan_gp-ring8-seed0" / "checkpoints").mkdir(parents=True)  # this one is here already
    missing = [name for name, _ in image_baseline.figure_runs_missing()]
    assert missing == ["gan-ring8-seed0", "dcgan-digits-seed0"]  # seed 1 is not drawn


def _digits_result(model: str, seed: int, fd: float) -> dict:
    return {"name": f"{model}-digits-seed{seed}", "cpu_s": 30.0 + seed,
            "metrics": {"fd": fd, "label_entropy": 0.2, "marginal_entropy": 2.25, "inception_score": 7.5}}


def test_digits_table_averages_over_seeds_beside_the_references():
    refs = {"blurred_noise": {"n": 2000, "fd": 1237.0, "label_entropy": 0.2, "marginal_entropy": 1.77,
                              "inception_score": 4.7},
            "real_test": {"n": 359, "fd": 32.6, "label_entropy": 0.04, "marginal_entropy": 2.29,
                          "inception_score": 9.6}}
    results = [_digits_result("dcgan", s, fd) for s, fd in enumerate((100.0, 120.0, 140.0))]
    results.append(_digits_result("dragan", 0, 90.0))
    lines = image_baseline_render.digits_table(results, refs)
    rows = {line.split(" | ")[0].strip("| `"): line for line in lines if line.startswith("| ")}
    assert "| 120.00 ± 20.00 |" in rows["dcgan"] and rows["dcgan"].endswith("| 3 | 31 |")
    assert "| 90.00 |" in rows["dragan"] and rows["dragan"].endswith("| 1 | 30 |")
    assert "1237.00" in rows["blurred noise (reference), n=2000"]


def test_drawing_without_the_run_directory_is_a_one_line_error(tmp_path):
    with pytest.raises(SystemExit, match="no run directory .* retrains the missing seed-0 runs"):
        image_baseline_render._seed_run(tmp_path, "gan", "ring8")


def test_committed_results_name_planned_runs():
    names = {name for name, _ in image_baseline.plan([0, 1, 2])}
    committed = {p.stem for p in image_baseline.OUT.glob("*-seed*.json")}
    assert committed and committed <= names
    assert all(json.loads((image_baseline.OUT / f"{n}.json").read_text())["metrics"] for n in committed)


def test_report_has_a_continuous_section_from_the_image_baseline_results(tmp_path):
    from benchmarks.report_continuous import continuous_section

    folder = tmp_path / "results" / "image_baseline"
    folder.mkdir(parents=True)
    for seed, modes in enumerate((8.0, 6.0)):
        (folder / f"wgan_gp-ring8-seed{seed}.json").write_text(json.dumps(
            {"name": f"wgan_gp-ring8-seed{seed}", "cpu_s": 300.0, "metrics": {"modes": modes, "high_quality": 0.9},
             "machine": "x86_64, 2 CPUs (shared)", "threads": 1}))
    text = continuous_section(tmp_path / "results", tmp_path / "REPORT.md")
    assert "## Continuous baseline" in text and "(results/image_baseline/README.md)" in text
    assert "| `wgan_gp` | 7.0 ± 1.4 | 90.0 ± 0.0 | 2 | 300 |" in text
    assert "Hardware: x86_64, 2 CPUs (shared), 1 thread a run" in text
    assert "digits" not in text.split("### ring8")[1]  # no digits results, no digits table
    assert continuous_section(tmp_path / "empty", tmp_path / "REPORT.md") == ""


def test_run_all_with_every_json_present_trains_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(image_baseline, "OUT", tmp_path)
    monkeypatch.setattr(image_baseline, "REPO", tmp_path.parent)
    for name, _ in image_baseline.plan([0]):
        (tmp_path / f"{name}.json").write_text("{}")
    assert image_baseline.run_all(1, [0], None) is False
    assert "nothing to run" in capsys.readouterr().out


class _InlinePool:
    """ProcessPoolExecutor's interface, run in this process (so a test can replace `run_one`)."""

    def __init__(self, jobs: int):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, fn, *iterables):
        return map(fn, *iterables)


def test_keep_figures_restores_no_run_directory_and_redraws_no_figure(tmp_path, monkeypatch):
    out = tmp_path / "results"
    monkeypatch.setattr(image_baseline, "OUT", out)
    monkeypatch.setattr(image_baseline, "RUNS", tmp_path / "runs")
    monkeypatch.chdir(tmp_path)  # main() changes into the repository; this puts the test's cwd back afterwards
    out.mkdir()
    (out / "digits_references.json").write_text("{}")
    for name in ("gan-ring8-seed0", "dcgan-digits-seed0"):  # finished seed-0 runs whose directories are gone
        (out / f"{name}.json").write_text("{}")
    trained: list[tuple[str, bool]] = []
    monkeypatch.setattr(image_baseline, "ProcessPoolExecutor", _InlinePool)
    monkeypatch.setattr(image_baseline, "run_one",
                        lambda name, argv, restore=False: trained.append((name, restore)) or name)
    redrawn: list = []
    monkeypatch.setattr(image_baseline_render, "render", lambda out, runs, figures=None: redrawn.append(figures))
    monkeypatch.setattr(sys, "argv", ["image_baseline.py", "--models", "hinge_sn", "--seeds", "0", "--keep-figures"])
    image_baseline.main()
    ran = {name for name, _ in image_baseline.plan([0], {"hinge_sn"})}
    assert trained and {name for name, _ in trained} == ran  # the new rows, and no restore of the figure runs
    assert not any(restore for _, restore in trained)
    assert redrawn == [set()]  # the tables are rendered; no data set's figures are redrawn

    # without the flag the same command restores the figure runs first and redraws every figure
    trained.clear(), redrawn.clear()
    for name in ran:
        (out / f"{name}.json").unlink(missing_ok=True)
    monkeypatch.setattr(sys, "argv", ["image_baseline.py", "--models", "hinge_sn", "--seeds", "0"])
    image_baseline.main()
    assert [name for name, restore in trained if restore] == ["gan-ring8-seed0", "dcgan-digits-seed0"]
    assert redrawn == [None]
