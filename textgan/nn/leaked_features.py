"""Leaked discriminator features of partial sequences (LeakGAN, Guo et al. 2018, arXiv 1709.08624).

LeakGAN's MANAGER reads f_t = F(s_t; phi_f), the feature vector of the CNN discriminator (its
`features()`: convolutions -> max-over-time pooling -> ReLU -> highway, before dropout and the output
layer; textgan/nn/cnn_discriminator.py) of the partial sequence s_t = y_0..y_{t-1}. As in the paper's
reference code, a prefix is scored as a full-length (T) sequence whose positions >= t are padding;
ours is a *zero* embedding (the reference feeds id -1 into a lookup shifted by one, i.e. a fixed random row
D never trains; a zero vector carries no arbitrary signal), which is exactly `discriminator.features()` of a
soft one-hot input whose rows >= t are zero.

Computing that naively costs one full discriminator pass per prefix. Both functions here use that a
window's convolution is a sum of per-token terms, conv_w(window s) = b + sum_k W_k e(y_{s+k}), and a
prefix of length t only keeps the terms with s + k < t:
- `prefix_features(disc, tokens)`: all T + 1 prefixes of a batch at once (teacher forcing):
  per-window cumulative sums over the offsets k, then a gather by how many offsets each prefix sees.
- `FeatureTracker`: the same features one token at a time, for the generator step protocol. Its
  state is the running max of the windows already complete, the partial sums of the windows the
  next tokens still extend (w - 1 of them per filter of width w, plus the one completed last), and
  how many inputs were read.

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
    windows (1, B, N): the sums so far of the windows the last token added to, laid out like the packed
    projection (`projection`, N = sum_w w F_w): for a filter of width w, slot k of its (w, F_w) block
    holds the window that started k tokens ago (slot w - 1: the one that token completed); windows
    whose start is not one of D's window starts hold -inf. best (1, B, F): running max of complete
    windows (-inf before the first). count (1, B): inputs read.
    The first input (BOS) adds no token; every later input y_{t} extends the prefix by one token.
    All rows of one `advance` call must have read the same number of inputs (true for sampling and
    for the batched rollouts, which advance every active row at the same position).

    Why this layout: a step adds the new token's projection (B, N) to the windows shifted by one slot,
    which in the packed layout is one in-place add of contiguous column ranges per filter. The earlier
    layout padded every filter to the widest filter's slots (8,600 columns for configs/leakgan.yaml's D
    at length 20, against N = 3,125 here) and scattered the projection into it with `index_copy_`; its
    (B, 8,600) copies, masks and concatenations took about half of LeakGAN's step (B = 2,000, one
    thread). A window whose start is invalid stays invalid as it ages, so setting it to -inf once, when
    it begins (slot 0), masks it for good: no per-step mask over all slots. The values are the same sums
    and maxima as before, computed in the same order.
    """

    def __init__(self, widths: list[int], num_filters: list[int], seq_len: int) -> None:
        super().__init__()
        self.seq_len = seq_len
        self.features = sum(num_filters)
        # (width, channels, first packed column) of each filter
        cols = torch.cumsum(torch.tensor([0] + [w * n for w, n in zip(widths, num_filters)]), 0).tolist()
        self.blocks = list(zip(widths, num_filters, cols[:-1]))
        self.size = cols[-1]                                                                   # N
        # The projection's matmul runs ~1.8x faster with its output width a multiple of 16 (measured on
        # AVX512 at N = 3,125 and 64-2,000 rows: the ragged tail falls off the kernel's fast path), so it
        # is computed with zero columns appended and the padding sliced off (same values, bit for bit).
        self.padding = -self.size % 16
        w = torch.tensor(widths)
        n_win = (seq_len - w + 1).clamp(min=1)                                                 # (filters,)
        # Row L of each table describes a prefix of L tokens (the token at position L - 1 was just added).
        count = torch.arange(seq_len + 1)[:, None]                                             # (T+1, 1)
        # True where the window beginning at the new token (start L - 1) is NOT one of D's windows (no token yet,
        # or a start past the last window): such a window is set to -inf when it begins and never counts
        self.register_buffer("starts_bad", (count == 0) | (count - 1 > n_win - 1), persistent=False)  # (T+1, filters)
        # windows starting at or after the prefix length still exist (their conv value is the bias)
        w_f = torch.cat([torch.full((n,), wd) for wd, n in zip(widths, num_filters)])         # (F,)
        self.register_buffer("empty_ok", count <= (seq_len - w_f + 1).clamp(min=1) - 1, persistent=False)  # (T+1, F)

    def init_state(self, batch: int, device: torch.device) -> tuple[torch.Tensor, ...]:
        windows = torch.full((1, batch, self.size), float("-inf"), device=device)
        best = torch.full((1, batch, self.features), float("-inf"), device=device)
        return windows, best, torch.zeros(1, batch, dtype=torch.long, device=device)

    @staticmethod
    def projection(disc: CNNDiscriminator) -> torch.Tensor:
        """(E, sum_w w F_w): W_k of every filter and offset k, packed (filter, then offset, then channel)."""
        return torch.cat([conv.weight.permute(1, 2, 0).flatten(1) for conv in disc.convs], dim=1)

    @torch.no_grad()
    def advance(self, disc: CNNDiscriminator, inputs: torch.Tensor, state: tuple[torch.Tensor, ...]
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """Read one input (ids (B,) or soft one-hots (B, V)) -> (feature of the prefix (B, F), new state)."""
        old, best, count = state
        batch = old.shape[1]
        # prefix length after this input: the first input (BOS) adds no token, input y_t adds position t
        # (read from the state as a (1,) tensor, not a Python int, so a GPU step never synchronises)
        c = count[0, :1].clamp(max=self.seq_len)                          # (1,) = inputs read before
        emb = disc.embed(inputs) * (c > 0).to(old.dtype)                   # (B, E)
        weight = nn.functional.pad(self.projection(disc), (0, self.padding))
        windows = (emb @ weight)[:, :self.size]                            # (B, N): term of offset k, then ...
        bad = self.starts_bad.index_select(0, c)                           # (1, filters)
        maxima, done = [], []
        for f, (width, n, col) in enumerate(self.blocks):
            block = windows[:, col:col + width * n].view(batch, width, n)  # (B, w, F_w)
            if width > 1:   # ... plus the window started k - 1 tokens ago, for k >= 1
                block[:, 1:] += old[0, :, col:col + (width - 1) * n].reshape(batch, width - 1, n)
            block[:, 0].masked_fill_(bad[:, f:f + 1], float("-inf"))     # a start D never has
            maxima.append(block.amax(dim=1))                               # every window under way
            done.append(block[:, width - 1])                               # windows complete now
        pooled = torch.maximum(best[0], torch.cat(maxima, dim=1))         # (B, F)
        best = torch.maximum(best, torch.cat(done, dim=1)[None])
        pooled = torch.where(self.empty_ok.index_select(0, c), pooled.clamp(min=0.0), pooled)
        bias = torch.cat([conv.bias for conv in disc.convs])
        feature = disc._highway(torch.relu(pooled + bias))                 # (B, F)
        return feature, (windows[None], best, count + 1)
