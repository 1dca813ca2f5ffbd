"""Leaked discriminator features of partial sequences (LeakGAN, Guo et al. 2018, arXiv 1709.08624).

LeakGAN's MANAGER reads f_t = F(s_t; phi_f), the feature vector of the CNN discriminator (its
`features()`: convolutions -> max-over-time pooling -> ReLU -> highway, before dropout and the output
layer; textgan/nn/cnn_discriminator.py) of the partial sequence s_t = y_0..y_{t-1}. As in the paper's
reference code, a prefix is scored as a full-length (T) sequence whose positions >= t are padding
with a *zero* embedding (the reference feeds id -1, whose embedding lookup is zero on its GPU kernel);
this is exactly `discriminator.features()` of a soft one-hot input whose rows >= t are zero.

Computing that naively costs one full discriminator pass per prefix. Both functions here use that a
window's convolution is a sum of per-token terms, conv_w(window s) = b + sum_k W_k e(y_{s+k}), and a
prefix of length t only keeps the terms with s + k < t:
- `prefix_features(disc, tokens)`: all T + 1 prefixes of a batch at once (teacher forcing):
  per-window cumulative sums over the offsets k, then a gather by how many offsets each prefix sees.
- `FeatureTracker`: the same features one token at a time, for the generator step protocol. Its
  state is the running max of the windows already complete, the partial sums of the (at most
  max width - 1) windows the next tokens still extend, and how many inputs were read.

Window starts run over s = 0..T'-1 with T' = max(T - w + 1, 1): a filter wider than T sees one
zero-padded window, as in `CNNDiscriminator`. Both functions equal `features()` to float rounding
(tests/nn/test_leakgan_generator.py).
"""

from __future__ import annotations

import torch
from torch import nn

from textgan.nn.cnn_discriminator import CNNDiscriminator


def _widths(disc: CNNDiscriminator) -> list[int]:
    return [conv.kernel_size[0] for conv in disc.convs]


@torch.no_grad()
def prefix_features(disc: CNNDiscriminator, tokens: torch.Tensor) -> torch.Tensor:
    """Features of every prefix of `tokens` (B, T): out[:, t] = F(y_0..y_{t-1}) -> (B, T + 1, F)."""
    batch, seq_len = tokens.shape
    emb = disc.embed(tokens)                                             # (B, T, E)
    lengths = torch.arange(seq_len + 1, device=tokens.device)            # prefix lengths t
    pooled = []
    for conv in disc.convs:
        width = conv.kernel_size[0]
        n_win = max(seq_len - width + 1, 1)
        padded = nn.functional.pad(emb, (0, 0, 0, n_win + width - 1 - seq_len))    # (B, n_win + w - 1, E)
        # terms[:, s, k] = W_k e(y_{s+k})
        terms = torch.stack([padded[:, k:k + n_win] @ conv.weight[:, :, k].T for k in range(width)], dim=2)
        zero = terms.new_zeros(batch, n_win, 1, terms.shape[-1])
        cum = torch.cat([zero, terms.cumsum(dim=2)], dim=2)             # (B, n_win, w + 1, F_w)
        starts = torch.arange(n_win, device=tokens.device)
        seen = (lengths[:, None] - starts[None, :]).clamp(0, width)      # (T+1, n_win) offsets inside prefix t
        values = cum[:, starts[None, :].expand_as(seen), seen]           # (B, T+1, n_win, F_w)
        pooled.append(values.amax(dim=2) + conv.bias)                    # (B, T+1, F_w)
    h = torch.relu(torch.cat(pooled, dim=-1))                            # (B, T+1, F)
    return disc._highway(h.flatten(0, 1)).view_as(h)


