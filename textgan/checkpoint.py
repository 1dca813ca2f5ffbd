"""Versioned, atomic, code-free checkpoints.

A checkpoint is a folder `checkpoints/step-00000012/` holding
- `weights.safetensors`: every network's weights, keys prefixed by the network's name (`generator.`);
- `state.pt`: optimiser states, RNG states and loop progress — plain tensors, numbers and dicts, read
  back with `torch.load(weights_only=True)`, so loading cannot execute code;
- `meta.json`: format version, step, model name, vocabulary size and fingerprint, and the sha256 of
  the two files.
The folder is written under a temporary name, flushed, and renamed into place, so a crash (even SIGKILL)
never leaves a half-written checkpoint; a damaged one (checksum mismatch, missing or truncated file) is
skipped with a warning in favour of the previous one, while one from another format version is refused
(`IncompatibleCheckpoint`). A failed write (disk full) removes its temporary folder and leaves the
previous checkpoints untouched. The newest `keep` checkpoints are kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from textgan.errors import UserError

FORMAT_VERSION = 1
PREFIX = "step-"
TMP_PREFIX = ".tmp-"
FILES = ("weights.safetensors", "state.pt")
log = logging.getLogger(__name__)


class DamagedCheckpoint(UserError):
    """A checkpoint whose files are missing, truncated or altered (resume falls back past it)."""


class IncompatibleCheckpoint(UserError):
    """An intact checkpoint this textgan cannot use (another format version); never skipped silently."""


class WeightsDoNotFit(UserError):
    """A checkpoint whose weights do not fit the networks the config builds (a changed architecture setting or
    vocabulary); a resume names the settings it changed instead of asking (`misfit`: what differs)."""

    def __init__(self, source: Path, network: str, misfit: str, cause: str = "was the config or vocabulary changed?"):
        self.source, self.network, self.misfit = source, network, misfit
        super().__init__(f"checkpoint '{source}' does not fit this model's '{network}' ({misfit}); {cause}")


def vocab_fingerprint(vocab: Any) -> str:
    """A short hash of a vocabulary's token -> id map (a text vocabulary) or its id range (the oracle's)."""
    tokenizer = getattr(vocab, "tokenizer", None)
    if tokenizer is not None:
        content: Any = sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])
    else:
        content = ["ids", vocab.size, getattr(vocab, "bos_id", None)]
    return hashlib.sha256(json.dumps(content).encode()).hexdigest()[:16]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def rng_state() -> dict[str, Any]:
    """Python, numpy and torch RNG states in a form `weights_only` loading accepts."""
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": [np_name, torch.from_numpy(np_keys.astype(np.int64)), np_pos, np_has_gauss, np_gauss],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    name, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        # One state per GPU the saving process could see (every GPU of the node under torchrun). Restore those
        # this process has: set_rng_state_all would index a GPU that is not here (a resume on a machine with
        # fewer GPUs, or another CUDA_VISIBLE_DEVICES) and fail with an IndexError. A CPU-only resume skips them.
        for index, cuda_state in enumerate(state["cuda"][:torch.cuda.device_count()]):
            torch.cuda.set_rng_state(cuda_state, index)


def save_checkpoint(ckpt_root: Path, step: int, modules: dict[str, torch.nn.Module],
                    state: dict[str, Any], meta: dict[str, Any], keep: int = 3) -> Path:
    """Write checkpoint `step` atomically under `ckpt_root`; prune to the newest `keep`."""
    final = ckpt_root / f"{PREFIX}{step:08d}"
    tmp = ckpt_root / f"{TMP_PREFIX}{PREFIX}{step:08d}-{os.getpid()}"
    try:
        ckpt_root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        tensors = {f"{name}.{k}": v.detach().cpu().contiguous()
                   for name, module in modules.items() for k, v in module.state_dict().items()}
        save_file(tensors, str(tmp / "weights.safetensors"))
        torch.save(state, tmp / "state.pt")
        files = {f: _sha256(tmp / f) for f in FILES}
        full_meta = {"format_version": FORMAT_VERSION, "step": step, **meta, "files": files}
        (tmp / "meta.json").write_text(json.dumps(full_meta, indent=1))
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        if final.exists():
            # Re-saving a step (after a resume, or a restore of the best weights): move the old one aside
            # atomically first, so that no crash leaves a half-written folder under the final name. A crash
            # between the two renames leaves neither there (the old one sits in the temporary folder, which a
            # resume deletes): the run then resumes from the checkpoint before, and repeats the work since.
            trash = ckpt_root / f"{TMP_PREFIX}old-{final.name}-{os.getpid()}"
            shutil.rmtree(trash, ignore_errors=True)
            os.replace(final, trash)
            os.replace(tmp, final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, final)
        _fsync_dir(ckpt_root)
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        previous = latest_name(ckpt_root)
        kept = f"the previous checkpoint ({previous}) is intact" if previous else "no checkpoint was written yet"
        raise UserError(f"cannot write checkpoint '{final}' ({err.strerror or err}); {kept} — free disk space "
                        "(or fix permissions) and continue with --resume") from None
    for old in list_checkpoints(ckpt_root)[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    return final


def latest_name(ckpt_root: Path) -> str | None:
    found = list_checkpoints(ckpt_root)
    return found[-1].name if found else None


def remove_temporary(ckpt_root: Path) -> None:
    """Delete the temporary folders a killed save leaves behind (they never hold a finished checkpoint)."""
    if ckpt_root.is_dir():
        for p in ckpt_root.iterdir():
            if p.name.startswith(TMP_PREFIX):
                shutil.rmtree(p, ignore_errors=True)


def remove_newer_than(ckpt_root: Path, step: int) -> None:
    """Delete the checkpoints after `step` (a resume from `step` repeats the training that wrote them)."""
    for path in list_checkpoints(ckpt_root):
        if int(path.name[len(PREFIX):]) > step:
            shutil.rmtree(path, ignore_errors=True)


def list_checkpoints(ckpt_root: Path) -> list[Path]:
    """Checkpoint folders, oldest first (temporary folders excluded)."""
    if not ckpt_root.is_dir():
        return []
    return sorted(p for p in ckpt_root.iterdir() if p.is_dir() and p.name.startswith(PREFIX))


def verify(path: Path) -> dict[str, Any]:
    """Read and check a checkpoint's meta.json; raise UserError if it is damaged or incompatible."""
    try:
        meta = json.loads((path / "meta.json").read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DamagedCheckpoint(f"checkpoint '{path}' is damaged (meta.json: {err})") from None
    if not isinstance(meta, dict):
        raise DamagedCheckpoint(f"checkpoint '{path}' is damaged (meta.json is not a JSON object)")
    if meta.get("format_version") != FORMAT_VERSION:
        raise IncompatibleCheckpoint(
            f"checkpoint '{path}' has format version {meta.get('format_version')}, this textgan reads version "
            f"{FORMAT_VERSION}; use the textgan release that wrote it")
    files = meta.get("files")
    if not isinstance(files, dict) or set(files) != set(FILES):
        raise DamagedCheckpoint(f"checkpoint '{path}' is damaged (meta.json does not list {', '.join(FILES)})")
    for name, digest in files.items():
        f = path / name
        if not f.is_file() or _sha256(f) != digest:
            raise DamagedCheckpoint(f"checkpoint '{path}' is damaged ({name} is missing or its checksum differs)")
    return meta


def named_checkpoint(ckpt_root: Path, checkpoint: str | Path) -> Path:
    """A checkpoint the user named: its folder, or its name under `ckpt_root` (e.g. step-00000060)."""
    path = Path(checkpoint)
    if path.is_dir():
        return path
    if (ckpt_root / path).is_dir():
        return ckpt_root / path
    kept = ", ".join(p.name for p in list_checkpoints(ckpt_root)) or "none kept"
    raise UserError(f"checkpoint '{checkpoint}' not found: it is neither a folder nor one of {ckpt_root}/ "
                    f"({kept}); pass one of those names, 'best', or leave --checkpoint out for the newest")


def latest_checkpoint(ckpt_root: Path) -> Path | None:
    """The newest intact checkpoint, warning about (and skipping) damaged newer ones; None if there are none.

    When every checkpoint is damaged, that is an error (DamagedCheckpoint).

    An intact checkpoint of another format version is refused (IncompatibleCheckpoint), not skipped:
    falling back past it would silently resume from older training.
    """
    damaged: list[str] = []
    for path in reversed(list_checkpoints(ckpt_root)):
        try:
            verify(path)
        except DamagedCheckpoint as err:
            damaged.append(str(err))
            continue
        for reason in damaged:
            log.warning("%s; falling back to the previous checkpoint", reason)
        return path
    if damaged:  # one line, not a warning per checkpoint followed by an error
        raise DamagedCheckpoint(f"no intact checkpoint in '{ckpt_root}': all {len(damaged)} are damaged (the "
                                f"newest: {damaged[0]}); nothing to resume or sample from — start a new run")
    return None


def load_checkpoint(path: Path) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, Any], dict[str, Any]]:
    """(weights by network name, trainer state, meta) of a verified checkpoint."""
    meta = verify(path)
    try:
        flat = load_file(str(path / "weights.safetensors"))
    except Exception as err:  # safetensors raises its own error types for a malformed header
        raise DamagedCheckpoint(f"checkpoint '{path}' is damaged (weights.safetensors: {err})") from None
    weights: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in flat.items():
        name, _, sub = key.partition(".")
        weights.setdefault(name, {})[sub] = value
    try:
        # weights_only: the unpickler accepts tensors, numbers, strings and containers only, so a state.pt
        # crafted to run code on load is refused instead of executed.
        state = torch.load(path / "state.pt", weights_only=True, map_location="cpu")
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(f"checkpoint '{path}' holds a state.pt that safe loading refuses ({first[:200]}); "
                        "textgan never writes such files — do not trust this run directory") from None
    return weights, state, meta


