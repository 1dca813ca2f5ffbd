"""Metrics of continuous samples: mode coverage of 2-D mixtures, Fréchet distance, classifier label entropy.

- `mode_coverage`: the protocol of Unrolled GAN (Metz et al., arXiv 1611.02163) and VEEGAN (Srivastava et
  al., arXiv 1705.07761): a sample is *high quality* when it lies within 3 standard deviations of its
  nearest mode; a mode is *covered* when it receives at least `min_share` (default 0.2, PacGAN's
  threshold, Lin et al. arXiv 1712.04086: 20 of 100 expected samples) of the high-quality samples a uniform
  generator would give it.
- `frechet_distance`: ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2)) between Gaussians fitted to two
  feature sets (FID, Heusel et al., arXiv 1706.08500, here in a small digit classifier's feature space).
- `label_entropy`: of a classifier's predictions on samples: mean H(y|x) (low = recognisable), H(y) of the
  mean prediction (high = all classes), and exp(H(y) - E H(y|x)), the Inception score of Salimans et al.
  (arXiv 1606.03498) with the digit classifier in place of Inception.
"""

from __future__ import annotations

import numpy as np
import torch


def mode_coverage(samples: torch.Tensor, modes: torch.Tensor, std: float,
                  min_share: float = 0.2) -> dict[str, float]:
    """samples (N, 2), modes (K, 2) -> {"modes": covered count, "high_quality": fraction of samples}."""
    dist = torch.cdist(samples.double(), modes.double())       # (N, K)
    nearest, which = dist.min(dim=1)                           # (N,)
    good = nearest <= 3.0 * std
    counts = torch.bincount(which[good], minlength=modes.shape[0])  # (K,)
    threshold = min_share * samples.shape[0] / modes.shape[0]
    return {"modes": float((counts >= max(threshold, 1.0)).sum()), "high_quality": float(good.double().mean())}


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    features = np.asarray(features, dtype=np.float64)
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Fréchet distance of N(mu1, cov1) and N(mu2, cov2).

    Tr (S1 S2)^(1/2) = sum of sqrt of the eigenvalues of S1^(1/2) S2 S1^(1/2), a symmetric PSD matrix, so
    no complex-valued matrix square root is needed.
    """
    root1 = _sqrt_psd(cov1)
    middle = np.linalg.eigvalsh(root1 @ cov2 @ root1)
    trace_sqrt = np.sqrt(np.clip(middle, 0.0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * trace_sqrt)


def label_entropy(probs: torch.Tensor) -> dict[str, float]:
    """probs (N, C) of a classifier on samples -> label_entropy, marginal_entropy, inception_score (nats)."""
    p = probs.double().clamp_min(1e-12)
    conditional = -(p * p.log()).sum(dim=1).mean()             # E_x H(y|x)
    marginal = p.mean(dim=0)
    marginal_entropy = -(marginal * marginal.log()).sum()      # H(y)
    return {"label_entropy": float(conditional), "marginal_entropy": float(marginal_entropy),
            "inception_score": float(torch.exp(marginal_entropy - conditional))}