class FeatureTracker(nn.Module):
    """Incremental `prefix_features` for the step protocol; holds only index tables (no weights).

    State (every component has the batch in dim 1, as textgan/rollout.py needs):
    partial (K, B, F): partial[j] = sum of the window that started j tokens ago (K = max width - 1);
    best (1, B, F): running max of complete windows (-inf before the first); count (1, B): inputs read.
    The first input (BOS) adds no token; every later input y_{t} extends the prefix by one token.
    All rows of one `advance` call must have read the same number of inputs (true for sampling and
    for the batched rollouts, which advance every active row at the same position).
    """

    def __init__(self, widths: list[int], num_filters: list[int], seq_len: int) -> None:
        super().__init__()
        self.seq_len = seq_len
        self.slots = max(max(widths) - 1, 1)
        features = sum(num_filters)
        w = torch.cat([torch.full((n,), wd) for wd, n in zip(widths, num_filters)])           # (F,)
        n_win = (seq_len - w + 1).clamp(min=1)                                                 # (F,)
        # Row L of each table describes a prefix of L tokens (the token at position L - 1 was just added).
        count = torch.arange(seq_len + 1)[:, None]                                             # (T+1, 1)
        j = torch.arange(self.slots)[None, :, None]                                            # (1, K, 1)
        start = (count - 1)[:, :, None] - j                                                    # (T+1, K, F)
        self.register_buffer("partial_ok", ((count[:, :, None] > 0) & (j < w - 1) & (start >= 0)
                                            & (start <= n_win - 1)), persistent=False)         # (T+1, K, F)
        done_start = count - w                                                                 # (T+1, F)
        self.register_buffer("done_ok", (count > 0) & (done_start >= 0) & (done_start <= n_win - 1),
                             persistent=False)
        # windows starting at or after the prefix length still exist (their conv value is the bias)
        self.register_buffer("empty_ok", count <= n_win - 1, persistent=False)                  # (T+1, F)
        self.register_buffer("last_slot", (w - 1)[None, None, :], persistent=False)            # (1, 1, F)
        # where each packed projection column goes in the (K + 1, F) layout of offsets x channels
        offsets = torch.cumsum(torch.tensor([0, *num_filters[:-1]]), 0).tolist()
        cols = [k * features + o + torch.arange(n) for wd, n, o in zip(widths, num_filters, offsets) for k in range(wd)]
        self.register_buffer("columns", torch.cat(cols), persistent=False)                      # (sum w F_w,)
        self.features = features

    def init_state(self, batch: int, device: torch.device) -> tuple[torch.Tensor, ...]:
        partial = torch.zeros(self.slots, batch, self.features, device=device)
        best = torch.full((1, batch, self.features), float("-inf"), device=device)
        return partial, best, torch.zeros(1, batch, dtype=torch.long, device=device)

    @staticmethod
    def projection(disc: CNNDiscriminator) -> torch.Tensor:
        """(E, sum_w w F_w): W_k of every filter and offset k, packed (filter, then offset, then channel)."""
        return torch.cat([conv.weight.permute(1, 2, 0).flatten(1) for conv in disc.convs], dim=1)

    @torch.no_grad()
    def advance(self, disc: CNNDiscriminator, inputs: torch.Tensor, state: tuple[torch.Tensor, ...]
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """Read one input (ids (B,) or soft one-hots (B, V)) -> (feature of the prefix (B, F), new state)."""
        partial, best, count = state
        batch = partial.shape[1]
        # prefix length after this input: the first input (BOS) adds no token, input y_t adds position t
        c = count[0, :1].clamp(max=self.seq_len)                          # (1,) = inputs read before
        emb = disc.embed(inputs) * (c > 0).to(partial.dtype)               # (B, E)
        packed = emb @ self.projection(disc)                               # (B, sum w F_w): no zero blocks
        proj = packed.new_zeros(batch, (self.slots + 1) * self.features).index_copy_(1, self.columns, packed)
        proj = proj.view(batch, self.slots + 1, -1).transpose(0, 1)        # (K+1, B, F) term of offset k
        full = torch.cat([torch.zeros_like(partial[:1]), partial]) + proj  # (K+1, B, F): window started j ago
        done = full.gather(0, self.last_slot.expand(1, batch, -1))         # (1, B, F) windows completed now
        best = torch.where(self.done_ok.index_select(0, c)[:, None], torch.maximum(best, done), best)
        partial = full[:-1]
        ok = self.partial_ok.index_select(0, c)[0][:, None]                # (K, 1, F)
        pooled = torch.maximum(best, partial.masked_fill(~ok, float("-inf")).amax(dim=0, keepdim=True))
        pooled = torch.where(self.empty_ok.index_select(0, c)[:, None], pooled.clamp(min=0.0), pooled)
        bias = torch.cat([conv.bias for conv in disc.convs])
        feature = disc._highway(torch.relu(pooled[0] + bias))              # (B, F)
        return feature, (partial, best, count + 1)