def load_weights_into(modules: dict[str, torch.nn.Module], weights: dict[str, dict[str, torch.Tensor]],
                      source: Path) -> None:
    """Load each network's weights, with a one-line error when the shapes do not fit."""
    for name, module in modules.items():
        if name not in weights:
            raise UserError(f"checkpoint '{source}' has no weights for '{name}'; it was written by another model")
        misfit = weights_misfit(module.state_dict(), weights[name])
        if misfit:
            raise WeightsDoNotFit(source, name, misfit)
        try:
            module.load_state_dict(weights[name])
        except RuntimeError as err:  # names and shapes fit, yet torch refuses: its first line says why
            lines = str(err).splitlines()
            raise WeightsDoNotFit(source, name, (lines[1] if len(lines) > 1 else str(err)).strip()[:200]) from None


def weights_misfit(expected: dict[str, torch.Tensor], given: dict[str, torch.Tensor]) -> str:
    """How `given` weights differ from a network's own, in a few words with one example each ("" when they
    fit): torch's own message lists every key, hundreds of characters for a changed architecture."""
    missing = sorted(expected.keys() - given.keys())
    unexpected = sorted(given.keys() - expected.keys())
    reshaped = [k for k in expected if k in given and tuple(expected[k].shape) != tuple(given[k].shape)]
    parts = []
    if missing:
        parts.append(f"{len(missing)} weight(s) missing, e.g. {missing[0]}")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected, e.g. {unexpected[0]}")
    if reshaped:
        k = reshaped[0]
        parts.append(f"{len(reshaped)} of another shape, e.g. {k}: checkpoint {list(given[k].shape)}, "
                     f"model {list(expected[k].shape)}")
    return "; ".join(parts)
