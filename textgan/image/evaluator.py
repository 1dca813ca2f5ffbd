"""Evaluation of continuous GANs: the metrics that apply to the data's kind, and a PNG at every evaluation.

- points (ring8, grid25): `modes` (count covered) and `high_quality` (fraction within 3 std of a mode),
  the Unrolled-GAN / VEEGAN protocol (arXiv 1611.02163, 1705.07761), see `textgan/image/metrics.py`;
- images (digits): `fd` (Fréchet distance to the training digits in the feature space of the cached digit
  classifier) and the classifier's `label_entropy`, `marginal_entropy` and `inception_score`.

Like the text `Evaluator` it samples from a private, fixed-seed RNG, so evaluating never shifts the
training RNG stream (resumed runs stay identical). The loop calls `write_images` for the PNG.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from textgan.image.data import ContinuousData
from textgan.image.metrics import frechet_distance, gaussian_stats, label_entropy, mode_coverage
from textgan.image.plots import save_image_grid, save_scatter

CHUNK = 1000        # samples per generator / classifier call (bounds memory)
GRID_IMAGES = 100   # images in an evaluation's PNG grid (10 x 10)


@torch.inference_mode()
def generate(generator: nn.Module, num: int, seed: int, label: int | None = None) -> torch.Tensor:
    """`num` samples of G from z ~ N(0, I) drawn with a private generator seeded `seed`.

    Conditional generators get labels 0, 1, ..., C-1, 0, 1, ... (a balanced set), or `label` for every
    sample. G is put in eval mode (batch norm uses its running statistics) and restored to its previous mode
    after.
    """
    rng = torch.Generator().manual_seed(seed)
    device = next(generator.parameters()).device
    z = torch.randn(num, generator.z_dim, generator=rng).to(device)  # (N, z_dim)
    labels = torch.arange(num, device=device) % generator.num_classes if generator.num_classes else None
    if label is not None:
        labels = torch.full((num,), label, dtype=torch.long, device=device)
    was_training = generator.training
    generator.eval()
    try:
        out = [generator(z[i:i + CHUNK], None if labels is None else labels[i:i + CHUNK])
               for i in range(0, num, CHUNK)]
    finally:
        generator.train(was_training)
    return torch.cat(out).float().cpu()


class ContinuousEvaluator:
    def __init__(self, data: ContinuousData, cfg) -> None:
        self.data = data
        self.cfg = cfg
        self._classifier = None
        self._reference = None
        self.classifier_info: dict = {}

    # -- the digits classifier, loaded (or trained and cached) on first use ---------------------------

    def classifier(self):
        if self._classifier is None:
            from textgan.image.classifier import load_or_train
            from textgan.image.data import digits_split

            train_x, train_y, test_x, test_y = digits_split()  # the full split, whatever data.max_train is
            self._classifier, self.classifier_info = load_or_train(train_x, train_y, test_x, test_y)
            self._reference = gaussian_stats(self.features(self.data.train)[0].numpy())
        return self._classifier

    @torch.inference_mode()
    def features(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(features (N, 64), class probabilities (N, 10)) of images under the classifier."""
        model = self.classifier()
        feats = torch.cat([model.features(images[i:i + CHUNK]) for i in range(0, len(images), CHUNK)])
        return feats, model.head(feats).softmax(dim=1)

    def frechet_to_train(self, images: torch.Tensor) -> float:
        self.classifier()
        return frechet_distance(*gaussian_stats(self.features(images)[0].numpy()), *self._reference)

    # -- the evaluator protocol of the loop ---------------------------------------------------------

    def generate(self, generator: nn.Module, num: int | None = None, seed: int | None = None,
                 label: int | None = None) -> torch.Tensor:
        return generate(generator, num or self.cfg.num_samples, self.cfg.seed if seed is None else seed, label)

    def evaluate(self, generator: nn.Module) -> tuple[dict[str, float], torch.Tensor]:
        samples = self.generate(generator)
        return self.score(samples), samples

    def score(self, samples: torch.Tensor) -> dict[str, float]:
        if self.data.kind == "points":
            return mode_coverage(samples, self.data.modes, self.data.mode_std)
        feats, probs = self.features(samples)
        fd = frechet_distance(*gaussian_stats(feats.numpy()), *self._reference)
        return {"fd": fd, **label_entropy(probs)}

    def decode(self, samples: torch.Tensor) -> list[str]:
        """One line per sample for samples/*.txt: its values, space separated (images flattened row-major)."""
        return [" ".join(f"{v:.3f}" for v in row) for row in samples.flatten(1).tolist()]

    def write_images(self, samples: torch.Tensor, path: str | Path, limit: int = GRID_IMAGES) -> Path:
        """The PNG of an evaluation: a scatter plot with the modes (points), a grid of the first `limit`
        images, 10 a row (so a conditional model's columns are its classes)."""
        path = Path(path)
        if self.data.kind == "points":
            return save_scatter(samples, path, self.data.modes, title=path.stem)
        return save_image_grid(samples[:limit], path, columns=min(10, limit))
