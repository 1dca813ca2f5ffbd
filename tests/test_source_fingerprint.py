"""textgan/runs.py `source_fingerprint`: the name of a source tree's Python files, which the benchmark
harness compares at a job's start and end to catch code edited while the job ran."""

from __future__ import annotations

from pathlib import Path

import textgan
from textgan.runs import source_fingerprint


def test_the_fingerprint_follows_python_sources_only(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 2\n")
    first = source_fingerprint(tmp_path)
    assert len(first) == 12 and source_fingerprint(tmp_path) == first  # a pure function of the files

    (tmp_path / "notes.txt").write_text("not code")
    assert source_fingerprint(tmp_path) == first

    (tmp_path / "pkg" / "a.py").write_text("x = 3\n")  # an edit
    edited = source_fingerprint(tmp_path)
    assert edited != first

    (tmp_path / "pkg" / "a.py").rename(tmp_path / "pkg" / "c.py")  # the same bytes under another name
    assert source_fingerprint(tmp_path) not in (first, edited)


def test_the_package_fingerprint_is_stable(tmp_path):
    assert source_fingerprint() == source_fingerprint()
    # ... and it names the installed package's own sources: comparing the call with itself alone held for a
    # default root that holds no Python files at all (every edit to the package would then go unnoticed)
    assert source_fingerprint() == source_fingerprint(Path(textgan.__file__).resolve().parent)
    assert source_fingerprint() != source_fingerprint(tmp_path)
