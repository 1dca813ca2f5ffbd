"""LeakGAN's hierarchical generator: a MANAGER and a WORKER LSTM guided by leaked D features.

Guo et al., "Long Text Generation via Adversarial Training with Leaked Information", AAAI 2018,
arXiv 1709.08624, Sec. "Generation Process". At step t (producing y_t from the prefix s_t = y_0..y_{t-1}):

    f_t      = F(s_t)                                  leaked feature of the prefix (textgan/nn/leaked_features.py)
    g_t      = M(f_t, h^M_{t-1}) / |.|                 MANAGER LSTM + linear head, unit-norm goal (F dims)
    w_t      = psi( sum_{i=1..c} g_{t-i} )             goals of the last c steps, linear projection psi (no
                                                       bias) to the goal embedding w_t (k dims; paper k = 16)
    O_t      = W(y_{t-1}, h^W_{t-1})                   WORKER LSTM; its output is a (V, k) matrix per row
    p(y_t)   = softmax(O_t w_t / alpha)                alpha: the sampling temperature (the samplers' knob)

Choices where the paper is silent (documented in docs/leakgan.md):
- Goals before the first step: the window starts as (g_init, 0, ..., 0) with one learned g_init, so
  w_0 = psi(g_init) and g_init drops out after c steps (the reference code keeps a learned goal_init).
- The feature network is the discriminator itself, held as the submodule `discriminator` so a saved
  generator samples on its own (`textgan.sample`); the algorithm trains it, never the generator's
  optimisers (`generator_parameters()` excludes it). Features carry no gradient into D.
- The worker never trains the manager: goals are detached on the worker's path (the paper trains
  the two "alternatively while fixing the other"); `unroll` also returns the goals with their graph
  for the manager's own losses.
- O_t w_t is computed as (h_t (x) w_t) @ W_out + w_t @ b_out, equal to reshaping W_out h_t + b_out
  to (V, k), without materialising a (rows, V, k) tensor.

Generator protocol: `forward(tokens) -> logits (B, T, V)`; `init_state(B)`, `step(inputs, state)`.
State (batch in dim 1): worker (h, c), manager (h, c), goal window (c, B, F), then the feature
tracker's (window sums, running max, inputs read).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from textgan.nn.cnn_discriminator import CNNDiscriminator
from textgan.nn.leaked_features import FeatureTracker, prefix_features


class Unrolled(NamedTuple):
    logits: torch.Tensor     # (B, T, V) next-token logits (goals detached)
    goals: torch.Tensor      # (B, T, F) unit goals g_0..g_{T-1}, with the manager's graph
    features: torch.Tensor   # (B, T + 1, F) leaked features f_0..f_T (no graph)


class LeakGANGenerator(nn.Module):
    def __init__(self, vocab_size: int, discriminator: CNNDiscriminator, seq_len: int, emb_dim: int = 32,
                 hidden_dim: int = 32, manager_dim: int = 32, goal_dim: int = 16, window: int = 4,
                 bos_id: int = 0, init_std: float | None = 0.1) -> None:
        super().__init__()
        self.vocab_size, self.seq_len, self.bos_id = vocab_size, seq_len, bos_id
        self.hidden_dim, self.manager_dim, self.goal_dim, self.window = hidden_dim, manager_dim, goal_dim, window
        self.discriminator = discriminator
        widths = [conv.kernel_size[0] for conv in discriminator.convs]
        counts = [conv.out_channels for conv in discriminator.convs]
        self.feature_dim = sum(counts)
        self.tracker = FeatureTracker(widths, counts, seq_len)
        # WORKER
        self.embedding = nn.Embedding(vocab_size, emb_dim)
        self.worker = nn.LSTM(emb_dim, hidden_dim, batch_first=True)
        self.out_weight = nn.Parameter(torch.empty(hidden_dim * goal_dim, vocab_size))   # (H k, V)
        self.out_bias = nn.Parameter(torch.empty(goal_dim, vocab_size))                  # (k, V)
        self.psi = nn.Linear(self.feature_dim, goal_dim, bias=False)
        self.goal_init = nn.Parameter(torch.empty(self.feature_dim))
        # MANAGER
        self.manager = nn.LSTM(self.feature_dim, manager_dim, batch_first=True)
        self.goal_head = nn.Linear(manager_dim, self.feature_dim)
        for p in self.generator_parameters():
            if init_std:
                nn.init.normal_(p, std=init_std)   # the reference code: every G weight from N(0, 0.1)
            elif p.dim() < 2:
                nn.init.zeros_(p)
            else:
                nn.init.xavier_uniform_(p)

    # -- parameter groups ------------------------------------------------------------------------

    def worker_parameters(self) -> list[nn.Parameter]:
        return [*self.embedding.parameters(), *self.worker.parameters(), self.out_weight, self.out_bias,
                *self.psi.parameters(), self.goal_init]

    def manager_parameters(self) -> list[nn.Parameter]:
        return [*self.manager.parameters(), *self.goal_head.parameters()]

    def generator_parameters(self) -> list[nn.Parameter]:
        return self.worker_parameters() + self.manager_parameters()

    # -- pieces ----------------------------------------------------------------------------------

    def _goal(self, manager_out: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.goal_head(manager_out), dim=-1)                # unit-norm goals

    def _logits(self, hidden: torch.Tensor, goal_sum: torch.Tensor) -> torch.Tensor:
        """hidden (..., H), summed goals (..., F) -> logits (..., V) = O_t w_t."""
        w = self.psi(goal_sum)                                                  # (..., k)
        outer = (hidden[..., :, None] * w[..., None, :]).flatten(-2)            # (..., H k)
        # The bias term accumulates into the product in place (BLAS beta = 1) instead of a second (rows, V)
        # product plus an add: two fewer (rows, V) temporaries, whose writes were a quarter of this layer's
        # time at V = 5,000. Same sums (bit for bit equal to the two-product form on the CPUs measured).
        logits = (outer.flatten(0, -2) @ self.out_weight).addmm_(w.flatten(0, -2), self.out_bias)
        return logits.view(*outer.shape[:-1], -1)

    def window_sums(self, goals: torch.Tensor) -> torch.Tensor:
        """sum_{i=1..c} g_{t-i} for every t, goals (B, T, F) -> (B, T, F); missing goals: (g_init, 0, ...)."""
        batch, _, feat = goals.shape
        head = torch.zeros(batch, self.window, feat, dtype=goals.dtype, device=goals.device)
        head[:, -1] = self.goal_init
        padded = torch.cat([head, goals[:, :-1]], dim=1)                        # (B, T + c - 1, F)
        return padded.unfold(1, self.window, 1).sum(dim=-1)                     # (B, T, F)

    # -- teacher forcing -------------------------------------------------------------------------

    def unroll(self, tokens: torch.Tensor) -> Unrolled:
        """Teacher-forced pass over `tokens` (B, T): logits, goals and leaked features."""
        length = tokens.shape[1]
        if length > self.seq_len:
            raise ValueError(f"LeakGAN's generator reads at most its discriminator's {self.seq_len} tokens, "
                             f"got {length}")
        # A prefix's feature is D's feature of the prefix zero-padded to D's full length (as the step
        # protocol's tracker computes it), so a shorter batch is padded before its prefixes are scored:
        # scored at its own length, D would see fewer windows, and forward would disagree with step. The
        # padding's ids are never read: prefix t holds only y_0..y_{t-1}.
        padded = nn.functional.pad(tokens, (0, self.seq_len - length), value=self.bos_id)
        features = prefix_features(self.discriminator, padded)[:, :length + 1]  # (B, T+1, F)
        manager_out, _ = self.manager(features[:, :-1])                         # (B, T, Hm)
        goals = self._goal(manager_out)                                         # (B, T, F)
        bos = torch.full((tokens.shape[0], 1), self.bos_id, dtype=torch.long, device=tokens.device)
        hidden, _ = self.worker(self.embedding(torch.cat([bos, tokens[:, :-1]], dim=1)))  # (B, T, H)
        logits = self._logits(hidden, self.window_sums(goals.detach()))        # (B, T, V)
        return Unrolled(logits, goals, features)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (B, T) -> logits (B, T, V) under teacher forcing."""
        return self.unroll(tokens).logits

    # -- step protocol ---------------------------------------------------------------------------

    def init_state(self, batch: int) -> tuple[torch.Tensor, ...]:
        device = self.out_weight.device
        zeros = torch.zeros(1, batch, self.hidden_dim, device=device)
        m_zeros = torch.zeros(1, batch, self.manager_dim, device=device)
        goals = torch.zeros(self.window, batch, self.feature_dim, device=device)
        goals[-1] = self.goal_init.detach()
        return (zeros, zeros.clone(), m_zeros, m_zeros.clone(), goals,
                *self.tracker.init_state(batch, device))

    def step(self, inputs: torch.Tensor, state: tuple[torch.Tensor, ...]
             ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """inputs (B,) ids or (B, V) soft one-hots -> logits (B, V), new state."""
        wh, wc, mh, mc, goals = state[:5]
        feature, tracked = self.tracker.advance(self.discriminator, inputs, state[5:])   # f_t (B, F)
        m_out, (mh, mc) = self.manager(feature[:, None], (mh, mc))
        goal = self._goal(m_out[:, 0])                                          # g_t (B, F)
        x = self.embedding(inputs) if inputs.dtype == torch.long else inputs @ self.embedding.weight
        w_out, (wh, wc) = self.worker(x[:, None], (wh, wc))
        logits = self._logits(w_out[:, 0], goals.sum(dim=0))                     # uses g_{t-c}..g_{t-1}
        goals = torch.cat([goals[1:], goal[None]])                              # slide the window
        return logits, (wh, wc, mh, mc, goals, *tracked)


def intrinsic_rewards(features: torch.Tensor, goals: torch.Tensor, window: int) -> torch.Tensor:
    """The WORKER's intrinsic reward for each token (paper eq. for r^I_t), (B, T).

    Token y_j moves the prefix to s_{j+1}; its reward is the mean over i = 1..c (with j + 1 - i >= 0) of
    cos(f_{j+1} - f_{j+1-i}, g_{j+1-i}). features (B, T + 1, F), goals (B, T, F).
    """
    batch, seq_len = goals.shape[:2]
    total = features.new_zeros(batch, seq_len)
    count = features.new_zeros(seq_len)
    for i in range(1, min(window, seq_len) + 1):
        change = features[:, i:] - features[:, : seq_len + 1 - i]               # f_L - f_{L-i}, L = i..T
        cos = F.cosine_similarity(change, goals[:, : seq_len + 1 - i], dim=-1)   # (B, T + 1 - i)
        total[:, i - 1:] += cos
        count[i - 1:] += 1
    return total / count


def manager_cosines(features: torch.Tensor, goals: torch.Tensor, window: int) -> torch.Tensor:
    """cos(f_{t+c} - f_t, g_t) for t = 0..T-c -> (B, T - c + 1): how well each goal points the way
    the leaked features move over the next c tokens (the MANAGER's objective)."""
    seq_len = goals.shape[1]
    span = seq_len - window + 1
    return F.cosine_similarity(features[:, window:window + span] - features[:, :span], goals[:, :span], dim=-1)
