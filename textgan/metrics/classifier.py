"""The class-accuracy metric of conditional generation: a small CNN text classifier, trained once, cached.

How well does a conditional generator write text *of the requested class*? Its samples are classified by
a sentence classifier trained on the real training split (the evaluation of SentiGAN, Wang & Wan,
IJCAI 2018, and CatGAN, Liu et al., AAAI 2020, arXiv 1911.06641, who use a pretrained sentiment
classifier the same way). Ours is Kim's CNN (Kim 2014, arXiv 1408.5882) with randomly initialised
embeddings ("CNN-rand"), built from the CNN body of the SeqGAN discriminator plus a K-way head; its own
test accuracy is reported beside every class accuracy so the metric's reliability is visible.

Trained once per (data, labels, vocabulary, classifier config): the weights and test accuracy are cached
under `$TEXTGAN_CACHE_DIR/classifiers/` (default `~/.cache/textgan`) by a sha256 of all of those, and
training runs inside `torch.random.fork_rng` with its own seed, so evaluating never moves the training
RNG stream (resumed runs stay identical).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from textgan.config import SEED_MAX, param
from textgan.nn.cnn_discriminator import CNNDiscriminator

log = logging.getLogger(__name__)


@dataclass
class ClassifierConfig:
    epochs: int = param(8, min=1, help="training epochs of the evaluation classifier (MR, mr20: test accuracy ~0.67)")
    emb_dim: int = param(64, min=1, help="word embedding size of the classifier")
    filter_sizes: list[int] = param([3, 4, 5], min=1, help="convolution widths (Kim 2014: 3, 4, 5)")
    num_filters: int = param(64, min=1, help="filters per width (Kim 2014: 100)")
    dropout: float = param(0.5, min=0.0, max=0.99, help="dropout before the class layer (Kim 2014: 0.5)")
    lr: float = param(1e-3, min=0.0, min_exclusive=True, help="Adam learning rate")
    batch_size: int = param(64, min=1, help="sentences per classifier training step")
    seed: int = param(0, min=0, max=SEED_MAX, help="seed of the classifier's initialisation and shuffling")


class TextClassifier(nn.Module):
    """ids (B, T) -> class logits (B, K): CNN body (embedding, convolutions, max-over-time) + linear head."""

    def __init__(self, vocab_size: int, num_classes: int, cfg: ClassifierConfig) -> None:
        super().__init__()
        widths = list(cfg.filter_sizes)
        self.body = CNNDiscriminator(vocab_size, cfg.emb_dim, widths, [cfg.num_filters] * len(widths),
                                     highway=False)
        self.dropout = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(cfg.num_filters * len(widths), num_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.body.features(tokens)))


@torch.inference_mode()
def predict(model: nn.Module, tokens: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Predicted class (N,) of every row of `tokens` (N, T)."""
    was_training = model.training
    model.eval()
    out = [model(tokens[s:s + batch_size]).argmax(dim=1) for s in range(0, len(tokens), batch_size)]
    model.train(was_training)
    return torch.cat(out) if out else torch.empty(0, dtype=torch.long)


def accuracy(model: nn.Module, tokens: torch.Tensor, labels: torch.Tensor) -> float:
    return float((predict(model, tokens) == labels).double().mean()) if len(labels) else float("nan")


def train_classifier(tokens: torch.Tensor, labels: torch.Tensor, vocab_size: int, num_classes: int,
                     cfg: ClassifierConfig) -> TextClassifier:
    """Train on (tokens (N, T), labels (N,)) without touching the caller's RNG streams."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        model = TextClassifier(vocab_size, num_classes, cfg)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        model.train()
        for _ in range(cfg.epochs):
            order = torch.randperm(len(tokens))
            for start in range(0, len(order), cfg.batch_size):
                idx = order[start:start + cfg.batch_size]
                loss = F.cross_entropy(model(tokens[idx]), labels[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
    return model.eval()


def cache_dir() -> Path:
    return Path(os.environ.get("TEXTGAN_CACHE_DIR") or Path.home() / ".cache" / "textgan") / "classifiers"


def _key(train: torch.Tensor, labels: torch.Tensor, vocab_size: int, num_classes: int, cfg: ClassifierConfig) -> str:
    h = hashlib.sha256()
    h.update(train.contiguous().numpy().tobytes())
    h.update(labels.contiguous().numpy().tobytes())
    h.update(json.dumps([list(train.shape), vocab_size, num_classes, asdict(cfg)], sort_keys=True).encode())
    return h.hexdigest()[:32]


def get_classifier(train: torch.Tensor, train_labels: torch.Tensor, test: torch.Tensor | None,
                   test_labels: torch.Tensor | None, vocab_size: int, num_classes: int,
                   cfg: ClassifierConfig) -> tuple[TextClassifier, float]:
    """(the classifier, its test accuracy), trained on the training split the first time, then cached."""
    key = _key(train, train_labels, vocab_size, num_classes, cfg)
    folder = cache_dir()
    weights, meta = folder / f"{key}.safetensors", folder / f"{key}.json"
    with torch.random.fork_rng(devices=[]):  # building it draws initial weights: not from the training stream
        model = TextClassifier(vocab_size, num_classes, cfg)
    if weights.is_file() and meta.is_file():
        try:
            model.load_state_dict(load_file(str(weights)))
            return model.eval(), float(json.loads(meta.read_text())["test_acc"])
        except (OSError, ValueError, KeyError, RuntimeError) as err:  # damaged cache entry: retrain
            log.warning("retraining the evaluation classifier: cached copy unreadable (%s)", err)
    model = train_classifier(train, train_labels, vocab_size, num_classes, cfg)
    test_acc = accuracy(model, test, test_labels) if test is not None else float("nan")
    log.info("evaluation classifier trained: test accuracy %.4f", test_acc)
    try:  # written under temporary names and renamed: concurrent runs never read half a file
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}-{os.getpid()}"
        save_file(model.state_dict(), str(tmp.with_suffix(".safetensors")))
        tmp.with_suffix(".json").write_text(json.dumps({"test_acc": test_acc, "config": asdict(cfg)}))
        os.replace(tmp.with_suffix(".safetensors"), weights)
        os.replace(tmp.with_suffix(".json"), meta)
    except OSError as err:
        log.warning("could not cache the evaluation classifier in %s (%s)", folder, err)
    return model, test_acc
