"""Shared fixtures: offline HF, one torch thread, the shared data root, tiny text files, a CLI runner.

Tests that need the shared benchmark data take the `data_dir` fixture, which skips them (with the
reason) when $TEXTGAN_DATA_DIR is unset or missing. Everything else runs on data made in tmp_path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# HF datasets caches every text file it reads; keep the test files' caches out of the user's cache.
_HF_CACHE = tempfile.mkdtemp(prefix="textgan-tests-hf-")
os.environ["HF_DATASETS_CACHE"] = _HF_CACHE
# Tiny models: one thread is much faster than several competing ones, in-process and in the CLIs.
torch.set_num_threads(1)

REPO_ROOT = Path(__file__).resolve().parents[1]
TINY_MLE = REPO_ROOT / "configs" / "tiny" / "mle.yaml"
TINY_MLE_TEXT = REPO_ROOT / "configs" / "tiny" / "mle_text.yaml"

TRAIN_LINES = [
    "the cat sat on the mat .",
    "a dog ran in the park .",
    "the dog sat on a log .",
    "a cat ran to the mat .",
    "the bird sang in the tree .",
    "a bird sat on the dog .",
    "the cat and the dog ran .",
    "a small cat sat in the park .",
]
TEST_LINES = [
    "the dog ran to the tree .",
    "a cat sang on the log .",
    "the zebra sat .",
]


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_HF_CACHE, ignore_errors=True)



@pytest.fixture(scope="session", autouse=True)
def private_cache_dir(tmp_path_factory):
    """A session-wide `TEXTGAN_CACHE_DIR` (cached classifiers), so tests never write to the user's cache; CLI
    subprocesses inherit it through the environment, and what one test trains the next one reuses."""
    folder = tmp_path_factory.mktemp("textgan-cache")
    old = os.environ.get("TEXTGAN_CACHE_DIR")
    os.environ["TEXTGAN_CACHE_DIR"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("TEXTGAN_CACHE_DIR", None)
    else:
        os.environ["TEXTGAN_CACHE_DIR"] = old

@pytest.fixture
def data_dir() -> Path:
    """The shared data root ($TEXTGAN_DATA_DIR); skips the test when it is not available."""
    env = os.environ.get("TEXTGAN_DATA_DIR")
    if not env:
        pytest.skip("TEXTGAN_DATA_DIR is not set: this test needs the shared benchmark data")
    path = Path(env)
    if not path.is_dir():
        pytest.skip(f"TEXTGAN_DATA_DIR={env} is not a directory")
    return path


def write_tiny_text(folder: Path) -> tuple[Path, Path]:
    train, test = folder / "train.txt", folder / "test.txt"
    train.write_text("\n".join(TRAIN_LINES) + "\n", encoding="utf-8")
    test.write_text("\n".join(TEST_LINES) + "\n", encoding="utf-8")
    return train, test


@pytest.fixture
def tiny_text(tmp_path) -> tuple[Path, Path]:
    """(train, test) text files, one sentence a line, in tmp_path."""
    return write_tiny_text(tmp_path)


def write_tiny_labelled(folder: Path, n: int = 40) -> Path:
    """`label<TAB>sentence` lines, alternately positive and negative, whose adjectives give the class away."""
    words = {"positive": ["good", "great", "fine", "lovely"], "negative": ["bad", "awful", "poor", "dull"]}
    nouns = ["film", "movie", "plot", "cast", "story"]
    lines = []
    for i in range(n):
        label = "positive" if i % 2 == 0 else "negative"
        adj = words[label][(i // 2) % 4]
        lines.append(f"{label}\ta {adj} {nouns[i % 5]} , really {adj} .")
    path = folder / "labelled.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def tiny_labelled(tmp_path, monkeypatch) -> Path:
    """A tiny `label<TAB>sentence` file in tmp_path; the evaluation classifier is cached in tmp_path too."""
    monkeypatch.setenv("TEXTGAN_CACHE_DIR", str(tmp_path / "cache"))
    return write_tiny_labelled(tmp_path)


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def metric_records(run: os.PathLike) -> list[dict]:
    """A run's metrics.jsonl, one record per evaluation."""
    return [json.loads(line) for line in (Path(run) / "metrics.jsonl").read_text().splitlines()]


def assert_same_final_weights(run_a: os.PathLike, run_b: os.PathLike) -> tuple[dict, dict]:
    """Both runs' newest checkpoints are at the same step with bit-identical weights (a resumed run against
    an uninterrupted one); returns the two checkpoint states for further checks."""
    from textgan.checkpoint import latest_checkpoint, load_checkpoint

    (wa, sa, _), (wb, sb, _) = (load_checkpoint(latest_checkpoint(Path(p) / "checkpoints")) for p in (run_a, run_b))
    assert sa["progress"]["step"] == sb["progress"]["step"]
    assert wa.keys() == wb.keys()
    for module in wa:
        for key in wa[module]:
            assert torch.equal(wa[module][key], wb[module][key]), f"{module}.{key} differs after resume"
    return sa, sb


