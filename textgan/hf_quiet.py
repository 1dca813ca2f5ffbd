"""`no_hf_progress_bars()`: transformers' own progress bars off for one call, then as they were.

Loading or saving a model folder draws "Loading weights" / "Writing model shards" bars on stderr, which
interleave with a run's log lines; a one-file model read in a second needs none. The setting is global in
transformers, so it is restored afterwards: a user's own code keeps its bars.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def no_hf_progress_bars() -> Iterator[None]:
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()
