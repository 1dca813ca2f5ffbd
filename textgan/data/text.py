"""Reading user text files: one sentence per line, with clear errors for every way a file can be bad.

Files are decoded up front with the configured encoding so that undecodable bytes are reported with
the line they are on and the option that fixes them (`data.encoding=latin-1`). A byte-order mark is
dropped (it would otherwise glue itself to the first word), and lines end at '\\n', '\\r\\n' or a lone '\\r'
(old Mac files) only: Latin-1 corpora such as MR contain 0x85 bytes, which `str.splitlines` would split on.
User files are then loaded through HF `datasets` (Arrow-backed, cached in the HF datasets cache), which is
what keeps corpora far larger than the benchmark sets cheap to reload.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from textgan.errors import UserError


def nul_bytes_kind(raw: bytes) -> str | None:
    """'utf-16' (NUL bytes after a UTF-16 byte-order mark), 'binary' (NUL bytes otherwise) or None: a text file in
    an 8-bit encoding never holds a NUL byte. Shared by the training data's reader and `textgan.evaluate`."""
    if b"\x00" not in raw:
        return None
    return "utf-16" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "binary"


def check_text_file(path: Path, encoding: str = "utf-8") -> list[str]:
    """Decode a text file fully and return its non-empty, stripped lines (errors are one line)."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"data file '{path}' not found; check the path or the data root "
                        "(--data-dir / TEXTGAN_DATA_DIR)")
    if not path.is_file():
        raise UserError(f"data path '{path}' is not a file")
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise UserError(f"unknown encoding '{encoding}' in data.encoding; use e.g. utf-8 or latin-1") from None
    raw = path.read_bytes()
    wide = codec.startswith(("utf-16", "utf-32"))  # their text is full of NUL bytes
    kind = None if wide else nul_bytes_kind(raw)
    if kind is not None:
        if kind == "utf-16":
            raise UserError(f"data file '{path}' is UTF-16 text (it starts with a UTF-16 byte-order mark); pass "
                            "data.encoding=utf-16")
        raise UserError(f"data file '{path}' looks binary (it contains NUL bytes); "
                        "give a text file with one sentence per line")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as err:
        line_no = raw.count(b"\n", 0, err.start) + 1
        raise UserError(f"data file '{path}' is not valid {encoding} (byte 0x{raw[err.start]:02x} on line "
                        f"{line_no}); pass data.encoding=latin-1 (or the file's real encoding)") from None
    lines = split_lines(text)
    lines = [line for line in lines if line]
    if not lines:
        raise UserError(f"data file '{path}' is empty; it needs one sentence per line")
    return lines


def split_lines(text: str) -> list[str]:
    """Stripped lines of a file's decoded `text` (a leading byte-order mark dropped), ending at '\\n',
    '\\r\\n' or a lone '\\r' (empty ones kept)."""
    text = text.removeprefix("\ufeff")
    return [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def load_words(path: Path, encoding: str, splitter: str, lowercase: bool,
               cache_dir: Path | None = None, normalize: str = "none") -> list[list[str]]:
    """The sentences of a text file split into words, via HF `datasets` (the split is cached on disk).

    The file is validated first (existence, decoding, emptiness). `datasets` fingerprints the file (by path
    and modification time) and the split function, so re-running on an unchanged corpus skips the word
    splitting. Its lines are checked against the file's own, so a cache that missed an edit, or a
    different idea of a line break, falls back to splitting the lines read here.
    """
    lines = check_text_file(path, encoding)
    import datasets

    from textgan.data.vocab import word_splitter

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    split = word_splitter(splitter, lowercase, normalize)
    ds = datasets.load_dataset("text", data_files={"train": str(path)}, split="train", encoding=encoding,
                               cache_dir=str(cache_dir) if cache_dir else None)
    ds = ds.filter(lambda row: bool(row["text"].strip()))
    if [line.strip().removeprefix("\ufeff") for line in ds["text"]] != lines:
        return [split(line) for line in lines]
    # "v2": the split drops a byte-order mark (caches of the earlier split kept it in the first word)
    ds = ds.map(lambda row: {"words": split(row["text"].strip().removeprefix("\ufeff"))}, remove_columns=["text"],
                new_fingerprint=f"words-v2-{splitter}-{lowercase}-{_norm_tag(normalize)}{ds._fingerprint}")
    return list(ds["words"])


def _norm_tag(normalize: str) -> str:
    """The normalisation's part of the cache fingerprint; empty for "none", so caches written before the
    option existed stay valid."""
    return "" if normalize == "none" else f"{normalize}-"
