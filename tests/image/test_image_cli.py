"""CLI smoke tests of the image baseline through the real entry points: training on ring8 and digits
(configs/tiny/), a PNG at every evaluation, `textgan.sample` writing a PNG grid, bitwise resume, and the
one-line errors for a model / data mismatch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import metric_records
from matplotlib.image import imread
from safetensors.torch import load_file

from textgan.checkpoint import latest_checkpoint
from textgan.image.classifier import load_or_train
from textgan.image.data import digits_split
from textgan.sample import main as sample_main
from textgan.train import main as train_main

TINY = Path(__file__).resolve().parents[2] / "configs" / "tiny"
RING = ["--model", "wgan_gp", "--config", str(TINY / "wgan_gp.yaml")]
DIGITS = ["--model", "dcgan", "--config", str(TINY / "dcgan.yaml")]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, cli, private_cache_dir):
    """Tiny ring8 (with spectral norm, so its state is checkpointed too) and digits runs, run concurrently
    through `python -m textgan.train`."""
    load_or_train(*digits_split())  # cache the classifier once, before the subprocesses need it
    cwd = tmp_path_factory.mktemp("image_cli")
    procs = cli.many({
        "ring": ("textgan.train", [*RING, "--run-dir", "ring", "gan.spectral_norm=true"]),
        "digits": ("textgan.train", [*DIGITS, "--run-dir", "digits"]),
        "ring_cgan": ("textgan.train", [*RING, "--run-dir", "ring_cgan", "nets.conditional=true"]),
    }, cwd=cwd, jobs=3)
    for name, proc in procs.items():
        assert proc.returncode == 0, f"{name}: {proc.stderr}"
    return cwd


def test_ring8_run_layout(runs):
    run = runs / "ring"
    records = metric_records(run)
    assert [r["iteration"] for r in records] == [0, 1, 2]
    assert all(0 <= r["modes"] <= 8 and 0 <= r["high_quality"] <= 1 for r in records)
    assert {"d_loss", "g_loss", "penalty"} <= set(records[-1])
    for step in (0, 1, 2):
        assert imread(run / "samples" / f"step-{step:06d}.png").ndim == 3
    assert (run / "samples" / "step-000002.txt").read_text().count("\n") == 5
    meta = json.loads((latest_checkpoint(run / "checkpoints") / "meta.json").read_text())
    assert (meta["model"], meta["vocab_size"]) == ("wgan_gp", 2)
    weights = load_file(latest_checkpoint(run / "checkpoints") / "weights.safetensors")
    assert any(k.startswith("discriminator.") and "parametrizations" in k for k in weights)


def test_digits_run_layout_and_metrics(runs):
    last = metric_records(runs / "digits")[-1]
    assert {"fd", "label_entropy", "marginal_entropy", "inception_score"} <= set(last)
    assert last["fd"] > 0 and 1.0 <= last["inception_score"] <= 10.0
    grid = imread(runs / "digits" / "samples" / "step-000002.png")
    assert grid.shape[0] == grid.shape[1] == 2 * (10 * 17 + 1)  # 10 x 10 digits of 16 px, 1 px frames, 2x


@pytest.mark.parametrize("name, argv", [("ring", [*RING, "gan.spectral_norm=true"]),
                                        ("digits", DIGITS)])  # DCGAN: batch-norm running statistics too
def test_resume_is_bitwise_identical(runs, cli, capsys, name, argv):
    """3 rounds straight == the 2-round run resumed with its budget raised to 3 (in-process: the same main)."""
    resumed, straight = runs / f"{name}_resumed", runs / f"{name}3"
    shutil.copytree(runs / name, resumed)
    for args in ([*argv, "--run-dir", straight, "gan.iterations=3"],
                 ["--resume", "--run-dir", resumed, "gan.iterations=3"]):
        proc = cli.main(train_main, args, capsys)
        assert proc.returncode == 0, proc.stderr
    a = load_file(latest_checkpoint(straight / "checkpoints") / "weights.safetensors")
    b = load_file(latest_checkpoint(resumed / "checkpoints") / "weights.safetensors")
    assert a.keys() == b.keys() and all(a[k].equal(b[k]) for k in a)
    if name == "digits":
        assert any(k.endswith("running_mean") for k in a)
    strip = lambda rs: [{k: v for k, v in r.items() if k not in ("elapsed_s", "eval_s")} for r in rs]
    assert strip(metric_records(resumed)) == strip(metric_records(straight))


def test_a_run_saved_before_nets_init_std_existed_reads_as_the_init_it_trained_with(runs, tmp_path):
    # nets.init_std arrived with DCGAN's init as its default; an older run's config.yaml has no such key and
    # trained with PyTorch's init, so a resume must keep (and record) 0, not the new default
    import yaml

    from textgan.config import load_yaml
    from textgan.runs import load_run_config

    old = tmp_path / "old_digits"
    shutil.copytree(runs / "digits", old)
    saved = load_yaml(old / "config.yaml")
    assert saved["nets"].pop("init_std") == 0.02
    (old / "config.yaml").write_text(yaml.safe_dump(saved, sort_keys=False))
    assert load_run_config(old)[1].nets.init_std == 0.0
    assert load_run_config(runs / "digits")[1].nets.init_std == 0.02   # a run that wrote the key keeps its value


def test_sample_cli_writes_a_png(runs, cli, capsys):
    out = runs / "grid.png"
    proc = cli.sample("--run", runs / "digits", "--num", "20", "--seed", "3", "--out", out, cwd=runs)
    assert proc.returncode == 0, proc.stderr
    assert imread(out).shape[:2] == (2 * (2 * 17 + 1), 2 * (10 * 17 + 1))  # 20 digits: 2 rows of 10
    proc = cli.main(sample_main, ["--run", runs / "ring", "--num", "50"], capsys)
    assert proc.returncode == 0 and (runs / "ring" / "samples" / "sample.png").is_file()


@pytest.mark.parametrize("argv,needles", [
    (["--model", "dcgan", "--data", "tiny.txt"], ["model 'dcgan' trains on points or images data",
                                                  "'tiny.txt' is text data"]),
    (["--model", "mle", "--data", "ring8"], ["model 'mle' trains on", "'ring8' is points data"]),
    ([*RING, "gan.loss=wgan"], ["'gan.loss' must be one of"]),
    ([*RING, "gan.penalty=gp"], ["'gan.penalty' must be one of"]),
    # keys of the text models' sections that these models never read (ModelSpec.unread_keys)
    ([*RING, "generator.hidden_dim=64"], ["config key 'generator.hidden_dim' is not read by model 'wgan_gp' "
                                          "(continuous GANs build G and D from nets.*", "; remove it"]),
    (["--model", "dcgan", "--data", "oracle", "data.oracle.num_train=10"],
     ["config key 'data.oracle.num_train' is not read by model 'dcgan'", "it reads only data.name, data.max_train"]),
    (["--model", "gan", "--data", "ring8", "data.max_len=10"], ["'data.max_len' is not read by model 'gan'"]),
    ([*DIGITS, "eval.bleu=false"], ["'eval.bleu' is not read by model 'dcgan'",
                                    "of eval.* it reads only eval.num_samples, eval.seed); remove it"]),
    ([*RING, "eval={classifier: {epochs: 2}}"], ["'eval.classifier.epochs' is not read by model 'wgan_gp'"]),
    # nets.* keys the nets of the data never read (check_nets_keys): the MLPs of the mixtures, the convnets of digits
    (["--model", "wgan_gp", "--data", "ring8", "nets.channels=4"],
     ["config key 'nets.channels' is not read on points data 'ring8' (its MLP nets read only nets.z_dim, "
      "nets.hidden, nets.layers, nets.conditional); remove it, or set it to the default (nets.channels=32)"]),
    ([*RING, "nets.init_std=0.1"], ["config key 'nets.init_std' is not read on points data 'ring8'"]),
    (["--model", "dcgan", "--data", "digits", "nets.hidden=8"],
     ["config key 'nets.hidden' is not read on images data 'digits' (its DCGAN convnets read only nets.z_dim, "
      "nets.channels, nets.conditional, nets.init_std); remove it"]),
    ([*DIGITS, "nets.hidden=8", "nets.layers=2"], ["config keys 'nets.hidden', 'nets.layers' are not read on images "
                                                  "data 'digits'", "remove them, or set them to the default "
                                                  "(nets.hidden=128, nets.layers=3)"]),
    # the penalty's settings without that penalty (ModelSpec.read_only_when)
    (["--model", "wgan_gp", "--data", "ring8", "gan.dragan_scale=0.3"],
     ["config key 'gan.dragan_scale' is read only with gan.penalty=dragan, and this run has gan.penalty=wgan_gp"]),
    (["--model", "gan", "--data", "ring8", "gan.penalty_weight=5"],
     ["'gan.penalty_weight' is read only with gan.penalty=wgan_gp or dragan", "gan.penalty=none; remove it"]),
    # a key of the config file, for the data set --data replaced: nets.channels=4 of the digits protocol
    ([*DIGITS, "--data", "grid25"], ["config key 'nets.channels' is not read on points data 'grid25'"]),
])
def test_bad_input_is_one_line_error(argv, needles, tmp_path, monkeypatch, cli, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.txt").write_text("a b c .\nb c a .\n")
    cli.user_error(cli.main(train_main, [*argv, "--run-dir", "r"], capsys), *needles)
    assert not (tmp_path / "r").exists()


def test_a_saved_run_is_not_refused_settings_it_was_started_with(tmp_path, monkeypatch, cli, capsys):
    # the nets.* and penalty checks are for new runs: a run saved before them (here: its config.yaml edited to
    # what such a run holds) must still resume
    monkeypatch.chdir(tmp_path)
    proc = cli.main(train_main, [*RING, "--run-dir", "r", "gan.iterations=1"], capsys)
    assert proc.returncode == 0, proc.stderr
    saved = yaml.safe_load((tmp_path / "r" / "config.yaml").read_text())
    saved["nets"]["channels"], saved["gan"]["dragan_scale"] = 4, 0.3
    (tmp_path / "r" / "config.yaml").write_text(yaml.safe_dump(saved))
    proc = cli.main(train_main, ["--resume", "--run-dir", "r", "gan.iterations=2"], capsys)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("argv", [
    [*RING, "nets.hidden=8", "nets.layers=1", "nets.z_dim=2", "nets.conditional=true"],
    # init_std=0 asks for PyTorch's init, which the MLPs keep: what a ring8 run saved before the key reads as
    [*RING, "nets.init_std=0", "nets.channels=32"],
    [*DIGITS, "nets.channels=8", "nets.init_std=0", "nets.z_dim=4", "nets.conditional=false", "nets.hidden=128"],
    ["--model", "dcgan", "--data", "oracle", "nets.hidden=8"],  # training refuses the data itself
])
def test_nets_keys_the_data_reads_pass(argv, tmp_path, monkeypatch, cli, capsys):
    # the nets' own keys, and keys at their default (a run's saved config.yaml holds every key), are accepted
    from textgan.config import parse_override

    monkeypatch.chdir(tmp_path)
    proc = cli.main(train_main, [*argv, "--show-config"], capsys)  # the check of a training run, nothing trained
    assert proc.returncode == 0, proc.stderr
    shown = dict(parse_override(line.split()[0]) for line in proc.stdout.splitlines() if line.startswith("nets."))
    assert all(shown[key] == value for key, value in map(parse_override, [a for a in argv if a.startswith("nets.")]))


# the keys of the shared sections (data, generator, train, eval) a continuous run reads: every train.* key (the
# shared loop), data.name and data.max_train (textgan/image/data.py), eval.num_samples and eval.seed (the evaluator)
READ_DATA_EVAL = ["data.name", "data.max_train", "eval.num_samples", "eval.seed"]


def test_show_config_lists_only_the_keys_the_model_reads(tmp_path, monkeypatch, cli, capsys):
    from textgan.config import flatten
    from textgan.registry import get_model, make_config

    monkeypatch.chdir(tmp_path)
    proc = cli.main(train_main, ["--model", "gan", "--data", "ring8", "--show-config", "nets.z_dim=2"], capsys)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    shown = [line.split("=", 1)[0] for line in lines if not line.startswith("#")]
    every = list(flatten(make_config(get_model("gan"))))
    shared = ("data.", "generator.", "train.", "eval.")
    # a key added to a shared section is shown until the image spec declares it unread (or this list takes it)
    assert [k for k in shown if k.startswith(shared)] == [k for k in every if k.startswith("train.")
                                                          or k in READ_DATA_EVAL]
    assert [k for k in shown if not k.startswith(shared)] == [k for k in every if not k.startswith(shared)]
    assert {"model", "seed", "gan.loss", "nets.z_dim", "train.eval_every"} <= set(shown)
    hidden = len(every) - len(shown)
    assert hidden > 40 and lines[1] == (f"# {hidden} keys of data, generator, eval are not "
                                        "read by gan and not shown; setting one is an error")
    assert any(line.startswith("nets.z_dim=2 ") and "(default: 16)" in line for line in lines)
    # the shared keys whose text help would mislead say what they mean here (ModelSpec.key_help)
    help_of = {line.split("=", 1)[0]: line.split("#", 1)[1] for line in lines if not line.startswith("#")}
    assert "ring8 or grid25" in help_of["data.name"] and "coco" not in help_of["data.name"]
    assert "points or images" in help_of["data.max_train"]
    assert "train.best_phases=[adversarial]" in help_of["train.best_phases"]


def test_compare_lists_only_the_settings_the_model_reads(runs, cli, capsys):
    from textgan.compare import main as compare_main
    from textgan.comparison import summarize

    protocol = summarize(runs / "ring").protocol
    assert {"data.name", "data.max_train", "eval.num_samples", "eval.seed"} <= set(protocol)
    assert not [k for k in protocol if k.startswith(("data.", "eval.")) and k not in READ_DATA_EVAL]
    # two runs measured differently: no advice to re-score with textgan.evaluate, which takes text runs only
    proc = cli.main(compare_main, [runs / "ring", runs / "digits"], capsys)
    assert proc.returncode == 0, proc.stderr
    assert "Not measured alike" in proc.stdout and "textgan.evaluate" not in proc.stdout


def test_an_unread_key_in_a_config_file_or_the_python_api_is_an_error(tmp_path, monkeypatch, cli, capsys):
    from textgan.errors import UserError
    from textgan.train import train_model

    monkeypatch.chdir(tmp_path)
    (tmp_path / "gan.yaml").write_text("model: gan\ndata:\n  name: ring8\n  max_train: 100\n"
                                       "generator:\n  hidden_dim: 64\n")
    cli.user_error(cli.main(train_main, ["--config", "gan.yaml", "--show-config"], capsys),
                   "config key 'generator.hidden_dim' is not read by model 'gan'", "remove it from 'gan.yaml'")
    with pytest.raises(UserError, match=r"config key 'data.valid_size' is not read by model 'lsgan' .*; remove it$"):
        train_model("lsgan", data="ring8", run_dir=tmp_path / "r", overrides={"data.valid_size": 10})
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("model", ["gan", "lsgan", "hinge_sn", "dragan"])
def test_every_loss_resumes_bitwise(tmp_path, cli, capsys, model):
    """The other losses and penalties (WGAN-GP is the test above): a 1-round run resumed with its budget raised
    to 2 ends where the 2-round run does, weights and metrics."""
    config = tmp_path / f"{model}.yaml"
    config.write_text((TINY / "wgan_gp.yaml").read_text().replace("model: wgan_gp", f"model: {model}"))
    runs = {}
    for name, rounds in (("straight", 2), ("cut", 1)):
        runs[name] = tmp_path / name
        proc = cli.main(train_main, ["--config", config, "--run-dir", runs[name], f"gan.iterations={rounds}"], capsys)
        assert proc.returncode == 0, proc.stderr
    proc = cli.main(train_main, ["--resume", "--run-dir", runs["cut"], "gan.iterations=2"], capsys)
    assert proc.returncode == 0, proc.stderr
    a, b = (load_file(latest_checkpoint(runs[n] / "checkpoints") / "weights.safetensors") for n in ("straight", "cut"))
    assert a.keys() == b.keys() and all(a[k].equal(b[k]) for k in a)
    strip = lambda rs: [{k: v for k, v in r.items() if k not in ("elapsed_s", "eval_s")} for r in rs]
    assert strip(metric_records(runs["cut"])) == strip(metric_records(runs["straight"]))


def test_a_saved_run_config_is_a_valid_config_file_and_every_unread_key_is_named_at_once(runs, tmp_path, cli,
                                                                                         capsys):
    # a run's config.yaml holds every key, the unread ones at their defaults: reusing it as --config works
    proc = cli.main(train_main, ["--config", runs / "ring" / "config.yaml", "--show-config"], capsys)
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "many.yaml").write_text("model: gan\ndata:\n  name: ring8\n  max_len: 9\n  min_freq: 2\n"
                                        "generator:\n  hidden_dim: 64\n  emb_dim: 8\n  num_layers: 2\n"
                                        "eval:\n  bleu: false\n")
    proc = cli.main(train_main, ["--config", tmp_path / "many.yaml", "--show-config"], capsys)
    cli.user_error(proc, "config keys 'data.max_len', 'data.min_freq', 'generator.hidden_dim', "
                         "'generator.emb_dim' and 2 more are not read by model 'gan'", "remove them from")


def test_resume_refuses_an_unread_key_and_leaves_the_run_alone(runs, cli, capsys):
    before = sorted(p.name for p in (runs / "ring" / "checkpoints").iterdir())
    proc = cli.main(train_main, ["--resume", "--run-dir", runs / "ring", "eval.temperature=0.5"], capsys)
    cli.user_error(proc, "config key 'eval.temperature' is not read by model 'wgan_gp'")
    assert sorted(p.name for p in (runs / "ring" / "checkpoints").iterdir()) == before


@pytest.mark.parametrize("flags, needle", [
    (["--temperature", "0.5"], "--temperature applies to text runs only"),
    (["--prompt", "a man", "--top-k", "3"], "--top-k, --prompt apply to text runs only"),
    (["--infill", "a ___"], "--infill applies to text runs only"),
])
def test_text_sampling_flags_are_refused_for_image_runs(runs, cli, capsys, flags, needle):
    proc = cli.main(sample_main, ["--run", runs / "ring", *flags], capsys)
    cli.user_error(proc, needle)


def test_label_samples_one_class_of_a_conditional_run(runs, cli, capsys):
    from textgan.image.evaluator import generate
    from textgan.image.sample_run import load_image_run

    out = runs / "mode3.png"
    proc = cli.main(sample_main, ["--run", runs / "ring_cgan", "--num", "16", "--label", "3", "--out", out], capsys)
    assert proc.returncode == 0, proc.stderr
    assert out.is_file()
    # the label reaches G: every sample of class 3 is what G draws for label 3 from the same noise
    algorithm, _, _ = load_image_run(runs / "ring_cgan")
    g = algorithm.generator
    mode3, balanced = generate(g, 16, seed=0, label=3), generate(g, 16, seed=0)
    assert mode3[3::8].equal(balanced[3::8]) and not mode3[0].equal(balanced[0])
    cli.user_error(cli.main(sample_main, ["--run", runs / "ring_cgan", "--label", "8"], capsys),
                   "--label '8' is not a class of this run", "0 to 7")
    cli.user_error(cli.main(sample_main, ["--run", runs / "ring", "--label", "1"], capsys),
                   "--label needs a class-conditional run")


def test_evaluate_cli_points_image_runs_to_their_metrics(runs, cli, capsys):
    from textgan.evaluate import main as evaluate_main

    proc = cli.main(evaluate_main, ["--run", runs / "ring"], capsys)
    cli.user_error(proc, "is not a text run", "metrics.jsonl")
