"""Class labels of labelled text (`LabelSet`) and the named labelled data sets.

Kept apart from `labelled.py` (the loader) so that `sources.py` can name them without an import cycle.
The loader, the file layouts and the split are described in `textgan/data/labelled.py`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

from textgan.errors import UserError

log = logging.getLogger(__name__)

# named labelled data sets: name -> {label: file under the data root}
NAMED_LABELLED = {"mr": {"negative": "mr/rt-polarity.neg", "positive": "mr/rt-polarity.pos"}}
# the encoding of a named set's files: the library knows it, so `data.encoding` (a user corpus's) is not needed
NAMED_ENCODINGS = {"mr": "latin-1"}  # Pang & Lee's raw release is Latin-1 bytes
# how a user gets labelled data, for the errors that ask for it
LABELLED_DATA_HINT = "use --data mr, data.labels=tsv or data.labels=files"


@dataclass
class LabelSet:
    """Class names and the class id of every train / test (/ validation) sentence."""

    names: list[str]                    # class id -> name (sorted)
    train: torch.Tensor                 # (N_train,) int64
    test: torch.Tensor | None           # (N_test,) int64
    valid: torch.Tensor | None = None   # (N_valid,) int64, with data.valid_size (textgan/data/validation.py)

    def train_counts(self) -> dict[str, int]:
        """Training sentences per class name (the data summary printed at the start of a run)."""
        return {name: int((self.train == i).sum()) for i, name in enumerate(self.names)}

    @property
    def num_classes(self) -> int:
        return len(self.names)

    def check_classes(self, fix: str, warn_untested: bool = True) -> None:
        """A UserError if a class has no training sentence left (`fix`: which setting emptied it and how to
        undo that); a warning for a class with no test sentence while the others have some (a header row or a
        mistyped label makes such a class: its per-class BLEU cannot be computed)."""
        counts = self.train_counts()
        if empty := [name for name, n in counts.items() if n == 0]:
            raise UserError(f"class {', '.join(repr(n) for n in empty)} has no training sentences left "
                            f"(per class: {counts}); {fix}")
        if warn_untested and self.test is not None and len(self.test):
            untested = [n for i, n in enumerate(self.names) if not (self.test == i).any()]
            if untested:
                log.warning("class %s has no test sentences (training sentences per class: %s): a header row or a "
                            "mistyped label? Its per-class metrics are left out",
                            ", ".join(repr(n) for n in untested), counts)
