"""Data sources: turn `--data NAME|PATH` into a `DataBundle` (train / test corpora, vocabulary, oracle).

One code path for every model: the synthetic oracle and real text both produce `Corpus` objects; the
bundle's `oracle` (or its absence) is how the evaluation knows whether NLL-oracle applies. Named data
sets are files under the data root (see `data/README.md` and `python -m textgan.data list`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from textgan.config import SEED_MAX, param, section
from textgan.data.corpus import Corpus
from textgan.data.labels import NAMED_LABELLED, LabelSet
from textgan.data.oracle import SEQGAN_PARAMS, load_seqgan_oracle, seeded_oracle
from textgan.data.paths import resolve_data_root
from textgan.data.text import load_words
from textgan.data.validation import hold_out_validation
from textgan.data.vocab import NORMALIZATIONS, SPECIAL_TOKENS, SPLITTERS, IdVocab, TextVocab
from textgan.errors import UserError
from textgan.sampling import sample

log = logging.getLogger(__name__)

# name -> (train file, test file) under the data root
NAMED_TEXT = {
    "coco": ("coco/train.txt", "coco/test.txt"),
    "emnlp_news": ("emnlp_news/train.txt", "emnlp_news/test.txt"),
    # the 10k stand-in train set from the same corpus (the full train file is not redistributable here)
    "emnlp_news_10k": ("emnlp_news/valid_gfs.txt", "emnlp_news/test.txt"),
}
# labelled data sets (one file per class) live in textgan/data/labelled.py
DATA_SETS = ["oracle", *NAMED_TEXT, *NAMED_LABELLED]
# Data sources other packages plug in (e.g. textgan.image: ring8, grid25, digits): name -> loader(cfg, data_root)
# returning their own bundle (with `kind`, `vocab`, `info`, `make_evaluator`); they keep no saved vocabulary.
DATA_SOURCES: dict[str, Callable[[DataConfig, Path], Any]] = {}
DATA_SOURCE_KINDS: dict[str, str] = {}  # name -> the `kind` its loader returns, where the source declared it


def register_source(name: str, loader: Callable[[DataConfig, Path], Any], kind: str | None = None) -> None:
    """Make `--data NAME` load with `loader(data_config, data_root)`: how non-text sources (the image
    baseline's mixtures and digits) plug in without the loader knowing them. `kind`: the `kind` of what the
    loader returns, so a model that cannot train on it is refused before anything is loaded."""
    DATA_SOURCES[name] = loader
    if kind is not None:
        DATA_SOURCE_KINDS[name] = kind
    else:  # registered again without a kind: the old one may no longer hold
        DATA_SOURCE_KINDS.pop(name, None)
    if name not in DATA_SETS:
        DATA_SETS.append(name)


def expected_kind(cfg: DataConfig) -> str | None:
    """The `kind` of the data `cfg` will load, told from its name alone (nothing is read or built): the
    oracle, a plugged-in source that declared its kind, else text (a named set or a file). None: a source
    that did not declare it, where only loading tells."""
    if cfg.name in DATA_SOURCES:
        return DATA_SOURCE_KINDS.get(cfg.name)
    return "oracle" if cfg.name == "oracle" else "text"


def check_labels_setting(cfg: DataConfig) -> None:
    """The oracle is unlabelled: a labelled setting for it would be silently ignored."""
    if cfg.name == "oracle" and cfg.labels != "none":
        raise UserError(f"data.labels={cfg.labels} reads labelled text, not the oracle; pass --data: the file "
                        "(data.labels=tsv), or a name for the set (data.labels=files, e.g. --data reviews)")


def is_labelled(cfg: DataConfig) -> bool | None:
    """Whether `cfg` loads labelled text (a labelled set such as mr, or data.labels=tsv / files); None for a
    plugged-in source, whose bundle alone tells."""
    if cfg.name in DATA_SOURCES:
        return None
    return cfg.labels != "none" or cfg.name in NAMED_LABELLED


@dataclass
class OracleConfig:
    params: str = param("auto", help="'auto' (SeqGAN's target_params.npz under the data root if present, "
                                     "else seeded), 'seqgan', 'seeded', or a path to an .npz")
    seed: int = param(0, min=0, max=SEED_MAX, help="seed of the N(0,1) weights of a seeded oracle")
    vocab_size: int = param(5000, min=2, help="the oracle LSTM's vocabulary (SeqGAN: 5,000)")
    emb_dim: int = param(32, min=1, help="the oracle LSTM's embedding size (SeqGAN: 32)")
    hidden_dim: int = param(32, min=1, help="the oracle LSTM's hidden size (SeqGAN: 32)")
    seq_len: int = param(20, min=1, help="tokens per oracle sequence (SeqGAN: 20; LeakGAN also 40)")
    num_train: int = param(10000, min=1, help="training sequences sampled from the oracle (SeqGAN: 10,000)")
    num_test: int = param(10000, min=0, help="test sequences sampled from the oracle, for nll_test")
    data_seed: int = param(88, min=0, max=SEED_MAX, help="seed of the sampled train/test corpora (SeqGAN uses 88)")


@dataclass
class DataConfig:
    name: str = param("oracle", help=f"{', '.join(DATA_SETS)}, or a path to a text file (one sentence a line)")
    test: str | None = param(None, help="test file for a user corpus")
    encoding: str = param("utf-8", help="text encoding of a user corpus (undecodable bytes are an error naming "
                                        "the line)")
    tokenize: str = param("nltk", choices=SPLITTERS, help="word splitter (nltk = published benchmarks)")
    lowercase: bool = param(True, help="lowercase the text before splitting (the COCO / EMNLP benchmarks do)")
    normalize: str = param("none", choices=NORMALIZATIONS,
                           help="Unicode normal form applied before splitting: NFC (precomposed accents), NFKC "
                                "(also full-width forms, ligatures), none (the text as it is)")
    max_len: int = param(0, min=0, help="cap on words per sentence (0 = longest in the data)")
    max_auto_len: int = param(1000, min=1, help="with data.max_len=0, a longest sentence above this many words is "
                                                "an error (it would set the sequence length); set data.max_len")
    min_freq: int = param(1, min=1, help="words seen fewer times in the corpus (training and test text: the "
                                         "vocabulary is built on both) read as <unk>")
    max_vocab: int = param(0, min=0, help="cap on the vocabulary size, its 4 special tokens included; the most "
                                          "frequent words are kept, the rest read as <unk> (0 = no cap)")
    max_train: int = param(0, min=0, help="use only the first N training sentences (0 = all)")
    valid_size: int = param(0, min=0, help="hold N random training sentences out as a validation set (nll_valid, "
                                           "for train.best_metric; seed data.split_seed; 0 = none)")
    # labelled data (conditional models; see textgan/data/labelled.py)
    labels: str = param("none", choices=["none", "tsv", "files"],
                        help="'tsv': label<TAB>sentence lines; 'files': one file per class (data.class_files); "
                             "named labelled sets (mr) set this themselves")
    class_files: list[str] = param([], help="LABEL=PATH per class, for data.labels=files")
    test_fraction: float = param(0.1, min=0.0, max=0.9, help="labelled data without a test file: share of "
                                                             "each class held out as test")
    split_seed: int = param(0, min=0, max=SEED_MAX,
                            help="seed of the labelled train/test split and of the validation split")
    drop_longer: bool = param(False, help="labelled data: drop sentences longer than data.max_len instead "
                                          "of truncating them (SentiGAN / CatGAN's mr15 and mr20 data sets)")
    oracle: OracleConfig = section(OracleConfig)


@dataclass
class DataBundle:
    name: str
    train: Corpus
    test: Corpus | None
    vocab: TextVocab | IdVocab
    oracle: nn.Module | None = None
    info: dict = field(default_factory=dict)
    labels: LabelSet | None = None  # class labels of labelled data; unconditional models ignore them
    valid: Corpus | None = None  # held out of the training data (data.valid_size; textgan/data/validation.py)

    @property
    def seq_len(self) -> int:
        return self.train.seq_len

    @property
    def kind(self) -> str:
        """Which models train on it (`ModelSpec.data_kinds`): "oracle" or "text"."""
        return "oracle" if self.oracle is not None else "text"


def build_oracle(cfg: OracleConfig, data_root: Path) -> tuple[nn.Module, str]:
    """The oracle LSTM and a description of where its weights came from."""
    npz = data_root / SEQGAN_PARAMS
    choice = cfg.params
    if choice == "auto":
        choice = "seqgan" if npz.is_file() else "seeded"
    if choice == "seeded":
        return seeded_oracle(cfg.vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.seed), f"seeded N(0,1), seed {cfg.seed}"
    path = npz if choice == "seqgan" else Path(choice)
    if not path.is_file():
        raise UserError(f"oracle parameters '{path}' not found; run `python -m textgan.data download "
                        "seqgan_oracle` or set data.oracle.params=seeded")
    oracle = load_seqgan_oracle(path)
    if (oracle.vocab_size, oracle.hidden_dim) != (cfg.vocab_size, cfg.hidden_dim):
        raise UserError(f"oracle file '{path}' has vocab {oracle.vocab_size} and hidden {oracle.hidden_dim}; "
                        "set data.oracle.vocab_size / hidden_dim to match")
    return oracle, f"SeqGAN target_params ({path.name})"


def load_oracle_data(cfg: OracleConfig, data_root: Path) -> DataBundle:
    oracle, source = build_oracle(cfg, data_root)
    num = cfg.num_train + cfg.num_test
    samples = sample(oracle, num, cfg.seq_len, seed=cfg.data_seed, batch_size=500)
    lengths = torch.full((num,), cfg.seq_len, dtype=torch.long)
    train = Corpus(samples[: cfg.num_train], lengths[: cfg.num_train])
    test = Corpus(samples[cfg.num_train:], lengths[cfg.num_train:]) if cfg.num_test else None
    info = {"oracle": source, "train": len(train), "test": len(test) if test else 0, "vocab": cfg.vocab_size}
    return DataBundle("oracle", train, test, IdVocab(cfg.vocab_size, bos_id=0), oracle, info)


def looks_like_path(name: str) -> bool:
    """A `--data` value that names a file (it has a folder or a suffix), not a data set to look up."""
    return "/" in name or bool(Path(name).suffix)


def _resolve_text_files(cfg: DataConfig, data_root: Path) -> tuple[Path, Path | None]:
    if cfg.name in NAMED_TEXT:
        train_rel, test_rel = NAMED_TEXT[cfg.name]
        train, test = data_root / train_rel, data_root / test_rel
        if not train.is_file():
            if cfg.name == "emnlp_news":  # its train file is not redistributed: no download can fetch it
                raise UserError(f"data set 'emnlp_news' not found at '{train}'; its train file is not downloadable "
                                "(supply it there, or point --data-dir at a folder holding emnlp_news/train.txt), "
                                "or use --data emnlp_news_10k, the 10k stand-in that `python -m textgan.data "
                                "download emnlp_news` fetches")
            raise UserError(f"data set '{cfg.name}' not found at '{train}'; run `python -m textgan.data "
                            f"download {cfg.name.split('_10k')[0]}` or point --data-dir at its folder")
        return train, Path(cfg.test) if cfg.test else test
    path = Path(cfg.name)
    if not path.exists() and not looks_like_path(cfg.name):
        from textgan.data.download import dataset_files

        files = dataset_files(cfg.name)  # downloadable without being a named data set (no train/test split)
        if files:
            raise UserError(f"'{cfg.name}' is downloadable but not a named data set; pass its file as a path, "
                            f"e.g. --data {data_root / files[0]}")
        raise UserError(f"unknown data set '{cfg.name}'; use one of {', '.join(DATA_SETS)} or a path to a text file")
    return path, Path(cfg.test) if cfg.test else None


def check_auto_len(cfg: DataConfig, longest: int, where: str) -> None:
    """`data.max_auto_len`: with data.max_len=0 the longest sentence (`longest` words, of `where`) sets the
    sequence length; one above max_auto_len words is an error (a file without line breaks, say)."""
    if not cfg.max_len and longest > cfg.max_auto_len:
        raise UserError(f"the longest sentence of {where} has {longest} words, over data.max_auto_len="
                        f"{cfg.max_auto_len}; is it one sentence per line? Set data.max_len=N to truncate "
                        "sentences to N words")


def load_text_data(cfg: DataConfig, data_root: Path, vocab: TextVocab | None = None) -> DataBundle:
    train_path, test_path = _resolve_text_files(cfg, data_root)

    def words(path: Path) -> list[list[str]]:
        # cached in the HF datasets cache (never under the data root, which may be read-only)
        return load_words(path, cfg.encoding, cfg.tokenize, cfg.lowercase, normalize=cfg.normalize)

    train_words = words(train_path)
    if cfg.max_train:
        train_words = train_words[: cfg.max_train]
    test_words = words(test_path) if test_path else None
    if vocab is None:
        # The protocol trains the vocabulary on train + test, so test words are never <unk>.
        vocab = TextVocab.build(train_words + (test_words or []), cfg.min_freq, cfg.max_vocab)
    distinct = vocab.size - len(SPECIAL_TOKENS)
    if distinct < 2:  # nothing to generate: every sentence would be the same word repeated
        if cfg.max_vocab and cfg.max_vocab < len(SPECIAL_TOKENS) + 2:
            raise UserError(f"data.max_vocab={cfg.max_vocab} leaves {max(distinct, 0)} word(s) beside the "
                            f"{len(SPECIAL_TOKENS)} special tokens; a text model needs at least 2: use "
                            f"data.max_vocab={len(SPECIAL_TOKENS) + 2} or more (0 = no cap)")
        raise UserError(f"data file '{train_path}' gives a vocabulary of {distinct} word(s) (data.min_freq="
                        f"{cfg.min_freq}); a text model needs at least 2 — check the file or lower data.min_freq")
    longest = max(len(w) for w in train_words + (test_words or []))
    check_auto_len(cfg, longest, f"'{train_path}'{' or its test file' if test_words else ''}")
    max_len = cfg.max_len or longest
    too_long = sum(len(w) > max_len for w in train_words + (test_words or []))
    if too_long:
        log.warning("%d sentences are longer than data.max_len=%d words and were truncated", too_long, max_len)
    seq_len = max_len + 1  # room for EOS
    train = Corpus.from_sequences(vocab.encode(train_words), seq_len, vocab.pad_id, vocab.eos_id)
    test = Corpus.from_sequences(vocab.encode(test_words), seq_len, vocab.pad_id, vocab.eos_id) if test_words else None
    info = {"train_file": str(train_path), "test_file": str(test_path) if test_path else None,
            "train": len(train), "test": len(test) if test else 0, "vocab": vocab.size, "max_len": max_len,
            "truncated": too_long}
    return DataBundle(cfg.name, train, test, vocab, None, info)


def load_data(cfg: DataConfig, data_dir: str | Path | None = None,
              vocab: TextVocab | IdVocab | None = None) -> DataBundle:
    """Build the data bundle for a config (or a data set name / file path, with the default settings);
    `vocab` (from a saved run) replaces building a new one."""
    if isinstance(cfg, (str, Path)):
        cfg = DataConfig(name=str(cfg))
    bundle = _load_bundle(cfg, resolve_data_root(data_dir), vocab)
    if cfg.valid_size:
        if not isinstance(bundle, DataBundle):
            raise UserError(f"data.valid_size applies to text and oracle data, not '{cfg.name}'; use data.valid_size=0")
        bundle = hold_out_validation(bundle, cfg.valid_size, cfg.split_seed)
    return bundle


def _load_bundle(cfg: DataConfig, data_root: Path, vocab: TextVocab | IdVocab | None) -> Any:
    if cfg.name not in DATA_SOURCES and cfg.name not in DATA_SETS:
        from textgan.registry import all_models  # imported late: the registry imports this module

        all_models()  # model spec packages register their data sources on import
    if cfg.name in DATA_SOURCES:
        return DATA_SOURCES[cfg.name](cfg, data_root)
    if cfg.name == "oracle":
        check_labels_setting(cfg)
        return load_oracle_data(cfg.oracle, data_root)
    if is_labelled(cfg):
        from textgan.data.labelled import load_labelled_data  # it subclasses DataBundle

        return load_labelled_data(cfg, data_root, vocab if isinstance(vocab, TextVocab) else None)
    return load_text_data(cfg, data_root, vocab if isinstance(vocab, TextVocab) else None)
