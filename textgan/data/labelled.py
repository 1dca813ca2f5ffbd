"""Labelled text for conditional models: `label<TAB>sentence` files or one file per class, split by seed.

Conditional GANs (CGAN, Mirza & Osindero 2014, arXiv 1411.1784; SentiGAN, Wang & Wan, IJCAI 2018;
CatGAN, Liu et al., AAAI 2020, arXiv 1911.06641) need one class label per sentence. Two file layouts:
- `data.labels=tsv`: one `label<TAB>sentence` per line (`data.test` may name a second such file);
- `data.labels=files`: one plain file per class, `data.class_files=[LABEL=PATH, ...]`; the named data
  set `mr` is this layout over the Pang & Lee sentence-polarity files (`mr/rt-polarity.{neg,pos}`,
  read as the Latin-1 bytes they are whatever `data.encoding` says: that key is for a user's files).
Without a test file, each class is split into train / test with `data.test_fraction` under a fixed
`data.split_seed`, so every run (and the cached sentiment classifier) sees the same split.

Labels travel next to the corpora in `DataBundle.labels` (a `LabelSet`); the `Corpus` type is unchanged,
so unconditional models train on labelled data by simply ignoring them. Class ids follow the sorted
label names, so they do not depend on file order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from textgan.data.corpus import Corpus
from textgan.data.labels import NAMED_ENCODINGS, NAMED_LABELLED, LabelSet
from textgan.data.sources import DataBundle, check_auto_len
from textgan.data.text import check_text_file
from textgan.data.vocab import TextVocab, word_splitter
from textgan.errors import UserError

log = logging.getLogger(__name__)


@dataclass
class LabelledBundle(DataBundle):
    """A `DataBundle` whose `labels` are set; it brings its own evaluator (per class for conditional models)."""

    def make_evaluator(self, cfg: Any):
        from textgan.conditional_evaluation import ConditionalEvaluator

        return ConditionalEvaluator(self, cfg)


def _read_tsv(path: Path, encoding: str) -> list[tuple[str, str]]:
    pairs = []
    for number, line in enumerate(check_text_file(path, encoding), 1):
        label, sep, text = line.partition("\t")
        if not sep or not label.strip() or not text.strip():
            raise UserError(f"line {number} of '{path}' is not 'label<TAB>sentence' (data.labels=tsv); "
                            "fix the line or use data.labels=files with one file per class")
        if "\t" in text:  # a third column (an id, a score) would silently become words of the sentence
            raise UserError(f"line {number} of '{path}' has {line.count(chr(9)) + 1} tab-separated columns; "
                            "data.labels=tsv reads two, label<TAB>sentence: keep only the label and sentence "
                            "columns (e.g. with cut -f)")
        pairs.append((label.strip(), text.strip()))
    return pairs


def _class_files(cfg: Any, data_root: Path) -> dict[str, Path]:
    if cfg.name in NAMED_LABELLED:
        return {label: data_root / rel for label, rel in NAMED_LABELLED[cfg.name].items()}
    if not cfg.class_files:
        raise UserError("data.labels=files needs data.class_files=[LABEL=PATH,...] (one file per class)")
    files = {}
    for entry in cfg.class_files:
        label, sep, path = entry.partition("=")
        if not sep or not label or not path:
            raise UserError(f"data.class_files entry '{entry}' must be LABEL=PATH, e.g. positive=pos.txt")
        files[label] = Path(path)
    return files


def read_pairs(cfg: Any, data_root: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]] | None, dict]:
    """(train pairs, test pairs or None when a split is still to be made, info) of (label, sentence)."""
    if cfg.labels == "tsv":
        if cfg.name in NAMED_LABELLED and not Path(cfg.name).is_file():
            raise UserError(f"'{cfg.name}' is a named labelled set (one file per class), not a "
                            "label<TAB>sentence file; remove data.labels=tsv")
        train_path = Path(cfg.name)
        test = _read_tsv(Path(cfg.test), cfg.encoding) if cfg.test else None
        return _read_tsv(train_path, cfg.encoding), test, {"train_file": str(train_path), "test_file": cfg.test}
    files = _class_files(cfg, data_root)
    encoding = NAMED_ENCODINGS.get(cfg.name, cfg.encoding)  # a named set's own; a user's files: data.encoding
    if encoding != cfg.encoding and cfg.encoding.lower().replace("_", "-") not in ("utf-8", "utf8", encoding):
        log.warning("data.encoding=%s is not used: the named set '%s' is read as the %s bytes it is",
                    cfg.encoding, cfg.name, encoding)
    pairs = []
    for label, path in files.items():
        if not path.is_file() and cfg.name in NAMED_LABELLED:
            raise UserError(f"data set '{cfg.name}' not found at '{path}'; point --data-dir (or "
                            "TEXTGAN_DATA_DIR) at the folder holding it")
        pairs += [(label, line) for line in check_text_file(path, encoding)]
    return pairs, None, {"class_files": {k: str(v) for k, v in files.items()}, "encoding": encoding}


def split_pairs(pairs: list[tuple[str, str]], fraction: float, seed: int
                ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Per class, a seeded shuffle, then the first round(fraction * n) sentences go to test."""
    rng = torch.Generator().manual_seed(seed)
    train, test = [], []
    for label in sorted({label for label, _ in pairs}):
        rows = [p for p in pairs if p[0] == label]
        order = torch.randperm(len(rows), generator=rng).tolist()
        n_test = round(fraction * len(rows))
        test += [rows[i] for i in order[:n_test]]
        train += [rows[i] for i in order[n_test:]]
    return train, test


