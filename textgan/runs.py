"""Run directories: `runs/<name>/` with config.yaml, the vocabulary, metrics.jsonl, samples/, checkpoints/.

`RunDir` writes a run; `load_run` reads one back (config, vocabulary, generator from the newest intact
checkpoint) for the sample / evaluate CLIs and the benchmarks. Nothing read here can execute code:
YAML is read with a `yaml.SafeLoader` subclass (config.py), weights through safetensors, state with `weights_only=True`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from textgan.checkpoint import (
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    load_weights_into,
    named_checkpoint,
    vocab_fingerprint,
)
from textgan.config import (
    ConfigError,
    dotted_items,
    dump_yaml,
    leaves,
    load_yaml,
    merge_dict,
    set_value,
    without_init_only,
)
from textgan.data.vocab import IdVocab, TextVocab, load_vocab
from textgan.errors import UserError
from textgan.nn import build_generator
from textgan.registry import ModelSpec, get_model, make_config


def git_sha() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def source_fingerprint(root: Path | None = None) -> str:
    """12 hex digits naming the package's source as it is on disk now (every `textgan/**/*.py`, committed or
    not; `root`: another source tree). A benchmark compares the value at the start and the end of a run: a
    long run whose later stages (a resumed sitting, the evaluation) import a package that was edited
    meanwhile mixes two versions of the code, and the git SHA alone cannot tell (it ignores uncommitted
    edits and moves with commits that change no code)."""
    import hashlib

    root = root or Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


# Everything a run writes into its directory. `--overwrite` moves these (and nothing else) out of the way:
# files a user keeps beside a run are never touched.
RUN_ENTRIES = ("config.yaml", "run_info.jsonl", "metrics.jsonl", "tokenizer.json", "vocab.json",
               "checkpoints", "best", "samples")


class RunDir:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.checkpoints = self.path / "checkpoints"
        self.samples = self.path / "samples"
        # an overwritten run waits here until the new run saves its first checkpoint: a new run that fails
        # before that (a config error found at the first evaluation, an interrupted start) puts it back
        self.replaced = self.path / ".replaced"

    def holds_run(self) -> bool:
        """A run writes its config and its run_info record before anything else: both present = a run (a
        folder that merely holds a config.yaml of the user's is not one)."""
        return (self.path / "config.yaml").is_file() and (self.path / "run_info.jsonl").is_file()

    def run_entries(self) -> list[str]:
        return [name for name in RUN_ENTRIES if (self.path / name).exists()]

    def set_aside(self) -> None:
        """Move the run in this directory into `.replaced`. If `.replaced` already holds one (a replacing start
        was killed before its first checkpoint), that older run is the one worth keeping: the killed start's
        files are deleted instead."""
        if self.replaced.is_dir() and not self.has_checkpoint():
            self._remove_run_entries()
            return
        if self.replaced.exists():
            shutil.rmtree(self.replaced)
        self.replaced.mkdir()
        for name in self.run_entries():
            os.replace(self.path / name, self.replaced / name)

    def _remove_run_entries(self) -> None:
        for name in self.run_entries():
            target = self.path / name
            shutil.rmtree(target) if target.is_dir() else target.unlink()

    def drop_replaced(self) -> None:
        """The new run has a checkpoint: the run it replaced is deleted for good."""
        if self.replaced.exists():
            shutil.rmtree(self.replaced)

    def restore_replaced(self) -> bool:
        """Put the replaced run back if the new one saved no checkpoint; True if it was put back."""
        if not self.replaced.is_dir() or self.has_checkpoint():
            return False
        self._remove_run_entries()
        for entry in self.replaced.iterdir():
            os.replace(entry, self.path / entry.name)
        self.replaced.rmdir()
        return True

    def create(self) -> None:
        try:
            self.samples.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise UserError(f"cannot create run directory '{self.path}' ({err.strerror})") from None

    def has_checkpoint(self) -> bool:
        """Whether a checkpoint was saved (the temporary folder of a save killed midway is not one)."""
        return bool(list_checkpoints(self.checkpoints))

    def save_config(self, cfg: Any) -> None:
        self.write_config_text(dump_yaml(cfg))

    def write_config_text(self, text: str) -> None:
        """config.yaml replaced by `text`, atomically (a crash keeps the old file, which --resume reads)."""
        self._replace_file("config.yaml", text)

    def _replace_file(self, name: str, text: str) -> None:
        """The run's file `name` replaced by `text` atomically: written beside it, then renamed over it."""
        path = self.path / name
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)

    def log_metrics(self, record: dict[str, Any]) -> None:
        with open(self.path / "metrics.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")

    def write_samples(self, name: str, lines: list[str]) -> Path:
        path = self.samples / f"{name}.txt"
        path.write_text("\n".join(lines) + "\n")
        return path

    def write_run_info(self, info: dict[str, Any]) -> None:
        # every sitting (a first start or a --resume) names the source it imported: a run resumed after the
        # package was edited mixes two versions of the code, which the sittings' fingerprints show
        info = {"git_sha": git_sha(), "source": source_fingerprint(), "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
                **info}
        with open(self.path / "run_info.jsonl", "a") as f:
            f.write(json.dumps(info) + "\n")

    def truncate_metrics(self, step: int) -> None:
        """Drop the records logged after `step` (rewritten atomically: a crash keeps the old file)."""
        path = self.path / "metrics.jsonl"
        if not path.is_file():
            return
        lines = [line for line in path.read_text().splitlines() if line.strip()]

        def before(line: str) -> bool:
            try:
                return json.loads(line).get("step", 0) <= step
            except ValueError:  # a line torn by a kill mid-write
                return False

        kept = [line for line in lines if before(line)]
        if len(kept) != len(lines):
            self._rewrite_metrics(kept)

    def _rewrite_metrics(self, lines: list[str]) -> None:
        """metrics.jsonl replaced by `lines`, atomically (a crash keeps the old file)."""
        self._replace_file("metrics.jsonl", "".join(line + "\n" for line in lines))

    def drop_last_metrics_if(self, condition: Callable[[dict[str, Any]], bool]) -> None:
        """Drop the last record of metrics.jsonl when `condition` holds for it (rewritten atomically)."""
        path = self.path / "metrics.jsonl"
        if not path.is_file():
            return
        lines = [line for line in path.read_text().splitlines() if line.strip()]
        try:
            last = json.loads(lines[-1]) if lines else None
        except ValueError:  # a line torn by a kill mid-write: truncate_metrics handles those
            return
        if isinstance(last, dict) and condition(last):
            self._rewrite_metrics(lines[:-1])

    def read_run_info(self) -> list[dict[str, Any]]:
        """One record per sitting (a first start or a --resume), oldest first, as `write_run_info` wrote them."""
        return read_jsonl(self.path / "run_info.jsonl")

    def read_metrics(self) -> list[dict[str, Any]]:
        """The evaluation records, oldest first."""
        return read_jsonl(self.path / "metrics.jsonl")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a run's log, one a line. A line cut short by a kill mid-write (or one still being
    written), and anything else that is not a JSON object, is skipped: the other records still read."""
    if not path.is_file():
        return []
    records = []
    for line in path.read_bytes().decode("utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def with_data_paths_found(data_cfg: Any, run_dir: Path) -> Any:
    """The run's data config with its relative file paths found from here: a user corpus (data.name), its test
    file (data.test), class files (data.class_files) and oracle weights (data.oracle.params=PATH) that do not
    exist relative to the current folder, but do relative to the folder the run was started in (run_info's
    `cwd`), are made absolute, as are those found in neither folder (so an error names the file's full path). A
    copy: the saved config keeps the paths as they were given."""
    import copy

    starts = [info["cwd"] for info in RunDir(run_dir).read_run_info()[:1] if info.get("cwd")]
    if not starts:  # a run started before the folder was recorded
        return data_cfg
    start = Path(starts[0])

    from textgan.data.sources import DATA_SETS, DATA_SOURCES, looks_like_path

    def found(path: str) -> str:
        p = Path(path)
        if p.is_absolute() or p.exists():
            return path
        # a file found in neither folder is named where the run read it, so a "not found" error says where
        # the file was (a bare relative name would hide that it moved); a bare word may be a source's name
        return str(start / p) if (start / p).is_file() or looks_like_path(path) else path

    data = copy.deepcopy(data_cfg)
    # a named set is read from the data root; with data.labels=files the name is the set's, not a file's
    if data.name not in DATA_SETS and data.name not in DATA_SOURCES and data.labels != "files":
        data.name = found(data.name)
    data.test = found(data.test) if data.test else data.test
    if data.oracle.params not in ("auto", "seqgan", "seeded"):  # oracle weights given as a file path
        data.oracle.params = found(data.oracle.params)
    data.class_files = [f"{entry.split('=', 1)[0]}={found(entry.split('=', 1)[1])}" if "=" in entry else entry
                        for entry in data.class_files]
    return data


def no_checkpoint_yet(run_dir: Path) -> UserError:
    """The error for a run that has saved no checkpoint: still before its first, or stopped before it (a run
    without a checkpoint cannot be resumed, only started again)."""
    return UserError(f"run directory '{run_dir}' has no checkpoint yet (its training is still running, or "
                     "stopped before saving one); to start it again: python -m textgan.train --overwrite "
                     f"--run-dir {run_dir} with the run's other flags")


def load_run_config(run_dir: Path) -> tuple[ModelSpec, Any]:
    """The model spec and resolved config saved in a run directory."""
    if run_dir.is_file():
        raise UserError(f"'{run_dir}' is a file, not a run directory; pass the folder a training wrote")
    if not run_dir.is_dir():
        raise UserError(f"run directory '{run_dir}' not found")
    cfg_path = run_dir / "config.yaml"
    if not cfg_path.is_file():
        if (run_dir / "meta.json").is_file() and (run_dir.parent.parent / "config.yaml").is_file():
            name = "best" if run_dir.parent.name == "best" else run_dir.name  # <run>/best/step-N: --checkpoint best
            raise UserError(f"'{run_dir}' is a checkpoint of run '{run_dir.parent.parent}', not a run directory; "
                            f"pass the run (sample and evaluate pick a checkpoint with --checkpoint {name})")
        raise UserError(f"run directory '{run_dir}' has no config.yaml; is it a textgan run?")
    saved = load_yaml(cfg_path)
    if not saved.get("model"):
        raise UserError(f"{cfg_path} names no model (it is empty or not a run's config); restore the run's own "
                        "config.yaml")
    spec = get_model(str(saved["model"]))
    cfg = make_config(spec)
    try:
        merge_dict(cfg, saved)
    except ConfigError as err:
        raise UserError(f"{cfg_path}: {err}; it was written by an incompatible textgan version") from None
    written = dotted_items(saved)
    for key, _, f in leaves(cfg):  # a key added since the run was saved: the value it trained with
        if "before" in f.metadata and key not in written:
            set_value(cfg, key, f.metadata["before"])
    return spec, cfg


@dataclass
class LoadedRun:
    path: Path
    spec: ModelSpec
    cfg: Any
    vocab: TextVocab | IdVocab
    generator: nn.Module
    meta: dict[str, Any]

    @property
    def seq_len(self) -> int:
        return int(self.meta["seq_len"])


def load_run(run_dir: str | Path, checkpoint: str | Path | int | None = None) -> LoadedRun:
    """Config, vocabulary and the generator of a run's newest intact checkpoint (or a given one: its folder,
    its name, its step number; "best": the one `train.best_metric` kept in `<run>/best/`)."""
    if not isinstance(run_dir, (str, Path)):
        raise TypeError(f"load_run takes a run directory path, got {type(run_dir).__name__}")
    run_dir = Path(run_dir)
    spec, cfg = load_run_config(run_dir)
    vocab = load_vocab(run_dir)
    if checkpoint == "best":  # the best evaluation kept by train.best_metric (textgan/best.py)
        ckpt = latest_checkpoint(run_dir / "best")
        if ckpt is None:
            raise UserError(f"run directory '{run_dir}' has no best checkpoint; it was trained without "
                            "train.best_metric (e.g. train.best_metric=nll_valid data.valid_size=1000)")
    else:
        root = run_dir / "checkpoints"
        if isinstance(checkpoint, int) and not isinstance(checkpoint, bool):  # a step number
            checkpoint = f"step-{checkpoint:08d}"
        ckpt = named_checkpoint(root, checkpoint) if checkpoint is not None else latest_checkpoint(root)
    if ckpt is None:
        raise no_checkpoint_yet(run_dir)
    weights, _, meta = load_checkpoint(ckpt)
    if meta.get("model", spec.name) != spec.name:  # same shapes (an MLE and a SeqGAN LSTM) would load silently
        raise UserError(f"checkpoint '{ckpt}' was saved by a '{meta['model']}' run, not by '{run_dir}' (a "
                        f"'{spec.name}' run); pass one of this run's checkpoints, or --run the run it belongs to")
    if meta.get("vocab_size") != vocab.size:
        raise UserError(f"checkpoint '{ckpt}' was trained with vocabulary size {meta.get('vocab_size')}, "
                        f"the run's vocabulary has {vocab.size}")
    if meta.get("vocab", vocab_fingerprint(vocab)) != vocab_fingerprint(vocab):
        raise UserError(f"checkpoint '{ckpt}' was trained with a different vocabulary than the run's "
                        "tokenizer.json / vocab.json; restore the run's own vocabulary file")
    built = without_init_only(cfg)  # the checkpoint supplies the weights (no pretrained folder needed)
    if meta.get("labels"):  # a class-conditional generator (see textgan/nn/conditional_generator.py)
        from textgan.nn.conditional_generator import build_conditional_generator

        mode = built.conditional.generator if hasattr(built, "conditional") else "prefix"
        generator = build_conditional_generator(mode, built.generator, vocab.size, vocab.bos_id, len(meta["labels"]))
    elif hasattr(spec.algorithm, "build_sampler"):
        # a generator that needs more than the `generator` section (LeakGAN's reads its discriminator's
        # features) is built by its algorithm
        generator = spec.algorithm.build_sampler(built, vocab.size, vocab.bos_id, int(meta["seq_len"]))
    else:
        generator = build_generator(built.generator, vocab.size, vocab.bos_id)
    load_weights_into({"generator": generator}, weights, ckpt)
    # relative data paths found from where the run was started: load_data(run.cfg.data) works from anywhere
    cfg.data = with_data_paths_found(cfg.data, run_dir)
    return LoadedRun(run_dir, spec, cfg, vocab, generator.eval(), meta)
