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

    def untested(self) -> list[int]:
        """Ids of the classes with no test sentence while the others have some (a header row, a mistyped label
        or a class too small for data.test_fraction makes one). The per-class evaluation leaves them out of
        every metric and every mean over classes (`ConditionalEvaluator.score_classes`), so that class_acc,
        bleu_n and self_bleu_n all average the same classes. Empty without test sentences at all: every class
        is then scored alike (class accuracy and self-BLEU need no reference)."""
        if self.test is None or not len(self.test):
            return []
        present = set(self.test.unique().tolist())
        return [c for c in range(self.num_classes) if c not in present]

    def check_classes(self, fix: str, warn_untested: bool = True, first_label: str | None = None) -> None:
        """A UserError if a class has no training sentence left (`fix`: which setting emptied it and how to
        undo that); a warning for a class with no test sentence while the others have some (`untested`: it is
        left out of the per-class metrics). `first_label`: the label of a label<TAB>sentence file's first line,
        so that a header row, which becomes a class of that one line, is named as the likely cause."""
        counts = self.train_counts()
        if empty := [name for name, n in counts.items() if n == 0]:
            raise UserError(f"class {', '.join(repr(n) for n in empty)} has no training sentences left "
                            f"(per class: {counts}); {fix}")
        if not warn_untested or not (untested := [self.names[c] for c in self.untested()]):
            return
        if first_label in untested and counts[first_label] == 1:
            cause = (f"class '{first_label}' is only the file's first line: a header row? Delete that line "
                     "(data.labels=tsv reads every line as label<TAB>sentence)")
        else:
            cause = ("a mistyped label, or too few sentences to split? Fix the label, or give the class test "
                     "sentences (a larger data.test_fraction, or more of them in data.test's file)")
        log.warning("class %s has no test sentences (training sentences per class: %s), so it is left out of every "
                    "per-class metric and of the means over classes (class_acc, bleu_n and self_bleu_n average "
                    "the other classes); %s", ", ".join(repr(n) for n in untested), counts, cause)