class FixedLogits(torch.nn.Module):
    """A stand-in generator whose teacher-forced logits are a fixed parameter (B, T, V): losses over it
    have known values, and its gradient shows which positions a loss reaches."""

    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.logits = torch.nn.Parameter(logits.clone())

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.logits


def run_cli(module: str, *args: str | os.PathLike, cwd: Path) -> subprocess.CompletedProcess:
    """Run `python -m <module> args...` in `cwd` and capture its output (text)."""
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], check=False, capture_output=True,
                          text=True, env=cli_env(), cwd=cwd, timeout=300)


def run_clis(commands: dict[str, tuple[str, list]], cwd: Path, jobs: int = 4
             ) -> dict[str, subprocess.CompletedProcess]:
    """Run several independent `{name: (module, args)}` CLI calls concurrently (process start-up dominates)."""
    with ThreadPoolExecutor(jobs) as pool:
        futures = {name: pool.submit(run_cli, module, *args, cwd=cwd) for name, (module, args) in commands.items()}
        return {name: f.result() for name, f in futures.items()}


def train_cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    return run_cli("textgan.train", *args, cwd=cwd)


def sample_cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    return run_cli("textgan.sample", *args, cwd=cwd)


def assert_user_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit code 2, exactly one stderr line `error: ...` (no traceback) that contains each needle."""
    assert proc.returncode == 2, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def run_main(main, argv: list, capsys) -> subprocess.CompletedProcess:
    """Call a CLI's `main(argv)` in this process (cheap: no interpreter start-up), captured like run_cli."""
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(argv, code, out, err)


@pytest.fixture(scope="session")
def cli():
    """The CLI helpers: `cli.train(*args, cwd=...)` / `cli.sample(...)` (subprocesses), `cli.many(...)`
    (concurrent subprocesses), `cli.main(main, argv, capsys)` (in-process), `cli.user_error(proc)`."""

    class _Cli:
        train = staticmethod(train_cli)
        sample = staticmethod(sample_cli)
        many = staticmethod(run_clis)
        main = staticmethod(run_main)
        user_error = staticmethod(assert_user_error)

    return _Cli


def tiny_algorithm(model: str, data_file: Path | None = None):
    """The model's algorithm built in-process from configs/tiny/<model>.yaml on the CPU, after seeding torch
    with 0: for unit tests of one algorithm's hooks without the training CLI. `data_file`: the corpus, for the
    configs that need one passed (the conditional models' labelled file)."""
    from textgan.config import load_yaml, merge_dict
    from textgan.data.sources import load_data
    from textgan.gans.base import TrainContext
    from textgan.registry import get_model, make_config

    spec = get_model(model)
    cfg = make_config(spec)
    merge_dict(cfg, load_yaml(REPO_ROOT / "configs" / "tiny" / f"{model}.yaml"))
    if data_file is not None:
        cfg.data.name = str(data_file)
    torch.manual_seed(0)
    return spec.algorithm(TrainContext(cfg, load_data(cfg.data, None), torch.device("cpu")))


def record_d_training_l2(monkeypatch, module) -> list[float]:
    """Spy on `module.train_real_vs_generated` (the shared D training step as that algorithm module imported
    it): the returned list collects the `l2` of every call, which still runs."""
    seen: list[float] = []
    real = module.train_real_vs_generated
    monkeypatch.setattr(module, "train_real_vs_generated", lambda *a, **kw: seen.append(kw["l2"]) or real(*a, **kw))
    return seen


@pytest.fixture(scope="session")
def oracle_run(tmp_path_factory) -> Path:
    """A finished tiny MLE run on the seeded oracle (configs/tiny/mle.yaml, 2 epochs), shared read-only."""
    cwd = tmp_path_factory.mktemp("oracle_run")
    proc = train_cli("--model", "mle", "--config", TINY_MLE, "--run-dir", "run", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return cwd / "run"


@pytest.fixture(scope="session")
def text_run(tmp_path_factory) -> Path:
    """A finished tiny MLE run on tiny text files (configs/tiny/mle_text.yaml), shared read-only."""
    cwd = tmp_path_factory.mktemp("text_run")
    train, test = write_tiny_text(cwd)
    proc = train_cli("--model", "mle", "--config", TINY_MLE_TEXT, "--data", train, f"data.test={test}",
                     "--run-dir", "run", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return cwd / "run"


class BagOfWordsEncoder:
    """A deterministic stand-in for the sentence encoder: hashed bag-of-words vectors."""

    def encode(self, sentences):
        out = np.zeros((len(sentences), 16))
        for i, s in enumerate(sentences):
            for w in s.split():
                out[i, sum(map(ord, w)) % 16] += 1.0
        return out
