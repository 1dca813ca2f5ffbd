"""The validation split: `data.valid_size` training sentences held out for model selection.

Selecting a checkpoint or stopping early on the test set's NLL would tune the model on the test set, so
`train.best_metric=nll_valid` (textgan/best.py) reads a validation set carved out of the *training*
corpus instead. The held-out rows are drawn at random with `data.split_seed` (a file may be sorted, so
the last N lines need not be representative); the remaining training rows keep their order. The
vocabulary is unaffected: it is built before the split, from the whole files. Labelled data keeps each
held-out sentence's class (`LabelSet.valid`), so a conditional model's `nll_valid` conditions on it.
"""

from __future__ import annotations

import dataclasses

import torch

from textgan.data.corpus import Corpus
from textgan.errors import UserError


def hold_out_validation(bundle, size: int, seed: int):
    """A copy of the data bundle whose `valid` holds `size` random training rows, removed from `train`."""
    available = len(bundle.train)
    if size >= available:
        if available < 2:
            raise UserError(f"data.valid_size={size} leaves no training data ({bundle.name} has {available} training "
                            "sentence); holding data out needs at least 2: use more data or data.valid_size=0")
        raise UserError(f"data.valid_size={size} leaves no training data ({bundle.name} has {available} training "
                        f"sentences); use a value below {available}, e.g. {max(1, available // 10)}")
    order = torch.randperm(available, generator=torch.Generator().manual_seed(seed))
    held, kept = order[:size].sort().values, order[size:].sort().values
    train = Corpus(bundle.train.tokens[kept], bundle.train.lengths[kept])
    valid = Corpus(bundle.train.tokens[held], bundle.train.lengths[held])
    info = {**bundle.info, "train": len(train), "valid": len(valid)}
    labels = bundle.labels
    if labels is not None:  # labelled data: each held-out sentence keeps its class
        labels = dataclasses.replace(labels, train=labels.train[kept], valid=labels.train[held])
        labels.check_classes(f"data.valid_size={size} held them out: lower it", warn_untested=False)  # warned at load
        info["labels"] = labels.train_counts()
    return dataclasses.replace(bundle, train=train, valid=valid, info=info, labels=labels)
