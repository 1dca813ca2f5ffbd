"""The package's top-level API (`textgan/__init__.py`): every exported name is the object its module defines,
`import textgan` alone stays light (no torch), and an unknown name is an AttributeError."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import textgan


def test_every_export_is_its_modules_object():
    assert set(textgan.__all__) == {"__version__", *textgan._EXPORTS}
    for name, module in textgan._EXPORTS.items():
        assert getattr(textgan, name) is getattr(importlib.import_module(module), name), name
    assert set(textgan._EXPORTS) <= set(dir(textgan))
    # the package's own helpers are not part of what it offers
    assert not {"importlib", "Any", "TYPE_CHECKING", "annotations"} & set(dir(textgan))
    assert "train" in dir(textgan)  # a submodule, once imported (the line above imported textgan.train)


def test_import_textgan_does_not_import_torch():
    code = "import sys, textgan; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        textgan.no_such_name  # noqa: B018 -- the lookup is the test
