"""RelGAN's multi-representation CNN discriminator (Nie et al., ICLR 2019, Sec. 2.3 and its code).

Instead of one embedding of the (soft) one-hot input, D embeds it into `num_rep` representations of
emb_dim / num_rep units each (one (V, emb_dim) matrix, split into num_rep column groups), and runs the
same CNN over every representation independently:

    one-hots (B, T, V) -> embed (B, T, R, d) -> per representation: convolutions of widths w over time
    (kernel (w, d), shared by all representations) -> ReLU -> max over time -> (B*R, F)
    -> highway (bias-free, gate bias 0) -> dropout -> linear (F -> fc_dim) -> linear (fc_dim -> 1)

giving one logit per (sequence, representation), (B, R). RelGAN's loss treats each of them as a
sample (real and fake paired by index), so `logits_per_representation` is what the Gumbel-softmax GAN
phase trains on; `forward` returns their mean (B,) so this D also satisfies the plain discriminator
protocol (SeqGAN rollouts, `discriminator.kind=relgan` for any model).

RelGAN's code: emb_dim 64 and num_rep 64 (so each representation is one unit wide), widths [2, 3, 4, 5]
with 300 filters each, fc 100, dropout keep 0.75, no spectral norm by default; embedding truncated
N(0, 1/V), convolutions truncated N(0, 2 / (w d)), linear layers truncated N(0, 1/fan_in), biases 0.
Filters wider than the sequence see the sequence zero-padded on the right (as `cnn_discriminator.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from textgan.config import ConfigError, param
from textgan.nn.cnn_discriminator import DiscriminatorConfig, kind_param


@dataclass
class RelGANDiscriminatorConfig(DiscriminatorConfig):
    """DiscriminatorConfig with RelGAN's layout and its two extra keys (num_rep, fc_dim).

    The defaults are the quick CPU profile (16 representations, 64 filters per width); RelGAN's values
    are in the help texts and configs/paper/relgan_oracle.yaml.
    """

    kind: str = kind_param("relgan")
    emb_dim: int = param(64, min=1, help="total embedding size, split over num_rep representations (RelGAN: 64)")
    num_rep: int = param(16, min=1, help="embedded representations; must divide emb_dim (RelGAN: 64)")
    filter_sizes: list[int] = param([2, 3, 4, 5], min=1, help="convolution widths (tokens) (RelGAN: 2..5)")
    num_filters: list[int] = param([64, 64, 64, 64], min=1, help="filters per width (RelGAN: 300 each)")
    fc_dim: int = param(100, min=1, help="hidden units of the linear layer before the logit (RelGAN: 100)")
    dropout: float = param(0.25, min=0.0, max=0.99, help="drop probability before the fc layer (RelGAN keep 0.75)")
    lr: float = param(1e-4, min=0.0, min_exclusive=True, help="Adam learning rate (RelGAN: 1e-4)")
    l2: float = param(0.0, min=0.0, help="L2 weight on the output layer (RelGAN: none)")


def _trunc_normal_(weight: torch.Tensor, std: float) -> None:
    nn.init.trunc_normal_(weight, std=std, a=-2 * std, b=2 * std)


class MultiRepDiscriminator(nn.Module):
    def __init__(self, vocab_size: int, emb_dim: int, num_rep: int, filter_sizes: list[int],
                 num_filters: list[int], fc_dim: int = 100, dropout: float = 0.25, highway: bool = True) -> None:
        super().__init__()
        if emb_dim % num_rep:
            raise ConfigError(f"config key 'discriminator.num_rep' ({num_rep}) must divide "
                              f"'discriminator.emb_dim' ({emb_dim})")
        self.vocab_size, self.num_rep, self.rep_dim = vocab_size, num_rep, emb_dim // num_rep
        self.embedding = nn.Embedding(vocab_size, emb_dim)
        _trunc_normal_(self.embedding.weight, 1.0 / math.sqrt(vocab_size))
        self.convs = nn.ModuleList(nn.Conv2d(1, n, (w, self.rep_dim)) for w, n in zip(filter_sizes, num_filters))
        for conv, w in zip(self.convs, filter_sizes):
            _trunc_normal_(conv.weight, math.sqrt(2.0 / (w * self.rep_dim)))
            nn.init.zeros_(conv.bias)
        features = sum(num_filters)
        # transform and gate of the highway layer as one bias-free (F, 2F) matmul
        self.highway = nn.Linear(features, 2 * features, bias=False) if highway else None
        if self.highway is not None:
            _trunc_normal_(self.highway.weight, 1.0 / math.sqrt(features))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(features, fc_dim)
        self.output = nn.Linear(fc_dim, 1)
        for layer in (self.fc, self.output):
            _trunc_normal_(layer.weight, 1.0 / math.sqrt(layer.in_features))
            nn.init.zeros_(layer.bias)

    def embed(self, inputs: torch.Tensor) -> torch.Tensor:
        """Ids (B, T) or soft one-hots (B, T, V) -> embeddings (B, T, emb_dim)."""
        if inputs.dtype == torch.long:
            return self.embedding(inputs)
        return inputs @ self.embedding.weight

    def logits_per_representation(self, inputs: torch.Tensor) -> torch.Tensor:
        """Ids (B, T) or soft one-hots (B, T, V) -> one logit per sequence and representation (B, R)."""
        emb = self.embed(inputs)                                                   # (B, T, R*d)
        b, t, _ = emb.shape
        x = emb.view(b, t, self.num_rep, self.rep_dim).transpose(1, 2)            # (B, R, T, d)
        x = x.reshape(b * self.num_rep, 1, t, self.rep_dim)                       # (B*R, 1, T, d)
        pooled = []
        for conv in self.convs:
            width = conv.kernel_size[0]
            xi = F.pad(x, (0, 0, 0, width - t)) if width > t else x
            # max and ReLU commute: pool first, ReLU the (B*R, F_w) maxima only
            pooled.append(conv(xi).amax(dim=(2, 3)))                              # (B*R, F_w)
        h = torch.relu(torch.cat(pooled, dim=1))                                  # (B*R, F)
        if self.highway is not None:
            transform, gate = self.highway(h).chunk(2, dim=1)
            gate = torch.sigmoid(gate)
            h = gate * torch.relu(transform) + (1.0 - gate) * h
        out = self.output(self.fc(self.dropout(h)))                               # (B*R, 1); no activation between
        return out.view(b, self.num_rep)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Ids (B, T) or soft one-hots (B, T, V) -> the mean logit over representations (B,)."""
        return self.logits_per_representation(inputs).mean(dim=1)

    def l2_penalty(self) -> torch.Tensor:
        return 0.5 * (self.output.weight.square().sum() + self.output.bias.square().sum())


def build_relgan_discriminator(cfg, vocab_size: int) -> MultiRepDiscriminator:
    if len(cfg.filter_sizes) != len(cfg.num_filters) or not cfg.filter_sizes:
        raise ConfigError(f"config keys 'discriminator.filter_sizes' ({len(cfg.filter_sizes)} entries) and "
                          f"'discriminator.num_filters' ({len(cfg.num_filters)}) must be non-empty and "
                          "of the same length")
    # A plain DiscriminatorConfig (e.g. SeqGAN's section with kind=relgan) has no num_rep / fc_dim:
    # RelGAN's values then apply.
    return MultiRepDiscriminator(vocab_size, cfg.emb_dim, getattr(cfg, "num_rep", 64), list(cfg.filter_sizes),
                                 list(cfg.num_filters), getattr(cfg, "fc_dim", 100), cfg.dropout, cfg.highway)
