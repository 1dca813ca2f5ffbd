"""benchmarks/curve_margin.py: a run's distance from a baseline's temperature curve, on small fake results."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks.curve_margin import interpolate, main


def test_interpolate_between_the_neighbouring_points_in_any_order():
    curve = [(10.0, 7.0), (8.0, 9.0), (9.0, 8.0)]
    assert interpolate(curve, 8.5) == pytest.approx(8.5)
    assert interpolate(curve, 10.0) == pytest.approx(7.0)
    with pytest.raises(ValueError, match="outside"):
        interpolate(curve, 11.0)


def _write(path: Path, metrics: dict, sweep: list | None = None) -> Path:
    path.write_text(json.dumps({"metrics": metrics, **({"sweep": sweep} if sweep else {})}))
    return path


def test_cli_margins_lower_and_higher_better(tmp_path, capsys):
    base = _write(tmp_path / "mle.json", {}, [{"nll_test": 8.0, "nll_oracle": 9.0},
                                              {"nll_test": 10.0, "nll_oracle": 8.0}])
    run = _write(tmp_path / "gan.json", {"nll_test": 9.0, "nll_oracle": 8.0})
    assert main(["--run", str(run), "--baseline", str(base)]) == 0
    assert "nll_oracle 8.500; margin +0.500" in capsys.readouterr().out   # 0.5 nats below the curve
    coco = _write(tmp_path / "mle_coco.json", {}, [{"self_bleu": {"5": 0.3}, "bleu": {"5": 0.2}},
                                                   {"self_bleu": {"5": 0.5}, "bleu": {"5": 0.3}}])
    gan = _write(tmp_path / "gan_coco.json", {"self_bleu": {"5": 0.4}, "bleu": {"5": 0.2}})
    assert main(["--run", str(gan), "--baseline", str(coco), "--x", "self_bleu_5", "--y", "bleu_5",
                 "--higher-better"]) == 0
    assert "margin -0.050" in capsys.readouterr().out                      # below MLE's curve


def test_points_measured_differently_are_warned_about(tmp_path, capsys):
    sweep = [{"nll_test": 8.0, "nll_oracle": 9.0, "n_samples": 100, "n_references": 50},
             {"nll_test": 10.0, "nll_oracle": 8.0, "n_samples": 100, "n_references": 50}]
    base = _write(tmp_path / "mle.json", {}, sweep)
    alike = _write(tmp_path / "alike.json", {"nll_test": 9.0, "nll_oracle": 8.0, "n_samples": 100, "n_references": 50})
    assert main(["--run", str(alike), "--baseline", str(base)]) == 0
    assert "warning" not in capsys.readouterr().err
    other = _write(tmp_path / "other.json", {"nll_test": 9.0, "nll_oracle": 8.0, "n_samples": 200, "n_references": 50})
    assert main(["--run", str(other), "--baseline", str(base)]) == 0
    captured = capsys.readouterr()
    assert "margin +0.500" in captured.out  # still printed, with the warning beside it
    assert "measured differently (n_samples 200 vs 100)" in captured.err
    elsewhere = json.loads(base.read_text()) | {"data": "coco"}
    base.write_text(json.dumps(elsewhere))
    alike.write_text(json.dumps(json.loads(alike.read_text()) | {"data": "oracle"}))
    assert main(["--run", str(alike), "--baseline", str(base)]) == 0
    assert "(data oracle vs coco)" in capsys.readouterr().err
    assert main(["--run", str(alike), "--baseline", str(base), "--phase", "adversarial"]) == 2
    assert "add --curve" in capsys.readouterr().err


def test_a_curve_whose_x_turns_back_is_read_on_its_low_temperature_branch(tmp_path, capsys):
    # NLL-test falls from T = 0.5 to 1.0 and rises again at 2.0 (an early-stopped MLE): x = 8.0 is met on both
    # sides; the low-temperature side (NLL-oracle 8.0 there) is the one a sharpened GAN is compared with
    sweep = [{"temperature": 2.0, "nll_test": 8.5, "nll_oracle": 11.0},
             {"temperature": 0.5, "nll_test": 9.0, "nll_oracle": 7.0},
             {"temperature": 1.0, "nll_test": 7.0, "nll_oracle": 9.0}]
    base = _write(tmp_path / "mle.json", {}, sweep)
    run = _write(tmp_path / "gan.json", {"nll_test": 8.0, "nll_oracle": 7.5})
    assert main(["--run", str(run), "--baseline", str(base)]) == 0
    assert "nll_oracle 8.000; margin +0.500" in capsys.readouterr().out
    beyond = _write(tmp_path / "far.json", {"nll_test": 8.7, "nll_oracle": 7.5})  # on the branch: fine
    assert main(["--run", str(beyond), "--baseline", str(base)]) == 0


def test_cli_errors_are_one_line(tmp_path, capsys):
    run = _write(tmp_path / "gan.json", {"nll_test": 9.0, "nll_oracle": 8.0})
    assert main(["--run", str(run), "--baseline", str(run)]) == 2
    assert "no temperature sweep" in capsys.readouterr().err
    assert main(["--run", str(run), str(run), "--baseline", str(run)]) == 2


def test_curve_flag_prints_the_margin_at_each_in_training_evaluation(tmp_path, capsys):
    base = _write(tmp_path / "mle.json", {}, [{"temperature": 0.5, "nll_test": 8.0, "nll_oracle": 9.0},
                                              {"temperature": 1.0, "nll_test": 10.0, "nll_oracle": 8.0}])
    curve = [{"phase": "mle", "iteration": 5, "nll_test": 7.0, "nll_oracle": 10.0},     # left of the sweep
             {"phase": "mle", "iteration": 10, "mle_loss": 3.0},                         # no evaluation pair
             {"phase": "adversarial", "iteration": 50, "nll_test": 8.0, "nll_oracle": 8.5},   # +0.5 beyond
             {"phase": "adversarial", "iteration": 100, "nll_test": 9.0, "nll_oracle": 9.0}]  # -0.5 behind
    run = tmp_path / "gan.json"
    run.write_text(json.dumps({"metrics": {"nll_test": 9.0, "nll_oracle": 9.0}, "curve": curve}))
    assert main(["--run", str(run), "--baseline", str(base), "--curve"]) == 0
    out = capsys.readouterr().out
    assert "mle      5: nll_test 7.000, nll_oracle 10.000; outside the baseline's curve" in out
    assert "adversarial     50: nll_test 8.000, nll_oracle 8.500; baseline 9.000, margin +0.500" in out
    assert "adversarial    100: nll_test 9.000, nll_oracle 9.000; baseline 8.500, margin -0.500" in out
    assert "largest margin +0.500 at adversarial 50" in out
    assert main(["--run", str(run), "--baseline", str(base), "--curve", "--phase", "mle"]) == 0
    assert "adversarial" not in capsys.readouterr().out


def test_curve_flag_on_a_result_without_a_curve_is_a_one_line_error(tmp_path, capsys):
    base = _write(tmp_path / "mle.json", {}, [{"nll_test": 8.0, "nll_oracle": 9.0},
                                              {"nll_test": 10.0, "nll_oracle": 8.0}])
    run = _write(tmp_path / "gan.json", {"nll_test": 9.0, "nll_oracle": 8.0})
    assert main(["--run", str(run), "--baseline", str(base), "--curve"]) == 2
    assert "no in-training curve" in capsys.readouterr().err


def test_a_run_folder_still_training_is_read_from_its_metrics_jsonl(tmp_path, capsys):
    base = _write(tmp_path / "mle.json", {}, [{"nll_test": 8.0, "nll_oracle": 9.0},
                                              {"nll_test": 10.0, "nll_oracle": 8.0}])
    run_dir = tmp_path / "gan-run"
    run_dir.mkdir()
    records = [{"phase": "adversarial", "iteration": 5, "nll_test": 8.0, "nll_oracle": 8.5},
               {"phase": "adversarial", "iteration": 6, "g_loss": 0.7}]     # a training record comes last
    (run_dir / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    assert main(["--run", str(run_dir), "--baseline", str(base), "--curve"]) == 0
    out = capsys.readouterr().out
    assert "gan-run: nll_test 8.000, nll_oracle 8.500" in out and "margin +0.500" in out
    (run_dir / "metrics.jsonl").write_text(json.dumps(records[1]) + "\n")
    assert main(["--run", str(run_dir), "--baseline", str(base)]) == 2
    assert "no evaluation of nll_test and nll_oracle in a metrics.jsonl yet" in capsys.readouterr().err


def test_a_run_folder_is_checked_against_its_baseline_as_a_result_json_is(tmp_path, capsys):
    # a run folder recorded no data or sample count, so a margin against another data set's sweep went unwarned
    run_dir = tmp_path / "gan-run"
    run_dir.mkdir()
    (run_dir / "metrics.jsonl").write_text(json.dumps({"phase": "adversarial", "nll_test": 8.0, "nll_oracle": 8.5})
                                           + "\n")
    (run_dir / "config.yaml").write_text("data:\n  name: oracle\n  oracle:\n    seq_len: 8\neval:\n  num_samples: 32\n")
    (run_dir / "run_info.jsonl").write_text(json.dumps({"data": {"oracle": "seeded N(0,1)"}}) + "\n")
    sweep = [{"nll_test": 8.0, "nll_oracle": 9.0, "n_samples": 10000}, {"nll_test": 10.0, "nll_oracle": 8.0,
                                                                       "n_samples": 10000}]
    base = json.loads(_write(tmp_path / "mle.json", {}, sweep).read_text())
    base.update(data="oracle", data_info={"oracle": "SeqGAN target_params"},
                config={"data": {"name": "oracle", "oracle": {"seq_len": 20}}})
    (tmp_path / "mle.json").write_text(json.dumps(base))
    assert main(["--run", str(run_dir), "--baseline", str(tmp_path / "mle.json")]) == 0
    err = capsys.readouterr().err
    assert "oracle seeded N(0,1) vs SeqGAN target_params" in err and "oracle seq_len 8 vs 20" in err
    assert "n_samples 32 vs 10000" in err and "the margin mixes two protocols" in err
    base.update(data="coco")
    (tmp_path / "mle.json").write_text(json.dumps(base))
    main(["--run", str(run_dir), "--baseline", str(tmp_path / "mle.json")])
    assert "data oracle vs coco" in capsys.readouterr().err


def test_a_final_point_outside_the_sweep_still_prints_the_other_pairs_and_the_curve(tmp_path, capsys):
    base = _write(tmp_path / "mle.json", {}, [{"temperature": 0.5, "nll_test": 8.0, "nll_oracle": 9.0},
                                              {"temperature": 1.0, "nll_test": 10.0, "nll_oracle": 8.0}])
    far = tmp_path / "far.json"  # it ends more diverse than any temperature of the baseline
    far.write_text(json.dumps({"metrics": {"nll_test": 11.0, "nll_oracle": 9.0},
                               "curve": [{"phase": "adversarial", "iteration": 5, "nll_test": 9.0,
                                          "nll_oracle": 8.0}]}))
    near, near2 = tmp_path / "near.json", tmp_path / "near2.json"
    for path, y in ((near, 8.0), (near2, 8.2)):
        point = {"nll_test": 9.0, "nll_oracle": y}
        path.write_text(json.dumps({"metrics": point, "curve": [{"phase": "adversarial", "iteration": 5, **point}]}))
    assert main(["--run", str(far), str(near), str(near2), "--baseline", str(base), str(base), str(base),
                 "--curve"]) == 1
    out = capsys.readouterr().out
    assert "far.json: nll_test 11.000, nll_oracle 9.000; outside mle.json's curve (nll_test 8.000 to 10.000)" in out
    assert "adversarial      5: nll_test 9.000, nll_oracle 8.000; baseline 8.500, margin +0.500" in out
    assert "near.json: nll_test 9.000" in out and "margin +0.500" in out
    assert "margin mean ± std over 2 (of 3; the rest lie outside their baseline's curve): +0.400 ± 0.141" in out


def test_a_run_may_be_textgan_evaluate_json_output(tmp_path, capsys):
    base = _write(tmp_path / "mle.json", {}, [{"nll_test": 8.0, "nll_oracle": 9.0},
                                              {"nll_test": 10.0, "nll_oracle": 8.0}])
    one = tmp_path / "one.json"  # evaluate at one temperature: the metrics are the top level
    one.write_text(json.dumps({"model": "seqgan", "temperature": 1.0, "nll_test": 9.0, "nll_oracle": 8.0}))
    swept = tmp_path / "swept.json"  # evaluate --temperatures: "metrics" lists names, the point is T = 1
    swept.write_text(json.dumps({"metrics": ["nll"], "sweep": [
        {"temperature": 0.5, "nll_test": 12.0, "nll_oracle": 7.0},
        {"temperature": 1.0, "nll_test": 9.0, "nll_oracle": 8.0}]}))
    for run in (one, swept):
        assert main(["--run", str(run), "--baseline", str(base)]) == 0
        assert "nll_oracle 8.500; margin +0.500" in capsys.readouterr().out
    one.write_text(json.dumps({"temperature": 0.667, "nll_test": 9.0, "nll_oracle": 8.0}))  # eval.temperature 2/3
    assert main(["--run", str(one), "--baseline", str(base)]) == 0
    assert "was evaluated at temperature 0.667" in capsys.readouterr().err
    no_one = tmp_path / "no_one.json"
    no_one.write_text(json.dumps({"metrics": ["nll"], "sweep": [{"temperature": 0.5, "nll_test": 9.0}]}))
    assert main(["--run", str(no_one), "--baseline", str(base)]) == 2
    assert "its sweep has no temperature-1 point" in capsys.readouterr().err
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    assert main(["--run", str(listed), "--baseline", str(base)]) == 2
    assert "is not a result: give a grid result JSON" in capsys.readouterr().err


def test_text_results_with_the_oracle_axes_get_the_axes_to_pass(tmp_path, capsys):
    coco = _write(tmp_path / "mle_coco.json", {}, [{"self_bleu": {"5": 0.3}, "bleu": {"5": 0.2}},
                                                   {"self_bleu": {"5": 0.5}, "bleu": {"5": 0.3}}])
    gan = _write(tmp_path / "gan_coco.json", {"self_bleu": {"5": 0.4}, "bleu": {"5": 0.2}})
    assert main(["--run", str(gan), "--baseline", str(coco)]) == 2
    err = capsys.readouterr().err
    assert "metric 'nll_test' not in" in err or "metric 'nll_oracle' not in" in err
    assert "pass --x self_bleu_5 --y bleu_5 --higher-better" in err and '"metric' not in err
