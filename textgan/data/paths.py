"""Where data sets live on disk.

The data root comes from `--data-dir`, else the `TEXTGAN_DATA_DIR` environment variable, else `data/`
(relative to the working directory). Named data sets are folders under it (`coco/train.txt`, ...).
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "TEXTGAN_DATA_DIR"


def resolve_data_root(data_dir: str | os.PathLike | None = None) -> Path:
    """The data root: the explicit argument, else $TEXTGAN_DATA_DIR, else ./data."""
    if data_dir:
        return Path(data_dir)
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env)
    return Path("data")
