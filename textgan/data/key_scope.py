"""Which `data.*` keys each kind of data set reads, so a key set for another kind is an error, not ignored.

`DataConfig` is one section for every data set: the synthetic oracle reads `data.oracle.*`, text files read the
tokenisation and vocabulary keys, labelled text reads its split keys as well. A key of another kind did nothing
(`data.max_vocab=3` on the oracle trained the 5,000-token oracle as if it were not there);
`check_data_keys` refuses it before any data is read, naming the key that does that job for this data.
Plugged-in sources (`register_data_source`: the image baseline's mixtures and digits) read what they read:
they are not checked here.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textgan.data.labels import NAMED_LABELLED
from textgan.errors import UserError

# keys every loaded kind reads (the validation split; data.labels is checked by the loaders themselves)
SHARED = {"name", "valid_size", "split_seed", "labels"}
ORACLE = SHARED | {"oracle"}
TEXT = SHARED | {"test", "encoding", "tokenize", "lowercase", "normalize", "max_len", "max_auto_len", "min_freq",
                 "max_vocab", "max_train"}
LABELLED_TSV = TEXT | {"test_fraction", "drop_longer"}                     # label<TAB>sentence lines
LABELLED_FILES = (TEXT - {"test"}) | {"class_files", "test_fraction", "drop_longer"}  # one file per class

# each labelled kind: (what reads its keys, what the data is)
LABELLED_FORMS = {"labelled_tsv": ("a label<TAB>sentence file (data.labels=tsv)", "label<TAB>sentence lines"),
                  "labelled_files": ("one file per class (data.labels=files)", "one file per class")}

# for a text key set on the oracle: the oracle's key that does that job
ORACLE_COUNTERPART = {
    "max_len": "data.oracle.seq_len", "max_vocab": "data.oracle.vocab_size", "min_freq": "data.oracle.vocab_size",
    "max_train": "data.oracle.num_train", "test": "data.oracle.num_test",
}


def data_kind(name: str, labels: str, text_names: Iterable[str]) -> str | None:
    """'oracle', 'text', 'labelled_tsv' or 'labelled_files' for a data set this module checks; None for a
    plugged-in source or a file the loader will refuse as missing (its own error says more than a key's)."""
    if name == "oracle":
        return "oracle"
    if name in NAMED_LABELLED or labels == "files":  # a set's name, not a file
        return "labelled_files"
    if name in text_names or Path(name).is_file():
        return {"none": "text", "tsv": "labelled_tsv"}.get(labels, "labelled_files")
    return None


def check_data_keys(keys: Iterable[str], name: str, labels: str, text_names: Iterable[str], where: str = "") -> None:
    """Refuse a `data.*` key among `keys` (dotted, set away from its default) that data set `name` does not
    read; `where` says where the keys were set (e.g. " (set in 'run.yaml')")."""
    kind = data_kind(name, labels, text_names)
    if kind is None:
        return
    reads = {"oracle": ORACLE, "text": TEXT, "labelled_tsv": LABELLED_TSV, "labelled_files": LABELLED_FILES}[kind]
    for key in keys:
        parts = key.split(".")
        if parts[0] != "data" or len(parts) < 2 or parts[1] in reads:
            continue
        field = parts[1]
        key = f"{key}{where}"
        if kind == "oracle":
            instead = ORACLE_COUNTERPART.get(field)
            hint = f" (the oracle's counterpart is {instead})" if instead else ""
            raise UserError(f"{key} applies to text data, not to the synthetic oracle; remove it{hint}, or pass "
                            "--data with a data set or text file")
        if field == "oracle":
            raise UserError(f"{key} applies to the synthetic oracle, not to text data '{name}'; remove it"
                            + (" (a text sequence's length cap is data.max_len)" if "seq_len" in key else ""))
        if kind == "text":
            raise UserError(f"{key} applies to labelled data (data.labels=tsv or files, or a labelled set such as "
                            f"{', '.join(NAMED_LABELLED)}), not to unlabelled text '{name}'; remove it")
        other = "labelled_tsv" if kind == "labelled_files" else "labelled_files"
        raise UserError(f"{key} applies to {LABELLED_FORMS[other][0]}, not to '{name}' ({LABELLED_FORMS[kind][1]}); "
                        "remove it")
