"""`python -m textgan.evaluate` (textgan/evaluate.py): runs and sample files, JSON layout, sweeps, errors.

Most cases call `main(argv)` in-process (fast); one runs the real module to check the exit code and the
one-line error of the CLI entry point.
"""

from __future__ import annotations

import json

import pytest
import torch
from conftest import TEST_LINES, TINY_MLE_TEXT, assert_user_error, run_cli, train_cli

import textgan.evaluate as evaluate
from textgan.evaluate import main
from textgan.metrics.bleu import bleu, self_bleu
from textgan.metrics.sacrebleu_metric import sacrebleu_corpus


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("text_run")
    from conftest import TRAIN_LINES

    (cwd / "train.txt").write_text("\n".join(TRAIN_LINES) + "\n")
    (cwd / "test.txt").write_text("\n".join(TEST_LINES) + "\n")
    # absolute data paths: the run's config.yaml keeps them as given, and evaluation runs from another cwd
    proc = train_cli("--model", "mle", "--config", TINY_MLE_TEXT, "--data", cwd / "train.txt",
                     f"data.test={cwd / 'test.txt'}", "--run-dir", "run", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return cwd


def _user_error(capsys, argv, *needles):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    for needle in needles:
        assert needle in err[0]
    return err[0]


def test_oracle_run_json(oracle_run, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["--run", str(oracle_run), "--json", str(out), "--num", "40", "--threads", "1"]) == 0
    table = capsys.readouterr().out
    assert "nll_oracle" in table and "nll_test" in table
    r = json.loads(out.read_text())
    assert r["n_samples"] == 40 and r["n_references"] == 64 and r["temperature"] == 1.0
    assert r["nll_oracle"] > 0 and r["nll_test"] > 0
    assert r["model"] == "mle" and r["protocol"]["n_samples"] == 40 and "nll_definition" in r["protocol"]
    assert "bleu" not in r  # the oracle's default metrics are the likelihoods


def test_oracle_run_sweep(oracle_run, tmp_path, capsys):
    out = tmp_path / "s.json"
    assert main(["--run", str(oracle_run), "--temperatures", "0.5,1.0,2.0", "--num", "32",
                 "--metrics", "nll,self_bleu", "--json", str(out)]) == 0
    assert "T=0.5" in capsys.readouterr().out
    sweep = json.loads(out.read_text())["sweep"]
    assert [e["temperature"] for e in sweep] == [0.5, 1.0, 2.0]
    assert all({"nll_oracle", "nll_test", "self_bleu"} <= set(e) for e in sweep)
    # NLL-test is of the temperature-scaled model, so it changes with T.
    assert len({round(e["nll_test"], 6) for e in sweep}) == 3


def test_sweep_plot(oracle_run, text_run, tmp_path, capsys):
    from textgan.metrics.sweep_plot import sweep_axes

    for run, metrics, axes in ((oracle_run, "nll", ("nll_test", "nll_oracle")),
                               (text_run / "run", "bleu,self_bleu", ("self_bleu_4", "bleu_4"))):
        out, js = tmp_path / f"{run.parent.name}.png", tmp_path / f"{run.parent.name}.json"
        assert main(["--run", str(run), "--temperatures", "0.7,1.0,1.5", "--num", "24", "--metrics", metrics,
                     "--max-n", "4", "--plot", str(out), "--json", str(js)]) == 0
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"wrote {out}" in capsys.readouterr().err
        assert sweep_axes(json.loads(js.read_text())["sweep"], 4)[:2] == axes
    _user_error(capsys, ["--run", str(oracle_run), "--plot", str(tmp_path / "p.png")], "--temperatures")
    _user_error(capsys, ["--run", str(oracle_run), "--temperatures", "1", "--plot", str(tmp_path / "p.txt")],
                "must be a .png")
    assert main(["--run", str(oracle_run), "--temperatures", "1", "--metrics", "self_bleu", "--num", "8",
                 "--plot", str(tmp_path / "p.png")]) == 2
    refused = capsys.readouterr()  # before sampling: no table was printed
    assert refused.out == "" and refused.err.startswith("error: --plot needs a sweep")
    # NLL alone gives the oracle's plane but not a text run's: refused once the run is loaded, before the sweep
    assert main(["--run", str(text_run / "run"), "--temperatures", "1", "--metrics", "nll", "--num", "8",
                 "--plot", str(tmp_path / "p.png")]) == 2
    refused = capsys.readouterr()
    assert refused.out == "" and refused.err.startswith("error: --plot needs a sweep")


def test_text_run_all_cheap_metrics(text_run, tmp_path, capsys):
    out = tmp_path / "t.json"
    assert main(["--run", str(text_run / "run"), "--metrics", "bleu,self_bleu,nll,sacrebleu", "--num", "24",
                 "--max-n", "4", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert sorted(r["bleu"]) == ["2", "3", "4"] and sorted(r["self_bleu"]) == ["2", "3", "4"]
    assert all(0 <= v <= 1 for v in [*r["bleu"].values(), *r["self_bleu"].values(), r["sacrebleu"]])
    assert r["nll_test"] > 0 and "nll_oracle" not in r and r["n_references"] == len(TEST_LINES)


def test_samples_file_matches_library(tmp_path, capsys):
    samples = ["the cat sat on the log .", "a dog ran .", "the bird sat on the mat .", ""]
    refs = ["the cat sat on the mat .", "a dog ran in the park ."]
    (tmp_path / "s.txt").write_text("\n".join(samples) + "\n")
    (tmp_path / "r.txt").write_text("\n".join(refs) + "\n")
    out = tmp_path / "o.json"
    assert main(["--samples", str(tmp_path / "s.txt"), "--references", str(tmp_path / "r.txt"),
                 "--metrics", "bleu,self_bleu,sacrebleu", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    toks, ref_toks = [s.split() for s in samples], [s.split() for s in refs]
    assert r["bleu"] == {str(k): v for k, v in bleu(toks, ref_toks, 5).items()}
    assert r["self_bleu"] == {str(k): v for k, v in self_bleu(toks, 5).items()}
    assert r["n_samples"] == 4 and r["n_references"] == 2 and 0 < r["sacrebleu"] <= 1
    # the lines reach sacreBLEU as written, and the result says so (a run's samples are detokenised first)
    assert r["sacrebleu"] == sacrebleu_corpus(samples, refs)
    assert "not detokenised" in r["protocol"]["sacrebleu_definition"]
    # self-BLEU needs no references
    assert main(["--samples", str(tmp_path / "s.txt")]) == 0
    assert "self_bleu_2" in capsys.readouterr().out


def test_files_are_read_as_the_training_data_is(tmp_path, capsys):
    """A byte-order mark, blank references and form feeds inside a line do not change the scores; a blank
    sample line is an empty generation and counts."""
    samples, refs = ["a man rides a horse", "a dog runs", "two cats sit"], ["a man rides a bike", "a dog sits"]
    (tmp_path / "s.txt").write_text("\n".join(samples) + "\n")
    (tmp_path / "r.txt").write_text("\n".join(refs) + "\n")
    (tmp_path / "s_bom.txt").write_text("\ufeff" + "\r\n".join(samples) + "\r\n", encoding="utf-8")
    (tmp_path / "r_odd.txt").write_text("\n" + refs[0].replace(" a ", " a\x0c", 1) + "\n\n" + refs[1] + "\n\n")
    scores = []
    for s, r in (("s.txt", "r.txt"), ("s_bom.txt", "r_odd.txt")):
        assert main(["--samples", str(tmp_path / s), "--references", str(tmp_path / r),
                     "--json", str(tmp_path / "out.json")]) == 0
        scores.append(json.loads((tmp_path / "out.json").read_text()))
    assert scores[0]["bleu"] == scores[1]["bleu"] and scores[0]["self_bleu"] == scores[1]["self_bleu"]
    assert (scores[1]["n_samples"], scores[1]["n_references"]) == (3, 2)
    (tmp_path / "s_blank.txt").write_text("a man rides a horse\n\na dog runs\n")
    assert main(["--samples", str(tmp_path / "s_blank.txt"), "--json", str(tmp_path / "out.json")]) == 0
    assert json.loads((tmp_path / "out.json").read_text())["n_samples"] == 3


def test_text_run_without_a_test_set_scores_its_diversity(tmp_path, monkeypatch, capsys, caplog):
    """Training warns that only self-BLEU can be measured and logs it; evaluate defaults to it and names the
    one metric that applies when asked for one that needs references."""
    from conftest import TRAIN_LINES, metric_records

    from textgan.train import main as train_main

    (tmp_path / "train.txt").write_text("\n".join(TRAIN_LINES) + "\n")
    monkeypatch.chdir(tmp_path)
    assert train_main(["--model", "mle", "--config", str(TINY_MLE_TEXT), "--data", "train.txt", "--run-dir", "run",
                       "mle.epochs=1"]) == 0
    assert "has no test set: evaluations report self-BLEU only" in caplog.text
    assert all("self_bleu_2" in r and "bleu_2" not in r for r in metric_records(tmp_path / "run"))
    capsys.readouterr()
    out = tmp_path / "r.json"
    assert main(["--run", "run", "--num", "16", "--json", str(out)]) == 0
    assert set(json.loads(out.read_text())) >= {"self_bleu"} and "bleu" not in json.loads(out.read_text())
    capsys.readouterr()
    _user_error(capsys, ["--run", "run", "--metrics", "bleu"], "bleu needs a test set", "--metrics self_bleu")


def test_user_errors(oracle_run, tmp_path, capsys):
    (tmp_path / "s.txt").write_text("a b c\nb c d\n")
    (tmp_path / "empty.txt").write_text("\n\n")
    s = str(tmp_path / "s.txt")
    _user_error(capsys, ["--samples", str(tmp_path / "missing.txt")], "not found")
    _user_error(capsys, ["--samples", str(tmp_path / "empty.txt")], "empty")
    _user_error(capsys, ["--samples", s, "--references", str(tmp_path / "empty.txt")], "empty")
    line = _user_error(capsys, ["--samples", s, "--metrics", "bleu,perplexity"], "perplexity")
    assert "bleu, self_bleu, nll, fed, sacrebleu" in line  # lists the known metrics
    _user_error(capsys, ["--samples", s, "--run", str(oracle_run)], "exactly one")
    _user_error(capsys, [], "exactly one")
    _user_error(capsys, ["--samples", s, "--metrics", "bleu"], "bleu needs references: pass --references")
    _user_error(capsys, ["--samples", s, "--metrics", "bleu,fed"], "bleu, fed need references")
    _user_error(capsys, ["--samples", s, "--metrics", "nll"], "--run")
    _user_error(capsys, ["--samples", s, "--temperatures", "1.0"], "--run")
    _user_error(capsys, ["--run", str(oracle_run), "--metrics", "fed"], "fed applies to real text only")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    _user_error(capsys, ["--samples", str(tmp_path / "latin1.txt")], "is not UTF-8 text; convert it",
                "iconv -f latin1 -t utf-8 latin1.txt > latin1.utf8.txt")
    _user_error(capsys, ["--run", str(oracle_run), "--temperatures", "0,1"], "> 0")
    _user_error(capsys, ["--run", str(tmp_path / "nope")], "not found")
    _user_error(capsys, ["--run", str(oracle_run), "--threads", "0"], "--threads must be >= 1")
    _user_error(capsys, ["--samples", str(tmp_path)], "is a directory")
    (tmp_path / "nul.txt").write_bytes(b"a b\x00 c\n")
    _user_error(capsys, ["--samples", str(tmp_path / "nul.txt"), "--metrics", "self_bleu"], "looks binary")
    # a binary file that is not valid UTF-8 either (an executable) is called binary, as training calls it
    (tmp_path / "exe.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00\xff\xfe\x00\x00")
    _user_error(capsys, ["--samples", str(tmp_path / "exe.txt")], "looks binary")
    (tmp_path / "wide.txt").write_bytes("a b c\n".encode("utf-16"))
    _user_error(capsys, ["--samples", str(tmp_path / "wide.txt")], "is UTF-16 text", "iconv -f utf-16 -t utf-8")
    _user_error(capsys, ["--run", s], "is a file, not a run directory")
    # a conditional run's samples (label<TAB>sentence): its labels would be scored as words
    (tmp_path / "labelled.txt").write_text("pos\ta good film .\nneg\t\nneg\ta bad film .\n")
    _user_error(capsys, ["--samples", str(tmp_path / "labelled.txt"), "--metrics", "self_bleu"],
                "holds label<TAB>sentence lines", f"cut -f2- {tmp_path / 'labelled.txt'}")
    _user_error(capsys, ["--samples", s, "--references", str(tmp_path / "labelled.txt")],
                "references file", "holds label<TAB>sentence lines")
    # mostly empty generations ("label<TAB>" reads back as the label alone) are still a labelled file
    (tmp_path / "empties.txt").write_text("pos\ta good film .\nneg\ta bad one .\nneg\t\npos\t\nneg\t\npos\t\n")
    _user_error(capsys, ["--samples", str(tmp_path / "empties.txt"), "--metrics", "self_bleu"],
                "holds label<TAB>sentence lines")
    (tmp_path / "tabbed.txt").write_text("a good\tfilm .\nb c d\na bad film .\n")  # a tab inside a sentence
    assert main(["--samples", str(tmp_path / "tabbed.txt"), "--metrics", "self_bleu"]) == 0
    capsys.readouterr()
    # an unwritable --json is refused before the metrics are computed, not after
    _user_error(capsys, ["--samples", s, "--json", str(tmp_path / "nowhere" / "r.json")], "does not exist")
    _user_error(capsys, ["--samples", s, "--json", str(tmp_path)], "is a directory")


def test_module_entry_point_error(tmp_path):
    proc = run_cli("textgan.evaluate", "--samples", "missing.txt", "--metrics", "self_bleu", cwd=tmp_path)
    assert_user_error(proc, "missing.txt", "not found")


def test_run_is_scored_and_sampled_at_its_own_eval_temperature(tmp_path, capsys):
    # a run whose config evaluates at T = 0.5 (as configs/paper/leakgan_oracle.yaml does at 2/3): without a
    # temperature flag, evaluate and sample use it, so their numbers match the run's own metrics.jsonl
    from conftest import TINY_MLE, metric_records

    from textgan.sample import main as sample_main

    # ... and NLL-test over the run's eval.num_test sequences (here 5 of the tiny config's 64)
    proc = train_cli("--model", "mle", "--config", TINY_MLE, "--run-dir", "run", "eval.temperature=0.5",
                     "eval.num_test=5", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    run, out = tmp_path / "run", tmp_path / "r.json"
    assert main(["--run", str(run), "--json", str(out)]) == 0
    r, last = json.loads(out.read_text()), metric_records(run)[-1]
    assert r["temperature"] == 0.5 and r["nll_test_sequences"] == 5
    assert (r["nll_oracle"], r["nll_test"]) == pytest.approx((last["nll_oracle"], last["nll_test"]), rel=1e-12)
    capsys.readouterr()
    outs = []
    for extra in ([], ["--temperature", "0.5"], ["--temperature", "1"]):
        assert sample_main(["--run", str(run), "--num", "20", "--seed", "3", *extra]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1] != outs[2]


@pytest.mark.parametrize("flag, threads", [([], 1), (["--threads", "2"], 2)])
def test_threads_sets_torchs_threads_for_the_evaluation(tmp_path, capsys, monkeypatch, flag, threads):
    # conftest holds torch at 1 thread, so --threads 2 must raise it for the metrics; without the flag it stays
    (tmp_path / "s.txt").write_text("the cat sat .\na dog ran .\n")
    seen = []
    real = evaluate.evaluate_files
    monkeypatch.setattr(evaluate, "evaluate_files", lambda *a: seen.append(torch.get_num_threads()) or real(*a))
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert main(["--samples", str(tmp_path / "s.txt"), *flag]) == 0
    finally:
        torch.set_num_threads(before)
    assert seen == [threads] and "self_bleu" in capsys.readouterr().out
