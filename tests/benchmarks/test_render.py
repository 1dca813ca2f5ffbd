"""benchmarks/render.py and benchmarks/harness.py helpers on small fake result JSONs written in tmp_path."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks import render, report
from benchmarks.harness import config_hash, load_grid, pretrain_record, run_id


def _entry(t: float, b5: float, sb5: float) -> dict:
    return {"temperature": t, "n_samples": 100, "n_references": 200, "nll_test": 2.0 + t,
            "bleu": {"2": 0.8, "5": b5}, "self_bleu": {"2": 0.9, "5": sb5}}


def _result(model: str, seed: int, bleu2: float, data: str = "coco") -> dict:
    return {"model": model, "data": data, "seed": seed, "config": {"data": {"name": data}},
            "metrics": {**_entry(1.0, 0.2, 0.4), "bleu": {"2": bleu2, "5": 0.2}},
            "protocol": {"n_samples": 100, "bleu_definition": "nltk method1"},
            "curve": [{"phase": "mle", "step": s, "nll_test": 3.0 - 0.1 * s} for s in range(4)],
            "sweep": [_entry(t, 0.3 - 0.1 * t, 0.6 - 0.2 * t) for t in (0.5, 1.0, 1.5)],
            "hardware": {"platform": "test", "cpu_count": 2, "torch": "x", "torch_threads": 1},
            "git_sha": "abc", "command": f"python -m textgan.train --model {model}"}


def test_two_settings_of_one_model_are_not_averaged_as_seeds(tmp_path):
    published = tmp_path / "published.yaml"
    published.write_text("coco:\n  bleu_2:\n    source: Texygen README\n    values: {mle: 0.731}\n")
    for seed, epochs, b2 in [(0, 30, 0.70), (1, 30, 0.72), (0, 31, 0.60)]:
        r = _result("mle", seed, b2)
        r["config"]["mle"] = {"epochs": epochs}
        r["metrics"]["n_samples"] = 64 if epochs == 31 else 100
        (tmp_path / f"mle-coco-seed{seed}-{epochs}.json").write_text(json.dumps(r))
    text = render.render_dir(tmp_path, published).read_text()
    thirty, thirty_one = (config_hash({"data": {"name": "coco"}, "mle": {"epochs": e}}) for e in (30, 31))
    assert f"| metric | mle ({thirty}) | mle ({thirty_one}) |" in text
    assert "| bleu_2 | 0.710 ± 0.014 (0.731) | 0.600 (0.731) |" in text  # published values found by model
    assert f"#### mle ({thirty})" in text and f"#### mle ({thirty_one})" in text  # the sweep table too
    assert "- samples per evaluation: 64, 100;" in text  # every count the files record


def test_a_seeded_oracle_gets_no_published_numbers(tmp_path):
    published = tmp_path / "published.yaml"
    published.write_text("oracle:\n  nll_oracle:\n    source: SeqGAN paper\n    values: {mle: 9.038}\n")
    r = _result("mle", 0, 0.7, data="oracle")
    r["metrics"] = {"nll_oracle": 10.5, "nll_test": 9.0, "n_samples": 100}
    r["data_info"] = {"oracle": "seeded N(0,1), seed 0"}
    (tmp_path / "mle-oracle-seed0.json").write_text(json.dumps(r))
    text = render.render_dir(tmp_path, published).read_text()
    assert "| nll_oracle | 10.500 |" in text and "9.038" not in text
    assert "No published values: runs here used a seeded N(0,1) oracle" in text


def test_render_tables_and_plots(tmp_path):
    for model, seed, b2 in [("mle", 0, 0.70), ("mle", 1, 0.72), ("seqgan", 0, 0.75)]:
        (tmp_path / f"{model}-coco-seed{seed}.json").write_text(json.dumps(_result(model, seed, b2)))
    (tmp_path / "notes.json").write_text("[1, 2]")  # not a result file: ignored
    published = tmp_path / "published.yaml"
    published.write_text("coco:\n  bleu_2:\n    source: Texygen README\n    values: {mle: 0.731}\n")
    readme = render.render_dir(tmp_path, published)
    text = readme.read_text()
    assert "| metric | mle | seqgan |" in text
    assert "| bleu_2 | 0.710 ± 0.014 (0.731) | 0.750 |" in text  # mean ± std over 2 seeds, then published
    assert "Texygen README" in text and "python -m textgan.train --model mle" in text
    assert "| 0.5 |" in text  # the sweep table
    for png in ("training_curves.png", "quality_diversity.png"):
        assert (tmp_path / png).stat().st_size > 1000
        assert f"]({png})" in text


def test_wall_time_line_keeps_training_and_evaluation_apart():
    split = {"train_wall_s": 100.0, "eval_wall_s": 40.0, "wall_s": 140.0, "train_compute_s": 90.0}
    older = {"wall_s": 500.0, "metrics": {}}  # a training result written before the split existed
    line = render._wall_line([split, split, older])
    assert "summed over the 3 runs" in line
    assert "training 200 s" in line and "evaluation (final metrics and sweeps) 80 s" in line
    assert "not split (older result files) 500 s" in line and "excluded): 180 s" in line
    assert "not split" not in render._wall_line([split])
    sweep_only = {"wall_s": 30.0}  # no final metrics: all of its time went to the sweep
    assert "evaluation (final metrics and sweeps) 30 s" in render._wall_line([sweep_only])


def test_setup_names_the_runs_whose_source_changed_while_they_ran():
    steady, mixed, older = _result("mle", 0, 0.7), _result("seqgan", 1, 0.7), _result("mle", 2, 0.7)
    steady["source"] = {"start": "aaa", "end": "aaa"}
    mixed["source"] = {"start": "aaa", "end": "bbb"}
    lines = render._setup([steady, mixed, older])  # `older` predates the record: not flagged
    flagged = [line for line in lines if "source changed" in line]
    assert len(flagged) == 1 and flagged[0].endswith(": seqgan seed 1")
    assert not any("source changed" in line for line in render._setup([steady, older]))
    resumed = _result("relgan", 0, 0.7)  # the harness saw one source, an earlier training sitting another
    resumed["source"] = {"start": "aaa", "end": "aaa", "sittings": ["zzz", "aaa"]}
    assert [line for line in render._setup([resumed]) if "source changed" in line][0].endswith(": relgan seed 0")
    steady["source"]["sittings"] = ["aaa"]
    assert not any("source changed" in line for line in render._setup([steady]))


def test_quality_diversity_axes():
    lines = render.sweep_lines([_result("mle", 0, 0.7)])
    assert render.quality_diversity_axes(lines)[:2] == ("self_bleu_5", "bleu_5")
    oracle = {"m": {1.0: {"nll_oracle": 9.0, "nll_test": 7.0}}}
    assert render.quality_diversity_axes(oracle)[:2] == ("nll_test", "nll_oracle")


def test_crowded_plots_give_every_line_its_own_look():
    styles = [render.line_style(i) for i in range(24)]
    looks = {(st["color"], st["marker"], st["linestyle"]) for st in styles}
    assert len(looks) == 24                                   # no two of 24 lines alike
    assert styles[3]["color"] == styles[13]["color"] and styles[3]["marker"] != styles[13]["marker"]


def test_render_empty_folder_is_an_error(tmp_path, capsys):
    assert render.main([str(tmp_path)]) == 2
    (tmp_path / "maskgan-coco-seed0.json").write_text("{}")  # an in-filling result: another writer's folder
    assert render.main([str(tmp_path)]) == 2
    assert "bench_infill.py --readme-only" in capsys.readouterr().err


def test_a_missing_published_file_is_an_error_not_an_empty_column(tmp_path, capsys):
    # a mistyped --published dropped the published values from the tables, silently
    results = tmp_path / "g"
    results.mkdir()
    assert render.main([str(results), "--published", str(tmp_path / "nope.yaml")]) == 2
    assert "--published" in (err := capsys.readouterr().err) and "nope.yaml' not found" in err
    assert report.main(["--results", str(tmp_path), "--out", str(tmp_path / "R.md"), "--published",
                        str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml' not found" in capsys.readouterr().err and not (tmp_path / "R.md").exists()


def test_harness_helpers(tmp_path):
    grid = tmp_path / "g.yaml"
    grid.write_text("models: [mle]\ndata: [oracle]\nseeds: [0, 1]\n")
    g = load_grid(grid)
    assert g.name == "g" and g.seeds == [0, 1]
    grid.write_text("models: [mle]\ndata: [oracle]\nseeds: [0]\nbogus: 1\n")
    with pytest.raises(ValueError, match="bogus"):
        load_grid(grid)
    assert config_hash({"seed": 1, "a": 2}) == config_hash({"seed": 7, "a": 2}) != config_hash({"seed": 1, "a": 3})


def test_config_hash_ignores_entries_at_the_model_default():
    """A finished run keeps its hash when the config tree gains a key left at its default."""
    from benchmarks.harness import model_defaults

    defaults = model_defaults("mle")
    base = {"model": "mle", "seed": 0, "mle": {"epochs": 30}}
    grown = {**base, "train": {"threads": defaults["train.threads"]}}
    assert config_hash(base) == config_hash(grown)
    assert config_hash(base) != config_hash({**base, "mle": {"epochs": 31}})
    assert run_id("mle", "data/x.txt", 3, "abcd") == "mle-x-seed3-abcd"
    curve = [{"phase": "mle", "step": 1}, {"phase": "mle", "step": 2}, {"phase": "adversarial", "step": 3}]
    assert pretrain_record(curve) == {"phase": "mle", "step": 2}


def test_hardware_line_describes_every_run(tmp_path):
    """Runs of one grid that used different thread counts are each described, with their count."""
    for seed, threads in [(0, 2), (1, 1), (2, 1)]:
        result = _result("mle", seed, 0.7)
        result["hardware"]["torch_threads"] = threads
        (tmp_path / f"mle-coco-seed{seed}.json").write_text(json.dumps(result))
    text = render.render_dir(tmp_path, tmp_path / "none.yaml").read_text()
    assert "torch x (2 threads), CUDA: none (1 run)" in text
    assert "torch x (1 threads), CUDA: none (2 runs)" in text


def test_settings_without_a_sweep_are_plotted_as_their_temperature_1_point():
    swept = _result("mle", 0, 0.7)
    unswept = [{**_result("seqgan", s, 0.7), "sweep": None} for s in (0, 1)]
    unswept[1]["metrics"] = {**unswept[1]["metrics"], "bleu": {"2": 0.7, "5": 0.4}}
    lines = render.sweep_lines([swept, *unswept])
    points = render.unswept_points([swept, *unswept], lines, "self_bleu_5", "bleu_5")
    assert set(points) == {"seqgan"}                               # mle has its sweep line instead
    assert points["seqgan"] == pytest.approx((0.4, 0.3))           # mean of BLEU-5 0.2 and 0.4 at T = 1


def test_model_label_names_a_changed_generator_kind():
    """A Transformer run of mle gets its own row and legend entry; a model's default kind adds nothing."""
    lstm, transformer = _result("mle", 0, 0.7), _result("mle", 0, 0.7)
    lstm["config"]["generator"] = {"kind": "lstm"}
    transformer["config"]["generator"] = {"kind": "transformer"}
    relgan = _result("relgan", 0, 0.7)
    relgan["config"]["generator"] = {"kind": "relational_memory"}   # RelGAN's own default
    assert [render.model_label(r) for r in (lstm, transformer, relgan)] == ["mle", "mle+transformer", "relgan"]
    assert render.model_label(_result("seqgan", 0, 0.7)) == "seqgan"   # no generator section recorded
    text = render.summary_tables([lstm, transformer], {})
    assert "| metric | mle | mle+transformer |" in text