def load_labelled_data(cfg: Any, data_root: Path, vocab: TextVocab | None = None):
    """A `DataBundle` with `labels` from a labelled corpus (see the module docstring)."""
    train_pairs, test_pairs, info = read_pairs(cfg, data_root)
    # before the split reorders the pairs: a header row is the first line of a label<TAB>sentence file
    first_label = train_pairs[0][0] if cfg.labels == "tsv" and train_pairs else None
    if test_pairs is None and cfg.test_fraction > 0:
        train_pairs, test_pairs = split_pairs(train_pairs, cfg.test_fraction, cfg.split_seed)
    names = sorted({label for label, _ in train_pairs})
    if len(names) < 2:
        raise UserError(f"labelled data needs at least two classes; found {names or 'none'}")
    unknown = sorted({label for label, _ in test_pairs or []} - set(names))
    if unknown:
        raise UserError(f"test labels {', '.join(unknown)} do not occur in the training data ({', '.join(names)})")
    split = word_splitter(cfg.tokenize, cfg.lowercase, cfg.normalize)
    train_words = [split(text) for _, text in train_pairs]
    test_words = [split(text) for _, text in test_pairs or []]
    train_labels = [names.index(label) for label, _ in train_pairs]
    test_labels = [names.index(label) for label, _ in test_pairs or []]
    dropped = 0
    if cfg.max_len and cfg.drop_longer:  # keep short sentences only (SentiGAN / CatGAN's mr15 and mr20 data sets)
        keep_tr = [i for i, w in enumerate(train_words) if 0 < len(w) <= cfg.max_len]
        keep_te = [i for i, w in enumerate(test_words) if 0 < len(w) <= cfg.max_len]
        dropped = len(train_words) + len(test_words) - len(keep_tr) - len(keep_te)
        train_words, train_labels = [train_words[i] for i in keep_tr], [train_labels[i] for i in keep_tr]
        test_words, test_labels = [test_words[i] for i in keep_te], [test_labels[i] for i in keep_te]
    if cfg.max_train:
        train_words, train_labels = train_words[: cfg.max_train], train_labels[: cfg.max_train]
    if not train_words:
        raise UserError(f"no training sentences left after data.max_len={cfg.max_len} with data.drop_longer; "
                        "raise data.max_len")
    if vocab is None:
        vocab = TextVocab.build(train_words + test_words, cfg.min_freq, cfg.max_vocab)
    longest = max(len(w) for w in train_words + test_words)
    # data.max_auto_len applies to labelled data too (it was checked for plain text files only, so a labelled
    # file without line breaks silently set a sequence length of its whole length)
    check_auto_len(cfg, longest, f"labelled data '{cfg.name}'")
    max_len = cfg.max_len or longest
    too_long = sum(len(w) > max_len for w in train_words + test_words)
    if too_long:
        log.warning("%d sentences are longer than data.max_len=%d words and were truncated", too_long, max_len)
    seq_len = max_len + 1  # room for EOS
    train = Corpus.from_sequences(vocab.encode(train_words), seq_len, vocab.pad_id, vocab.eos_id)
    test = Corpus.from_sequences(vocab.encode(test_words), seq_len, vocab.pad_id, vocab.eos_id) if test_words else None
    labels = LabelSet(names, torch.tensor(train_labels, dtype=torch.long),
                      torch.tensor(test_labels, dtype=torch.long) if test_words else None)
    labels.check_classes("data.max_train keeps the first N training sentences, which can come grouped by class: "
                         "raise it or set 0" if cfg.max_train else "raise data.max_len, or set data.drop_longer=false",
                         first_label=first_label)
    info = {**info, "train": len(train), "test": len(test) if test else 0, "vocab": vocab.size,
            "max_len": max_len, "truncated": too_long, "dropped": dropped, "labels": labels.train_counts()}
    return LabelledBundle(cfg.name, train, test, vocab, None, info, labels)
