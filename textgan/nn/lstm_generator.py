"""LSTM language-model generator (SeqGAN, Yu et al. 2017, arXiv 1609.05473 — its G and its oracle).

Implements the generator protocol every algorithm relies on:
- `forward(tokens) -> logits (B, T, V)`: teacher forcing; logits[:, t] predicts tokens[:, t] from
  BOS + tokens[:, :t].
- `init_state(B)` and `step(inputs, state) -> (logits (B, V), state)`: one decoding step, where
  `inputs` are token ids (B,) or soft one-hot rows (B, V) (Gumbel-softmax models feed those back).
The state is a plain tuple of tensors (h, c), each (layers, B, H), so rollout code can index,
repeat and cache it without knowing the generator.
"""

from __future__ import annotations

import torch
from torch import nn


class LSTMGenerator(nn.Module):
    def __init__(self, vocab_size: int, emb_dim: int, hidden_dim: int, num_layers: int = 1,
                 dropout: float = 0.0, bos_id: int = 0, init_std: float | None = 0.1) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.bos_id = bos_id
        self.embedding = nn.Embedding(vocab_size, emb_dim)
        self.lstm = nn.LSTM(emb_dim, hidden_dim, num_layers=num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_dim, vocab_size)
        if init_std:
            # SeqGAN initialises every generator parameter from N(0, 0.1).
            for p in self.parameters():
                nn.init.normal_(p, std=init_std)

    def _bos(self, batch: int, device: torch.device) -> torch.Tensor:
        return torch.full((batch, 1), self.bos_id, dtype=torch.long, device=device)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (B, T) -> logits (B, T, V) under teacher forcing."""
        inputs = torch.cat([self._bos(tokens.shape[0], tokens.device), tokens[:, :-1]], dim=1)
        hidden, _ = self.lstm(self.dropout(self.embedding(inputs)))  # (B, T, H)
        return self.output(self.dropout(hidden))                       # (B, T, V)

    def init_state(self, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        weight = self.output.weight  # the state follows the weights' device and dtype (.double(), .half())
        zeros = torch.zeros(self.num_layers, batch, self.hidden_dim, device=weight.device, dtype=weight.dtype)
        return zeros, zeros.clone()

    def embed_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """Ids (B,) or soft one-hots (B, V) -> embeddings (B, E)."""
        if inputs.dtype == torch.long:
            return self.embedding(inputs)
        return inputs @ self.embedding.weight

    def step(self, inputs: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]
             ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """One decoding step: inputs (B,) ids or (B, V) soft -> logits (B, V), new state."""
        x = self.dropout(self.embed_inputs(inputs)).unsqueeze(1)  # (B, 1, E)
        out, state = self.lstm(x, state)
        return self.output(self.dropout(out[:, 0])), state
