"""CLI smoke tests of the Transformer generator (`generator.kind=transformer`) through the real entry points:
MLE and RelGAN chosen by CLI overrides on the shared tiny configs, SeqGAN (rollouts from a separate rollout network)
with a bitwise-identical resume across rounds, sampling from the run, and a too-short `max_len` as a
one-line error."""

from __future__ import annotations

from pathlib import Path

from conftest import assert_same_final_weights, metric_records

from textgan.checkpoint import latest_checkpoint, load_checkpoint
from textgan.sample import main as sample_main
from textgan.train import main as train_main

TINY = Path(__file__).resolve().parents[1] / "configs" / "tiny"
TRANSFORMER = ["generator.kind=transformer", "generator.transformer.d_model=16", "generator.transformer.heads=2",
               "generator.transformer.max_len=8", "mle.lr=0.001"]


def test_mle_seqgan_relgan_train_resume_and_sample(cli, tmp_path, monkeypatch, capsys):
    seqgan = ["--model", "seqgan", "--config", TINY / "seqgan_transformer.yaml"]
    # the real entry point in subprocesses (their start-up dominates: three run concurrently) ...
    first = cli.many({
        "mle": ("textgan.train", ["--model", "mle", "--config", TINY / "mle.yaml", "--run-dir", "mle", *TRANSFORMER]),
        "full": ("textgan.train", [*seqgan, "--run-dir", "full", "adversarial.rounds=2"]),
        "cut": ("textgan.train", [*seqgan, "--run-dir", "cut", "adversarial.rounds=1"]),
    }, cwd=tmp_path)
    for name, proc in first.items():
        assert proc.returncode == 0, f"{name}: {proc.stderr}"
    resumed = cli.train("--resume", "--run-dir", "cut", "adversarial.rounds=2", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    # ... and the same `main`s in-process for the rest
    monkeypatch.chdir(tmp_path)
    second = {
        "resume_mle": cli.main(train_main, ["--resume", "--run-dir", "mle", "mle.epochs=3"], capsys),
        "relgan": cli.main(train_main, ["--model", "relgan", "--config", TINY / "relgan.yaml", "--run-dir", "relgan",
                                        *TRANSFORMER], capsys),
        "sample": cli.main(sample_main, ["--run", "full", "--num", "4", "--seed", "1"], capsys),
    }
    for name, proc in second.items():
        assert proc.returncode == 0, f"{name}: {proc.stderr}"

    mle = metric_records(tmp_path / "mle")
    assert [r["iteration"] for r in mle] == [0, 1, 2, 3] and {r["phase"] for r in mle} == {"mle"}
    assert mle[-1]["nll_oracle"] < mle[0]["nll_oracle"]
    weights, _, meta = load_checkpoint(latest_checkpoint(tmp_path / "mle" / "checkpoints"))
    assert meta["step"] == 3 and "transformer.h.0.attn.c_attn.weight" in weights["generator"]

    phases = [r["phase"] for r in metric_records(tmp_path / "full")]
    assert phases[-2:] == ["adversarial", "adversarial"] and {"mle", "pretrain_d"} <= set(phases)
    assert {"g_loss", "reward", "d_loss"} <= set(metric_records(tmp_path / "full")[-1])
    assert_same_final_weights(tmp_path / "full", tmp_path / "cut")

    relgan = metric_records(tmp_path / "relgan")       # Gumbel-softmax decoding: soft one-hots fed into step
    assert relgan[-1]["phase"] == "adversarial" and "g_loss" in relgan[-1]

    lines = second["sample"].stdout.strip().splitlines()
    assert len(lines) == 4 and all(len(line.split()) == 8 for line in lines)


def test_max_len_below_the_sequence_length_is_a_one_line_error(cli, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["--model", "mle", "--config", TINY / "mle_transformer.yaml", "--run-dir", "run",
            "generator.transformer.max_len=5"]
    # refused before the first decode (textgan.sampling.check_decode_length), naming the length needed: the same
    # error on CUDA, where decoding past the positions would be a device-side assert
    cli.user_error(cli.main(train_main, argv, capsys), "exceed the Transformer generator's 5 positions",
                   "generator.transformer.max_len=8")
    # refused before the run directory is written, so the corrected command runs without --overwrite
    assert not (tmp_path / "run").exists()
    fixed = cli.main(train_main, [*argv[:-1], "generator.transformer.max_len=8", "mle.epochs=1"], capsys)
    assert fixed.returncode == 0, fixed.stderr


def test_run_initialised_from_a_pretrained_folder_resumes_and_samples_without_it(cli, tmp_path, monkeypatch, capsys):
    """`pretrained_dir` sets the initial weights only: once a checkpoint exists, resume and sampling use its
    weights and no longer read the folder (here deleted after the first sitting)."""
    from textgan.runs import load_run

    monkeypatch.chdir(tmp_path)
    mle = ["--model", "mle", "--config", TINY / "mle_transformer.yaml", "mle.epochs=1"]
    assert cli.main(train_main, [*mle, "--run-dir", "base"], capsys).returncode == 0
    load_run("base").generator.save_pretrained(tmp_path / "gpt")
    init = cli.main(train_main, [*mle, f"generator.transformer.pretrained_dir={tmp_path / 'gpt'}", "--run-dir", "init"],
                    capsys)
    assert init.returncode == 0, init.stderr
    for path in (tmp_path / "gpt").iterdir():
        path.unlink()
    (tmp_path / "gpt").rmdir()
    resumed = cli.main(train_main, ["--resume", "--run-dir", "init", "mle.epochs=2"], capsys)
    sampled = cli.main(sample_main, ["--run", "init", "--num", "3", "--seed", "0"], capsys)
    assert resumed.returncode == 0 and sampled.returncode == 0, resumed.stderr + sampled.stderr
    assert [r["iteration"] for r in metric_records(tmp_path / "init")] == [0, 1, 2]
    assert load_run("init").cfg.generator.transformer.pretrained_dir == str(tmp_path / "gpt")  # still recorded
