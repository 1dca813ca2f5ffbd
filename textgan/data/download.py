"""Download the standard data sets listed in `manifest.json`, verified by sha256.

The manifest (package data beside this module) names each data set's files: their path under the data
root, the canonical URL (a raw file of a public repository at a fixed commit), sha256 and size. Every
file is streamed into a temporary file in its destination folder, checked, and only then renamed into
place, so an interrupted or corrupted download never leaves a half-written file under the real name.

One file is converted rather than copied: the SeqGAN oracle parameters are published as a Python-2
pickle, which is turned into an npz by `load_numpy_pickle`, an unpickler that can build numpy arrays
and nothing else (a plain `pickle.load` of downloaded bytes could run arbitrary code).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import secrets
import sys
import urllib.error
import urllib.request
from http.client import HTTPException
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import numpy as np

from textgan.errors import UserError

BASE_URL_ENV = "TEXTGAN_DOWNLOAD_BASE_URL"
TIMEOUT_S = 60  # per socket operation; a stalled server fails instead of hanging forever
CHUNK = 1 << 16

try:  # numpy >= 2 moved the module; pickles written by numpy 1 still name numpy.core
    from numpy._core.multiarray import _reconstruct
except ImportError:  # pragma: no cover - numpy < 2
    from numpy.core.multiarray import _reconstruct


def _latin1_encode(text: str, encoding: str = "utf-8") -> bytes:
    # Python 3 writes bytes in protocol-0..2 pickles as `_codecs.encode(str, 'latin1')`; this shim
    # allows exactly that (pure data, no codec lookup by name) so such pickles load too.
    if encoding.lower().replace("-", "").replace("_", "") != "latin1":
        raise pickle.UnpicklingError(f"_codecs.encode with encoding {encoding!r} is not allowed")
    return text.encode("latin-1")


# The only globals a pickle may name: what numpy needs to rebuild plain arrays.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1_encode,
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed") from None


def load_numpy_pickle(path: Path) -> list[np.ndarray]:
    """Load a (Python-2) pickle holding a list of numeric numpy arrays, refusing any other global."""
    try:
        with open(path, "rb") as f:
            obj = _NumpyOnlyUnpickler(f, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as err:
        raise UserError(f"{path} is not a plain pickle of numpy arrays ({err}); it was not converted") from None
    if not isinstance(obj, (list, tuple)) or not all(isinstance(a, np.ndarray) for a in obj):
        raise UserError(f"{path} does not hold a list of numpy arrays; it was not converted")
    if any(a.dtype.hasobject for a in obj):
        raise UserError(f"{path} holds object arrays, not numbers; it was not converted")
    return list(obj)


def convert_seqgan_pickle(src: Path, dst: Path, shapes: list[list[int]] | None = None) -> None:
    """Save the arrays of pickle `src` as npz `dst` (param_00, param_01, ... float32, list order)."""
    arrays = load_numpy_pickle(src)
    params = {f"param_{i:02d}": np.asarray(a, dtype=np.float32) for i, a in enumerate(arrays)}
    with open(dst, "wb") as f:  # a file object, so np.savez does not append ".npz" to a temp name
        np.savez(f, **params)
    if shapes is not None:
        _check_npz(dst, shapes, name=str(dst))


def _check_npz(path: Path, shapes: list[list[int]], name: str) -> None:
    """Raise UserError unless `path` holds exactly param_00.. with the given shapes, as float32."""
    expected = {f"param_{i:02d}": tuple(s) for i, s in enumerate(shapes)}
    try:
        with np.load(path, allow_pickle=False) as npz:
            got = {k: (npz[k].shape, npz[k].dtype) for k in npz.files}
    except (OSError, ValueError) as err:
        raise UserError(f"{name}: not a readable npz ({err}); the file was not installed") from None
    if set(got) != set(expected) or any(got[k] != (expected[k], np.float32) for k in expected):
        raise UserError(f"{name}: arrays are not the {len(expected)} float32 arrays of the expected shapes; "
                        "the file was not installed")


def load_manifest() -> dict:
    """The parsed `manifest.json` shipped inside the package."""
    text = resources.files("textgan.data").joinpath("manifest.json").read_text(encoding="utf-8")
    return json.loads(text)


def list_datasets() -> list[str]:
    """Names of the data sets `download` knows, in manifest order."""
    return list(load_manifest()["datasets"])


def dataset_entry(name: str) -> dict:
    """The manifest entry of data set `name`; UserError listing the known names if there is none."""
    datasets = load_manifest()["datasets"]
    if name not in datasets:
        raise UserError(f"unknown data set {name!r}; known data sets: {', '.join(datasets)}")
    return datasets[name]


def dataset_files(name: str) -> list[str]:
    """The paths under the data root of a downloadable data set's files ([] for a name the manifest lacks)."""
    entry = load_manifest()["datasets"].get(name)
    return [f["path"] for f in entry["files"]] if entry else []


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def file_is_valid(path: Path, entry: dict) -> bool:
    """Whether `path` is a correct copy of manifest file `entry` (a converted npz: by its arrays)."""
    if not path.is_file():
        return False
    if sha256_file(path) == entry["sha256"]:
        return True
    if entry.get("convert"):  # our own conversion differs in zip timestamps: judge it by content
        try:
            _check_npz(path, entry["shapes"], name=entry["path"])
        except UserError:
            return False
        return True
    return False