def test_model_label_names_a_variant_set_away_from_its_default():
    """MaliGAN-full (`maligan.reward=mixed`) gets rows of its own; MaliGAN-basic, set or not, reads `maligan`."""
    basic, full, unset = _result("maligan", 0, 0.7), _result("maligan", 0, 0.7), _result("maligan", 0, 0.7)
    basic["config"]["maligan"] = {"reward": "sequence"}
    full["config"]["maligan"] = {"reward": "mixed"}
    full["config"]["generator"] = {"kind": "transformer"}
    assert [render.model_label(r) for r in (basic, full, unset)] == ["maligan", "maligan+transformer[mixed]",
                                                                      "maligan"]


def test_finished_result_finds_a_file_named_under_an_older_hash(tmp_path):
    """A result written under an earlier hash scheme still counts as done when its recorded config hashes
    to the job's hash today; another seed, or the same seed with another setting, does not."""
    from benchmarks.harness import finished_result, jobs, resolved_config

    grid = tmp_path / "g.yaml"
    grid.write_text("models: [mle]\ndata: [oracle]\nseeds: [0, 1]\noverrides: [mle.epochs=7]\n")
    seed0, seed1 = jobs(load_grid(grid))
    chash = config_hash(resolved_config(seed0))
    results = tmp_path / "results"
    assert finished_result(seed0, chash, results) is None  # no folder yet
    folder = results / "g"
    folder.mkdir(parents=True)
    old = folder / "mle-oracle-seed0-0ldhash0.json"
    old.write_text(json.dumps({"model": "mle", "data": "oracle", "seed": 0, "config": resolved_config(seed0)}))
    (folder / "mle-oracle-seed0-other000.json").write_text(json.dumps(
        {"model": "mle", "data": "oracle", "seed": 0, "config": {**resolved_config(seed0), "mle": {"epochs": 8}}}))
    (folder / "mle-oracle-seed0-broken00.json").write_text("{not json")
    assert finished_result(seed0, chash, results) == old
    assert finished_result(seed1, chash, results) is None
    named = folder / f"{run_id('mle', 'oracle', 0, chash)}.json"
    named.write_text("{}")
    assert finished_result(seed0, chash, results) == named  # the file its id names comes first


