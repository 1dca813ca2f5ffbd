"""The small digit classifier whose features define the digits Fréchet distance and label entropy.

Trained once on the digits train split (a fixed seed, its own RNG, so training a GAN never changes the
training RNG stream whether or not the classifier was cached) and cached as safetensors plus a JSON with
its test accuracy in `$TEXTGAN_CACHE_DIR`, else `$XDG_CACHE_HOME/textgan`, else `~/.cache/textgan`.
The version in the file name changes whenever the architecture or recipe changes, so a stale cache is
never read. It plays the part Inception-v3 plays in FID (Heusel et al., arXiv 1706.08500).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from textgan.errors import UserError

log = logging.getLogger(__name__)

VERSION = 1
EPOCHS, BATCH, LR, SEED = 15, 32, 1e-3, 0


class DigitClassifier(nn.Module):
    """(B, 1, 16, 16) in [-1, 1] -> logits (B, 10); `features` are the 64-d penultimate activations."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),               # (B, 16, 16, 16)
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),    # (B, 32, 8, 8)
            nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.ReLU(),    # (B, 32, 4, 4)
        )
        self.fc = nn.Linear(32 * 16, 64)
        self.head = nn.Linear(64, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.fc(self.conv(x).flatten(1)))              # (B, 64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))                           # (B, 10)


def cache_dir() -> Path:
    if os.environ.get("TEXTGAN_CACHE_DIR"):
        return Path(os.environ["TEXTGAN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "textgan"


@torch.inference_mode()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    model.eval()
    return float((model(images).argmax(dim=1) == labels).double().mean())


def train_classifier(train_x: torch.Tensor, train_y: torch.Tensor) -> DigitClassifier:
    """A fixed recipe (Adam 1e-3, 15 epochs, batches of 32), isolated from the global RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        model = DigitClassifier()
        opt = torch.optim.Adam(model.parameters(), lr=LR)
        gen = torch.Generator().manual_seed(SEED)
        for _ in range(EPOCHS):
            model.train()
            order = torch.randperm(len(train_y), generator=gen)
            for start in range(0, len(order), BATCH):
                idx = order[start:start + BATCH]
                loss = F.cross_entropy(model(train_x[idx]), train_y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
    return model.eval()


def load_or_train(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor,
                  test_y: torch.Tensor) -> tuple[DigitClassifier, dict]:
    """The cached classifier and its info ({"test_accuracy", "path"}); trains and caches it on first use."""
    folder = cache_dir()
    weights, meta = folder / f"digit_classifier_v{VERSION}.safetensors", folder / f"digit_classifier_v{VERSION}.json"
    # Built under a forked RNG: its random initialisation (overwritten by the cached weights) would otherwise
    # draw from the training stream at the first evaluation of every process, so a resumed run (one more
    # process) would draw once more than an uninterrupted one and the two would diverge.
    with torch.random.fork_rng(devices=[]):
        model = DigitClassifier()
    if weights.is_file() and meta.is_file():
        try:
            model.load_state_dict(load_file(weights))
            return model.eval(), {**json.loads(meta.read_text()), "path": str(weights)}
        except Exception as err:  # a damaged cache file: retrain rather than fail
            log.warning("digit classifier cache %s unreadable (%s); retraining", weights, err)
    log.info("training the digit classifier for the Fréchet distance (once; cached in %s)", folder)
    with torch.inference_mode(False):
        model = train_classifier(train_x, train_y)
    info = {"test_accuracy": accuracy(model, test_x, test_y), "train": len(train_y), "test": len(test_y),
            "version": VERSION}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # temporary names per process, then renames: concurrent runs never read or write half a file
        tmp_w, tmp_m = (path.with_name(f"{path.name}.{os.getpid()}.tmp") for path in (weights, meta))
        save_file(model.state_dict(), str(tmp_w))
        tmp_m.write_text(json.dumps(info))
        tmp_w.replace(weights)
        tmp_m.replace(meta)
    except OSError as err:
        raise UserError(f"cannot write the digit classifier cache in '{folder}' ({err.strerror}); "
                        "set TEXTGAN_CACHE_DIR to a writable folder") from None
    return model, {**info, "path": str(weights)}
