"""Class labels of labelled text (`LabelSet`) and the named labelled data sets.

Kept apart from `labelled.py` (the loader) so that `sources.py` can name them without an import cycle.
The loader, the file layouts and the split are described in `textgan/data/labelled.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

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
