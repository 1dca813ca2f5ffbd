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
LABELLED = TEXT | {"class_files", "test_fraction", "drop_longer"}

# for a text key set on the oracle: the oracle's key that does that job
ORACLE_COUNTERPART = {
    "max_len": "data.oracle.seq_len", "max_vocab": "data.oracle.vocab_size", "min_freq": "data.oracle.vocab_size",
    "max_train": "data.oracle.num_train", "test": "data.oracle.num_test",
}


def data_kind(name: str, labels: str, text_names: Iterable[str]) -> str | None:
    """'oracle', 'labelled' or 'text' for a data set this module checks; None for a plugged-in source or a name
    the loader will refuse (its own error says more than a key's would)."""
    if name == "oracle":
        return "oracle"
    if name in NAMED_LABELLED:
        return "labelled"
    if name in text_names or Path(name).is_file():
        return "labelled" if labels != "none" else "text"
    return None


def check_data_keys(keys: Iterable[str], name: str, labels: str, text_names: Iterable[str]) -> None:
    """Refuse a `data.*` key among `keys` (dotted, as the user set them) that data set `name` does not read."""
    kind = data_kind(name, labels, text_names)
    if kind is None:
        return
    reads = {"oracle": ORACLE, "text": TEXT, "labelled": LABELLED}[kind]
    for key in keys:
        parts = key.split(".")
        if parts[0] != "data" or len(parts) < 2 or parts[1] in reads:
            continue
        field = parts[1]
        if kind == "oracle":
            instead = ORACLE_COUNTERPART.get(field)
            hint = f" (the oracle's counterpart is {instead})" if instead else ""
            raise UserError(f"{key} applies to text data, not to the synthetic oracle; remove it{hint}, or pass "
                            "--data with a data set or text file")
        if field == "oracle":
            raise UserError(f"{key} applies to the synthetic oracle, not to text data '{name}'; remove it"
                            + (" (a text sequence's length cap is data.max_len)" if key.endswith("seq_len") else ""))
        raise UserError(f"{key} applies to labelled data (data.labels=tsv or files, or a labelled set such as "
                        f"{', '.join(NAMED_LABELLED)}), not to unlabelled text '{name}'; remove it")