def _new_temp(dest_dir: Path, name: str) -> tuple[int, Path]:
    """Create a fresh hidden `.part` file in `dest_dir` (same filesystem, so os.replace is atomic)."""
    while True:
        tmp = dest_dir / f".{name}.{secrets.token_hex(4)}.part"
        try:  # mode 0o666 minus the umask, as for any new file (mkstemp would make it 0o600)
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


def _fetch(url: str, dest_dir: Path, label: str, size: int | None, progress: bool) -> tuple[Path, str]:
    """Stream `url` to a new temporary file in `dest_dir`; return its path and sha256."""
    from tqdm import tqdm  # imported here: only a download needs it

    fd, tmp = _new_temp(dest_dir, Path(label).name)
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp:
            total = resp.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else size
            with tqdm(total=total, unit="B", unit_scale=True, desc=label, disable=not progress,
                      leave=False) as bar:
                for block in iter(lambda: resp.read(CHUNK), b""):
                    out.write(block)
                    h.update(block)
                    bar.update(len(block))
    except urllib.error.HTTPError as err:
        tmp.unlink(missing_ok=True)
        raise UserError(f"could not download {url}: HTTP {err.code} {err.reason}; "
                        "check your connection or pass --base-url") from None
    except (urllib.error.URLError, HTTPException, OSError, ValueError) as err:  # ValueError: a malformed URL
        tmp.unlink(missing_ok=True)
        reason = getattr(err, "reason", None) or err
        raise UserError(f"could not download {url}: {reason}; check your connection or pass --base-url") from None
    except BaseException:  # Ctrl-C and friends: never leave a .part file behind
        tmp.unlink(missing_ok=True)
        raise
    return tmp, h.hexdigest()


def _check_hash(tmp: Path, got: str, expected: str, label: str, url: str) -> None:
    if got != expected:
        tmp.unlink(missing_ok=True)
        raise UserError(f"sha256 mismatch for {label} from {url}: expected {expected}, got {got}; "
                        "the file was not installed (retry, or check the mirror passed as --base-url)")


def _install_file(entry: dict, data_root: Path, base_url: str | None, progress: bool) -> Path:
    """Download one manifest file into place (converting it if the manifest says so)."""
    label = entry["path"]
    dest = data_root / label
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot create {dest.parent} ({err.strerror}); pass a writable --data-dir") from None
    converting = bool(entry.get("convert")) and base_url is None
    # A mirror serves our layout (the converted npz itself); the canonical source may be another format.
    url = f"{base_url.rstrip('/')}/{quote(label)}" if base_url else entry["url"]
    size = entry.get("source_size") if converting else entry.get("size")
    tmp, got = _fetch(url, dest.parent, label, size, progress)
    if not converting:
        _check_hash(tmp, got, entry["sha256"], label, url)
        os.replace(tmp, dest)  # atomic within one folder: readers see the old file or the new one
        return dest
    if entry["convert"] != "seqgan_pickle_to_npz":
        tmp.unlink(missing_ok=True)
        raise UserError(f"{label}: unknown conversion {entry['convert']!r}; upgrade textgan")
    _check_hash(tmp, got, entry["source_sha256"], f"{label} (source pickle)", url)
    fd, npz_tmp = _new_temp(dest.parent, dest.name)
    os.close(fd)
    try:
        convert_seqgan_pickle(tmp, npz_tmp, entry["shapes"])
        os.replace(npz_tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
        npz_tmp.unlink(missing_ok=True)
    return dest


def download(name: str, data_root: str | os.PathLike, base_url: str | None = None, force: bool = False,
             progress: bool = True) -> list[Path]:
    """Download data set `name` under `data_root`; return the paths of its files.

    Files already present with the right sha256 are kept unless `force`. `base_url` (default: the
    $TEXTGAN_DOWNLOAD_BASE_URL environment variable) replaces each canonical URL by
    `<base_url>/<path under the data root>`, for mirrors and tests.
    """
    entry = dataset_entry(name)
    root = Path(data_root)
    if base_url is None:
        base_url = os.environ.get(BASE_URL_ENV) or None
    if base_url and "://" not in base_url:  # a local mirror given as a folder: urllib reads it as file://
        base_url = Path(base_url).resolve().as_uri()
    paths = []
    for file in entry["files"]:
        dest = root / file["path"]
        if not force and file_is_valid(dest, file):
            if progress:
                print(f"{file['path']}: already present, checked", file=sys.stderr)
        else:
            _install_file(file, root, base_url, progress)
            if progress:
                print(f"{file['path']}: downloaded and checked", file=sys.stderr)
        paths.append(dest)
    if progress:
        for missing in entry.get("unavailable", []):
            print(f"note: {missing['path']} is not downloaded: {missing['note']}", file=sys.stderr)
    return paths
