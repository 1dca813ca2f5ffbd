"""Tests of `textgan.data.download` and its CLI, against a local HTTP server (never the internet).

The server serves the shared data folder ($TEXTGAN_DATA_DIR, laid out like a mirror: `coco/train.txt`,
...), so `download(..., base_url=...)` exercises the real fetch/verify/rename path with real hashes.
The restricted unpickler is tested on tiny pickles built here.
"""

from __future__ import annotations

import functools
import io
import os
import pickle
import shutil
import socket
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from textgan.data.download import (
    convert_seqgan_pickle,
    download,
    list_datasets,
    load_manifest,
    load_numpy_pickle,
    sha256_file,
)
from textgan.errors import UserError

REPO_ROOT = Path(__file__).resolve().parents[2]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep pytest output clean
        pass


def _serve(request, directory: Path) -> str:
    """Serve `directory` on 127.0.0.1 (free port) until the test ends; return the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    request.addfinalizer(stop)
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def shared_data() -> Path:
    env = os.environ.get("TEXTGAN_DATA_DIR")
    if not env:
        pytest.skip("TEXTGAN_DATA_DIR is not set: these tests serve the shared data sets from it")
    root = Path(env)
    if not (root / "coco").is_dir():
        pytest.skip(f"TEXTGAN_DATA_DIR={env} has no coco/ folder to serve")
    return root


@pytest.fixture
def base_url(request, shared_data) -> str:
    return _serve(request, shared_data)


def _coco_entries() -> list[dict]:
    return load_manifest()["datasets"]["coco"]["files"]


def test_manifest_lists_the_named_data_sets():
    assert list_datasets() == ["coco", "emnlp_news", "seqgan_oracle", "mr", "chinese_poems"]
    for name in list_datasets():
        for f in load_manifest()["datasets"][name]["files"]:
            assert f["url"].startswith("https://raw.githubusercontent.com/")
            assert len(f["sha256"]) == 64 and f["size"] > 0


def test_download_writes_verified_files(tmp_path, base_url):
    paths = download("coco", tmp_path, base_url=base_url, progress=False)
    assert paths == [tmp_path / "coco/train.txt", tmp_path / "coco/test.txt"]
    for path, entry in zip(paths, _coco_entries(), strict=True):
        assert sha256_file(path) == entry["sha256"]
    assert sorted(p.name for p in (tmp_path / "coco").iterdir()) == ["test.txt", "train.txt"]  # no .part


def test_rerun_skips_present_files(tmp_path, base_url, monkeypatch):
    download("coco", tmp_path, base_url=base_url, progress=False)
    mtimes = [p.stat().st_mtime_ns for p in sorted((tmp_path / "coco").iterdir())]

    def no_fetch(*args, **kwargs):
        raise AssertionError("a present, correct file was downloaded again")

    monkeypatch.setattr("textgan.data.download._fetch", no_fetch)
    download("coco", tmp_path, base_url=base_url, progress=False)
    assert [p.stat().st_mtime_ns for p in sorted((tmp_path / "coco").iterdir())] == mtimes


def test_corrupted_file_is_refused_and_not_installed(tmp_path, request, shared_data):
    mirror = tmp_path / "mirror"
    (mirror / "coco").mkdir(parents=True)
    shutil.copy(shared_data / "coco/train.txt", mirror / "coco/train.txt")
    (mirror / "coco/test.txt").write_bytes((shared_data / "coco/test.txt").read_bytes() + b"x")
    url = _serve(request, mirror)
    dest = tmp_path / "root"
    with pytest.raises(UserError) as info:
        download("coco", dest, base_url=url, progress=False)
    message = str(info.value)
    assert "coco/test.txt" in message and _coco_entries()[1]["sha256"] in message
    assert "not installed" in message and "\n" not in message
    assert sorted(p.name for p in (dest / "coco").iterdir()) == ["train.txt"]  # no test.txt, no .part


def test_missing_file_on_server_is_a_user_error(tmp_path, request):
    (tmp_path / "empty").mkdir()
    url = _serve(request, tmp_path / "empty")
    with pytest.raises(UserError, match="could not download .*HTTP 404.*--base-url"):
        download("coco", tmp_path / "root", base_url=url, progress=False)
    assert list((tmp_path / "root/coco").iterdir()) == []


def test_unreachable_server_is_a_user_error(tmp_path):
    with socket.socket() as s:  # a port that was free a moment ago: the connection is refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UserError, match="could not download .*check your connection or pass --base-url"):
        download("coco", tmp_path, base_url=f"http://127.0.0.1:{port}", progress=False)


def test_a_local_folder_serves_as_mirror(tmp_path, shared_data):
    """--base-url may name a folder laid out like the data root (read as a file:// URL)."""
    paths = download("coco", tmp_path / "root", base_url=str(shared_data), progress=False)
    for path, entry in zip(paths, _coco_entries(), strict=True):
        assert sha256_file(path) == entry["sha256"]


def test_malformed_base_url_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="could not download http://\\[::1/coco/train.txt: .*--base-url"):
        download("coco", tmp_path, base_url="http://[::1", progress=False)
    assert list((tmp_path / "coco").iterdir()) == []  # no .part left


def test_unknown_name_lists_known_names(tmp_path):
    with pytest.raises(UserError, match="unknown data set 'nope'.*coco.*chinese_poems"):
        download("nope", tmp_path, progress=False)


def test_npz_from_mirror_is_checked_by_its_own_hash(tmp_path, base_url, shared_data):
    if not (shared_data / "seqgan_oracle/target_params.npz").is_file():
        pytest.skip("the shared data has no seqgan_oracle/target_params.npz")
    download("seqgan_oracle", tmp_path, base_url=base_url, progress=False)
    with np.load(tmp_path / "seqgan_oracle/target_params.npz") as npz:
        assert len(npz.files) == 15 and npz["param_00"].shape == (5000, 32)


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "textgan.data", *args], check=False, capture_output=True,
                          text=True, env=env, timeout=60)