def test_run_grid_dry_run_over_several_grids(tmp_path, capsys):
    """run_grid.py takes several grids (the whole report is `grids/*.yaml`) and marks each job done / todo;
    a missing grid file is a one-line error before anything runs."""
    from benchmarks import run_grid
    from benchmarks.harness import jobs, resolved_config

    for name, seeds in (("ga", "[0]"), ("gb", "[0, 1]")):
        (tmp_path / f"{name}.yaml").write_text(f"models: [mle]\ndata: [oracle]\nseeds: {seeds}\n")
    job = jobs(load_grid(tmp_path / "gb.yaml"))[1]
    chash = config_hash(resolved_config(job))
    (tmp_path / "results" / "gb").mkdir(parents=True)
    (tmp_path / "results" / "gb" / f"{run_id('mle', 'oracle', 1, chash)}.json").write_text("{}")
    argv = [str(tmp_path / "ga.yaml"), str(tmp_path / "gb.yaml"), "--dry-run", "--results-root",
            str(tmp_path / "results")]
    assert run_grid.main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        f"mle-oracle-seed0-{chash} [todo]", f"mle-oracle-seed0-{chash} [todo]", f"mle-oracle-seed1-{chash} [done]"]
    assert run_grid.main([str(tmp_path / "ga.yaml"), str(tmp_path / "missing.yaml")]) == 2
    assert "cannot read grid file" in capsys.readouterr().err
    # --only takes any part of a printed id, its config hash included; matching nothing is an error
    assert run_grid.main([*argv, "--only", f"seed1-{chash}"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{run_id('mle', 'oracle', 1, chash)} [done]: "
                                                    f"{lines[2].split(': ', 1)[1]}"]
    assert run_grid.main([*argv, "--only", "seed7"]) == 2
    assert "matches no job" in capsys.readouterr().err


def test_job_lock_lets_side_by_side_grid_runs_share_the_jobs(tmp_path):
    """A job held by a live process is skipped; a lock left by a dead process is taken over; the lock is
    released when the job ends."""
    import os

    from benchmarks.harness import job_lock

    lock = tmp_path / "runs" / "job.lock"
    with job_lock(lock) as holder:
        assert holder is None and lock.read_text().split()[0] == str(os.getpid())
    assert not lock.exists()
    lock.write_text(f"{os.getppid()}\n")  # a live process that is not us (a lock written before start times)
    with job_lock(lock) as holder:
        assert holder == os.getppid()
    assert lock.exists()  # not ours to remove
    if Path(f"/proc/{os.getppid()}/stat").exists():
        from benchmarks.harness import _start_time

        lock.write_text(f"{os.getppid()} {_start_time(os.getppid())}\n")  # the same live process
        with job_lock(lock) as holder:
            assert holder == os.getppid()
        lock.write_text(f"{os.getppid()} 1\n")  # its PID, but a different start time: a reused PID
        with job_lock(lock) as holder:
            assert holder is None
        assert not lock.exists()
    lock.write_text("999999999\n")  # above Linux's largest PID: no such process
    with job_lock(lock) as holder:
        assert holder is None
    assert not lock.exists()


def test_run_grid_goes_on_after_a_failed_run(tmp_path, capsys):
    """A run whose training fails is reported and the command goes on to the next; the exit code says so."""
    from benchmarks import run_grid

    (tmp_path / "empty.txt").write_text("\n")  # a file the grid check finds, but training refuses
    (tmp_path / "g.yaml").write_text(f"models: [mle]\ndata: [{tmp_path / 'empty.txt'}]\nseeds: [0, 1]\n")
    argv = [str(tmp_path / "g.yaml"), "--results-root", str(tmp_path / "results"), "--runs-root",
            str(tmp_path / "runs")]
    assert run_grid.main(argv) == 2
    err = capsys.readouterr().err
    assert "FAILED mle-empty-seed0 (g)" in err and "FAILED mle-empty-seed1 (g)" in err
    assert "2 run(s) failed" in err
    log = next((tmp_path / "runs").glob("mle-empty-seed0-*.log"))
    assert "empty.txt" in log.read_text()  # the training command's own error, kept in the run's log


def test_run_grid_goes_on_after_a_run_that_fails_with_a_user_error(tmp_path, monkeypatch, capsys):
    """A job that fails in the harness itself (e.g. at its evaluation) with a one-line error is listed too."""
    import benchmarks.harness
    from benchmarks import run_grid
    from textgan.errors import UserError

    ran = []

    def run_job(job, *args):
        ran.append(job.seed)
        if job.seed == 0:
            raise UserError("cannot evaluate this run")

    monkeypatch.setattr(benchmarks.harness, "run_job", run_job)
    (tmp_path / "g.yaml").write_text("models: [mle]\ndata: [oracle]\nseeds: [0, 1]\n")
    argv = [str(tmp_path / "g.yaml"), "--results-root", str(tmp_path / "results"), "--runs-root",
            str(tmp_path / "runs"), "--no-render"]
    assert run_grid.main(argv) == 2
    assert ran == [0, 1]
    err = capsys.readouterr().err
    assert "FAILED mle-oracle-seed0 (g): cannot evaluate this run" in err and "1 run(s) failed" in err


@pytest.mark.parametrize("settings, labels_per_line", [(2, 3), (render.CROWDED_LINES + 1, 1)])
def test_a_crowded_quality_diversity_plot_labels_only_each_lines_lowest_temperature(tmp_path, monkeypatch,
                                                                                    settings, labels_per_line):
    from matplotlib.axes import Axes

    labels = []
    original = Axes.annotate
    monkeypatch.setattr(Axes, "annotate", lambda ax, text, *a, **k: labels.append(text) or original(ax, text, *a, **k))
    results = [_result(f"model{i}", 0, 0.7) for i in range(settings)]
    assert render.plot_quality_diversity(results, tmp_path / "qd.png", label=lambda r: r["model"]).is_file()
    assert len(labels) == settings * labels_per_line
    if labels_per_line == 1:
        assert set(labels) == {"T=0.5"}


def test_published_numbers_measured_another_way_never_share_a_name_with_ours():
    """render.py puts a published value beside ours whenever the metric names match: a number the source calls
    not comparable (another convention) must be stored under its own name."""
    import yaml

    published = yaml.safe_load(render.PUBLISHED.read_text())
    for data, metrics in published.items():
        for name, entry in metrics.items():
            if "not comparable" in entry["source"]:
                assert name not in render.ORDER, f"{data}.{name}: {entry['source']}"
