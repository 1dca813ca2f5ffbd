"""Kim-style CNN text discriminator with a highway layer (SeqGAN, Yu et al. 2017, arXiv 1609.05473).

The discriminator of SeqGAN (and of MaliGAN, RankGAN and LeakGAN after it): token embedding →
1-D convolutions of several widths → ReLU → max-over-time pooling → one highway layer → dropout →
a linear layer giving one logit per sequence, `D(x) = sigmoid(logit)` = probability that x is real.

Inputs are ids (B, T) or soft one-hots (B, T, V) (multiplied into the embedding matrix), so
Gumbel-softmax models can backpropagate through it; a soft one-hot of ids gives the ids' output.

Differences from SeqGAN's TensorFlow code, all deliberate:
- One logit instead of two softmax classes (softmax over two scores is sigmoid of their difference).
- L2: SeqGAN adds `l2 * (tf.nn.l2_loss(W) + tf.nn.l2_loss(b))` of the *output layer only*
  (l2 = 0.2; tf.nn.l2_loss(x) = sum(x^2) / 2); nothing else is regularised. Two class columns
  (w0, w1) with difference w = w1 - w0 have sum of squares at least |w|^2 / 2, reached at
  w1 = -w0 = w / 2, so the equivalent penalty on our single logit is `l2 * (|w|^2 + b^2) / 4`.
- Filters wider than the sequence: SeqGAN's widths go up to 20 and its sequences are exactly 20 long.
  For shorter sequences (T < width) we zero-pad the *embedded* sequence on the right to that filter's
  width, for that filter only (narrower filters still see exactly the T real positions). Zero
  embeddings rather than a pad token, so ids and soft one-hots pad identically.
- Highway weights use Xavier-uniform init with zero biases (SeqGAN: TF's default glorot init);
  embedding U(-1, 1), conv and output weights truncated N(0, 0.1) with bias 0.1, as in SeqGAN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from textgan.config import ConfigError, param
from textgan.nn.kinds import DISCRIMINATORS

# SeqGAN's discriminator (sequence_gan.py): widths 1..10, 15, 20.
SEQGAN_FILTER_SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20]
SEQGAN_NUM_FILTERS = [100, 200, 200, 200, 200, 100, 100, 100, 100, 100, 160, 160]


def kind_param(default: str):
    """The `discriminator.kind` field (a config class of another kind declares it with its own default)."""
    return param(default, choices=DISCRIMINATORS, help="discriminator architecture (textgan.nn.DISCRIMINATORS; "
                                                       "register_discriminator adds one)")


@dataclass
class DiscriminatorConfig:
    kind: str = kind_param("cnn")
    emb_dim: int = param(64, min=1, help="token embedding size (SeqGAN: 64)")
    # The defaults are a small, fast discriminator (the quick CPU profile); SeqGAN's is
    # filter_sizes [1..10, 15, 20] with num_filters [100, 200, 200, 200, 200, 100 x 5, 160, 160].
    filter_sizes: list[int] = param([2, 3, 4, 5], min=1, help="convolution widths (tokens)")
    num_filters: list[int] = param([32, 32, 32, 32], min=1, help="filters per width (same length)")
    highway: bool = param(True, help="one highway layer after pooling (SeqGAN: yes)")
    dropout: float = param(0.25, min=0.0, max=0.99, help="drop probability before the output (SeqGAN keep 0.75)")
    lr: float = param(1e-4, min=0.0, min_exclusive=True, help="Adam learning rate (SeqGAN: 1e-4)")
    l2: float = param(0.2, min=0.0, help="L2 weight on the output layer, SeqGAN's convention (SeqGAN: 0.2)")
    batch_size: int = param(64, min=1, help="mini-batch of D training (SeqGAN: 64)")


def check_discriminator_config(cfg: DiscriminatorConfig) -> None:
    """Cross-field checks (`param` validates each field alone)."""
    if len(cfg.filter_sizes) != len(cfg.num_filters):
        raise ConfigError(f"config keys 'discriminator.filter_sizes' ({len(cfg.filter_sizes)} entries) and "
                          f"'discriminator.num_filters' ({len(cfg.num_filters)}) must have the same length")
    if not cfg.filter_sizes:
        raise ConfigError("config key 'discriminator.filter_sizes' must list at least one width")


class CNNDiscriminator(nn.Module):
    def __init__(self, vocab_size: int, emb_dim: int, filter_sizes: list[int], num_filters: list[int],
                 dropout: float = 0.25, highway: bool = True) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, emb_dim)
        self.convs = nn.ModuleList(nn.Conv1d(emb_dim, n, w) for w, n in zip(filter_sizes, num_filters))
        features = sum(num_filters)
        # Transform and gate of the highway layer as one (F, 2F) matmul instead of two.
        self.highway = nn.Linear(features, 2 * features) if highway else None
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(features, 1)
        nn.init.uniform_(self.embedding.weight, -1.0, 1.0)
        for layer in [*self.convs, self.output]:
            nn.init.trunc_normal_(layer.weight, std=0.1, a=-0.2, b=0.2)
            nn.init.constant_(layer.bias, 0.1)
        if self.highway is not None:
            nn.init.xavier_uniform_(self.highway.weight[:features])
            nn.init.xavier_uniform_(self.highway.weight[features:])
            nn.init.zeros_(self.highway.bias)

    def embed(self, inputs: torch.Tensor) -> torch.Tensor:
        """Ids (B, T) or soft one-hots (B, T, V) -> embeddings (B, T, E)."""
        if inputs.dtype == torch.long:
            return self.embedding(inputs)
        return inputs @ self.embedding.weight

    def features(self, inputs: torch.Tensor) -> torch.Tensor:
        """Pooled (and highway-mixed) features (B, F) before dropout and the output layer."""
        emb = self.embed(inputs).transpose(1, 2)                  # (B, E, T)
        seq_len = emb.shape[2]
        pooled = []
        for conv in self.convs:
            width = conv.kernel_size[0]
            x = F.pad(emb, (0, width - seq_len)) if width > seq_len else emb
            # max and ReLU commute (ReLU is monotone): pool first, then ReLU the (B, F_w) maxima only.
            pooled.append(conv(x).amax(dim=2))                    # (B, F_w)
        return self._highway(torch.relu(torch.cat(pooled, dim=1)))  # (B, F)

    def _highway(self, h: torch.Tensor) -> torch.Tensor:
        """h (B, F) -> gate * relu(W_h h + b_h) + (1 - gate) * h, gate = sigmoid(W_t h + b_t)."""
        if self.highway is None:
            return h
        transform, gate = self.highway(h).chunk(2, dim=1)         # (B, F) each
        gate = torch.sigmoid(gate)                                # SeqGAN's gate bias offset is 0
        return gate * torch.relu(transform) + (1.0 - gate) * h

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Ids (B, T) or soft one-hots (B, T, V) -> one logit per sequence (B,)."""
        return self.output(self.dropout(self.features(inputs))).squeeze(1)

    @torch.inference_mode()
    def scorer(self) -> Callable[[torch.Tensor], torch.Tensor]:
        """A frozen, inference-only `ids (N, T) -> logits (N,)` for bulk scoring, equal to the forward
        pass in evaluation mode.

        Convolving embedded ids is a sum of per-token projections: conv_w(x)_s = b + sum_k P_{w,k}[x_{s+k}]
        with P_{w,k} = E @ W_{w,k} (V, F_w). The tables (V * sum_w w * F_w floats, ~250 MB for SeqGAN's
        D at vocab 5,000) are built once from the current weights, then every window is one fused
        gather-and-sum (`embedding_bag`) instead of w * E * F_w multiply-adds: about 2x cheaper for
        SeqGAN's D, worth it when tens of thousands of rollouts are scored with the same weights.
        Rebuild it after D's weights change. Dropout is off (eval semantics).
        """
        vocab = self.vocab_size
        tables = []
        for conv in self.convs:
            width = conv.kernel_size[0]
            # table[k * V + v] = E[v] @ W[:, :, k].T    -> (width * V, F_w)
            tables.append(torch.einsum("ve,fek->kvf", self.embedding.weight, conv.weight)
                          .reshape(width * vocab, -1).contiguous())
        biases = [conv.bias.detach().clone() for conv in self.convs]

        @torch.inference_mode()
        def score(ids: torch.Tensor) -> torch.Tensor:
            n, seq_len = ids.shape
            pooled = []
            for conv, table, bias in zip(self.convs, tables, biases):
                width = conv.kernel_size[0]
                span = min(width, seq_len)  # a filter wider than T sees T tokens and zero padding
                offsets = torch.arange(span, device=ids.device) * vocab
                windows = ids.unfold(1, span, 1) + offsets                     # (N, T - span + 1, span)
                summed = F.embedding_bag(windows.reshape(-1, span), table, mode="sum")
                pooled.append(summed.view(n, seq_len - span + 1, -1).amax(dim=1) + bias)  # (N, F_w)
            return self.output(self._highway(torch.relu(torch.cat(pooled, dim=1)))).squeeze(1)

        return score

    def l2_penalty(self) -> torch.Tensor:
        """SeqGAN's output-layer L2 term for a single logit (see the module docstring), before `l2`."""
        return 0.25 * (self.output.weight.square().sum() + self.output.bias.square().sum())


def build_cnn_discriminator(cfg: DiscriminatorConfig, vocab_size: int) -> CNNDiscriminator:
    check_discriminator_config(cfg)
    return CNNDiscriminator(vocab_size, cfg.emb_dim, list(cfg.filter_sizes), list(cfg.num_filters),
                            cfg.dropout, cfg.highway)
