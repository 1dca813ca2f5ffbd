"""Vocabularies: a word-level HF `tokenizers` tokenizer for text, a plain id range for the oracle.

Both expose the same small surface the rest of the library uses: `size`, `bos_id`, `eos_id`,
`pad_id`, `decode(ids)`, and `save(run_dir)`. Text is first split into words by a word splitter
(nltk's Treebank-style `word_tokenize` with preserve_line, i.e. no sentence splitting, on lowercased
text, the convention of the published COCO / EMNLP benchmarks, or plain whitespace); the HF tokenizer
then maps words to ids and is saved as `tokenizer.json` with the run.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from textgan.errors import UserError

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIAL_TOKENS = [PAD, BOS, EOS, UNK]
SPLITTERS = ("nltk", "whitespace")
# Unicode normal forms a line can be brought to before splitting: NFC joins a letter and its combining accent
# into the precomposed character, NFKC also folds compatibility forms (full-width letters, ligatures such as
# "ﬁ", superscripts) into their plain spellings. "none" keeps the text's code points (the benchmarks' setting).
NORMALIZATIONS = ("none", "NFC", "NFKC")


def word_splitter(kind: str, lowercase: bool, normalize: str = "none") -> Callable[[str], list[str]]:
    """A function line -> words: Unicode normalisation (`normalize`), then lowercasing, then the splitter."""
    if normalize not in NORMALIZATIONS:
        raise UserError(f"unknown Unicode normalisation '{normalize}'; use one of {', '.join(NORMALIZATIONS)}")
    if kind == "nltk":
        from nltk.tokenize import NLTKWordTokenizer

        # preserve_line semantics: no punkt sentence splitting (its model is a download).
        split = NLTKWordTokenizer().tokenize
    elif kind == "whitespace":
        split = str.split
    else:
        raise UserError(f"unknown word splitter '{kind}'; use one of {', '.join(SPLITTERS)}")
    if normalize == "none" and not lowercase:
        return split

    def prepare_and_split(line: str) -> list[str]:
        if normalize != "none":
            line = unicodedata.normalize(normalize, line)
        return split(line.lower() if lowercase else line)

    return prepare_and_split


class TextVocab:
    """Word-level vocabulary backed by a HF `tokenizers.Tokenizer` (WordLevel model)."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer
        self.pad_id = tokenizer.token_to_id(PAD)
        self.bos_id = tokenizer.token_to_id(BOS)
        self.eos_id = tokenizer.token_to_id(EOS)
        self.unk_id = tokenizer.token_to_id(UNK)
        if None in (self.pad_id, self.bos_id, self.eos_id, self.unk_id):
            raise UserError("tokenizer.json lacks the special tokens <pad> <bos> <eos> <unk>; "
                            "it was not written by textgan")
        self.dropped_ids = (self.pad_id, self.bos_id)  # ids decoded text leaves out (see `decode`)

    @property
    def size(self) -> int:
        return self.tokenizer.get_vocab_size()

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], min_freq: int = 1,
              max_size: int = 0) -> TextVocab:
        """Train a word-level vocabulary on pre-split sentences (lists of words). The special tokens' spellings
        are reserved: where the text itself contains them (`data.tokenize=whitespace` keeps `<unk>` whole;
        PTB-style corpora write it), they are not counted as words (see `encode`)."""
        from tokenizers import Tokenizer, models, pre_tokenizers, trainers

        tokenizer = Tokenizer(models.WordLevel(unk_token=UNK))
        tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
        trainer = trainers.WordLevelTrainer(
            vocab_size=max_size or 10**9, min_frequency=min_freq,
            special_tokens=SPECIAL_TOKENS, show_progress=False)
        reserved = set(SPECIAL_TOKENS)
        tokenizer.train_from_iterator((" ".join(w for w in words if w not in reserved) for words in sentences),
                                      trainer=trainer)
        return cls(tokenizer)

    def encode(self, sentences: Sequence[Sequence[str]]) -> list[list[int]]:
        """Ids of pre-split sentences; unknown words map to <unk>."""
        if isinstance(sentences, str) or any(isinstance(s, str) for s in sentences):
            # list(s) of a string would encode its characters, each an <unk>, without complaint
            raise TypeError("encode takes pre-split sentences (lists of words), got a string; pass "
                            "[sentence.split() for sentence in sentences]")
        # a literal <pad> / <bos> / <eos> in the text must not become the real marker (an <eos> would cut the
        # sentence when decoded): it reads as <unk>, as does a literal <unk> (PTB's unknown-word marker)
        markers = {PAD, BOS, EOS}
        encs = self.tokenizer.encode_batch([[UNK if w in markers else w for w in s] for s in sentences],
                                           is_pretokenized=True)
        return [e.ids for e in encs]

    def id_to_token(self, i: int) -> str:
        return self.tokenizer.id_to_token(i)

    def decode(self, ids: Sequence[int]) -> str:
        """Words up to the first EOS, joined by spaces (padding and BOS dropped)."""
        words = []
        for i in ids:
            if i == self.eos_id:
                break
            if i in self.dropped_ids:
                continue
            words.append(self.tokenizer.id_to_token(i))
        return " ".join(words)

    def save(self, run_dir: Path) -> None:
        self.tokenizer.save(str(Path(run_dir) / "tokenizer.json"))

    @classmethod
    def load(cls, path: Path) -> TextVocab:
        from tokenizers import Tokenizer

        try:
            return cls(Tokenizer.from_file(str(path)))
        except Exception as err:  # the library raises a bare Exception for bad JSON
            raise UserError(f"cannot read tokenizer '{path}' ({err}); the run directory is damaged") from None


class IdVocab:
    """The oracle's vocabulary: ids 0..size-1, start token `bos_id` (also an ordinary token), no EOS."""

    pad_id = 0  # only used to fill tensors; oracle sequences never contain padding
    eos_id = None
    dropped_ids = ()  # every id is an ordinary token (the start token too)

    def __init__(self, size: int, bos_id: int = 0) -> None:
        self.size = size
        self.bos_id = bos_id

    def decode(self, ids: Sequence[int]) -> str:
        return " ".join(str(i) for i in ids)

    def save(self, run_dir: Path) -> None:
        (Path(run_dir) / "vocab.json").write_text(
            json.dumps({"kind": "ids", "size": self.size, "bos_id": self.bos_id}))

    @classmethod
    def load(cls, path: Path) -> IdVocab:
        d = json.loads(Path(path).read_text())
        return cls(d["size"], d["bos_id"])


def load_vocab(run_dir: Path) -> TextVocab | IdVocab:
    """The vocabulary saved with a run."""
    run_dir = Path(run_dir)
    if (run_dir / "tokenizer.json").is_file():
        return TextVocab.load(run_dir / "tokenizer.json")
    if (run_dir / "vocab.json").is_file():
        return IdVocab.load(run_dir / "vocab.json")
    raise UserError(f"run directory '{run_dir}' has no tokenizer.json or vocab.json; is it a textgan run?")