def test_cli_download_and_unknown_name(tmp_path, base_url):
    done = _run_cli("download", "coco", "--data-dir", str(tmp_path), "--base-url", base_url)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "coco/train.txt").is_file() and (tmp_path / "coco/test.txt").is_file()

    listed = _run_cli("list", "--data-dir", str(tmp_path))
    assert listed.returncode == 0 and "coco/train.txt: present" in listed.stdout

    bad = _run_cli("download", "nope", "--data-dir", str(tmp_path))
    assert bad.returncode == 2
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: unknown data set")


# --- the restricted unpickler -----------------------------------------------------------------


def test_restricted_unpickler_converts_numpy_arrays(tmp_path):
    arrays = [np.arange(6, dtype=np.float32).reshape(2, 3), np.array([0.5, -1.25], dtype=np.float32)]
    src = tmp_path / "params.pkl"
    src.write_bytes(pickle.dumps(arrays, protocol=0))
    dst = tmp_path / "params.npz"
    convert_seqgan_pickle(src, dst, shapes=[[2, 3], [2]])
    with np.load(dst, allow_pickle=False) as npz:
        assert npz.files == ["param_00", "param_01"]
        for key, expected in zip(npz.files, arrays, strict=True):
            assert npz[key].dtype == np.float32 and np.array_equal(npz[key], expected)


def test_restricted_unpickler_checks_shapes(tmp_path):
    src = tmp_path / "params.pkl"
    src.write_bytes(pickle.dumps([np.zeros((2, 2), dtype=np.float32)], protocol=0))
    with pytest.raises(UserError, match="expected shapes"):
        convert_seqgan_pickle(src, tmp_path / "params.npz", shapes=[[3, 2]])


@pytest.mark.parametrize("payload", [
    b"cos\nsystem\n(S'echo pwned'\ntR.",  # protocol 0: os.system('echo pwned')
    b"cposix\nsystem\n(S'echo pwned'\ntR.",
    b"cbuiltins\neval\n(S'1+1'\ntR.",
    b"c_codecs\nencode\n(S'x'\nS'rot13'\ntR.",  # the latin-1 shim refuses any other codec
])
def test_restricted_unpickler_refuses_other_globals(tmp_path, payload):
    src = tmp_path / "evil.pkl"
    src.write_bytes(payload)
    with pytest.raises(UserError, match="not a plain pickle of numpy arrays"):
        load_numpy_pickle(src)


def test_canonical_source_pickle_is_verified_and_converted(tmp_path, request, monkeypatch):
    # The canonical route (no base URL) for a converted file: fetch the pickle, check the pickle's
    # sha256, convert. A stand-in manifest points the "canonical" URL at a local server.
    arrays = [np.ones((3, 2), dtype=np.float32), np.arange(4, dtype=np.float32)]
    served = tmp_path / "served"
    served.mkdir()
    (served / "params.pkl").write_bytes(pickle.dumps(arrays, protocol=0))
    url = _serve(request, served)
    entry = {"path": "tiny/params.npz", "url": f"{url}/params.pkl", "sha256": "0" * 64, "size": 1,
             "convert": "seqgan_pickle_to_npz", "source_sha256": sha256_file(served / "params.pkl"),
             "shapes": [[3, 2], [4]]}
    manifest = {"datasets": {"tiny": {"description": "test", "files": [entry]}}}
    monkeypatch.setattr("textgan.data.download.load_manifest", lambda: manifest)
    monkeypatch.delenv("TEXTGAN_DOWNLOAD_BASE_URL", raising=False)
    root = tmp_path / "root"
    [path] = download("tiny", root, progress=False)
    with np.load(path, allow_pickle=False) as npz:
        assert np.array_equal(npz["param_01"], arrays[1])
    assert sorted(p.name for p in path.parent.iterdir()) == ["params.npz"]  # pickle and .part removed
    mtime = path.stat().st_mtime_ns
    download("tiny", root, progress=False)  # npz bytes differ from "sha256": accepted by its arrays
    assert path.stat().st_mtime_ns == mtime

    entry["source_sha256"] = "f" * 64  # a tampered source pickle is refused before unpickling
    with pytest.raises(UserError, match="source pickle.*not installed"):
        download("tiny", tmp_path / "root2", progress=False)
    assert list((tmp_path / "root2/tiny").iterdir()) == []


class _Py2StylePickler(pickle._Pickler):
    """Writes bytes as Python 2 wrote its `str` (the STRING opcode), like SeqGAN's real pickle."""

    dispatch: ClassVar[dict] = dict(pickle._Pickler.dispatch)

    def _save_bytes(self, obj):
        self.write(pickle.STRING + repr(obj)[1:].encode("ascii") + b"\n")
        self.memoize(obj)

    dispatch[bytes] = _save_bytes


def test_restricted_unpickler_reads_python2_style_pickles(tmp_path):
    arrays = [np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32), np.arange(4, dtype=np.float32)]
    buf = io.BytesIO()
    _Py2StylePickler(buf, protocol=0).dump(arrays)
    # Python 2's numpy named the old module path; no `_codecs` global appears in such a pickle.
    data = buf.getvalue().replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert b"_codecs" not in data and b"numpy.core.multiarray" in data
    src = tmp_path / "py2.pkl"
    src.write_bytes(data)
    loaded = load_numpy_pickle(src)
    assert all(a.dtype == np.float32 and np.array_equal(a, b) for a, b in zip(loaded, arrays, strict=True))
