"""MaskGAN's discriminator and critic (Fedus, Goodfellow & Dai 2018, arXiv 1801.07736, Section 3).

The discriminator has the generator's seq2seq shape (`textgan/nn/seq2seq.py`): an LSTM encoder over the
masked context m(x) and an attentive LSTM decoder reading the filled-in sequence x_hat. Its decoder reads
x_hat_t at step t, so its output is D(x_hat_t | x_hat_0..t, m(x)): the probability that the token at
position t is the real one, one logit per position (B, T).

The critic estimates the value b_t = V(x_hat_0..t-1, m(x)), the expected discounted return from
position t on, the REINFORCE baseline. The paper implements it "as an additional head off the
discriminator"; here it is an MLP head reading the discriminator's decoder state *before* x_hat_t (the
encoder's final state at t = 0) and the encoder output at position t. Its input is detached: critic
regression trains the head only and never changes what D computes (the paper's code uses a separate
critic network; a detached head keeps D's objective clean in the same way).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from textgan.config import param
from textgan.nn.seq2seq import LuongAttention, Seq2SeqEncoder


@dataclass
class MaskDiscriminatorConfig:
    emb_dim: int = param(32, min=1, help="token embedding size of D's encoder and decoder")
    hidden_dim: int = param(32, min=1, help="LSTM hidden size of D's encoder and decoder")
    num_layers: int = param(1, min=1, help="stacked LSTM layers of D's encoder and decoder")
    dropout: float = param(0.0, min=0.0, max=0.99, help="dropout in D's LSTMs")
    lr: float = param(1e-3, min=0.0, min_exclusive=True, help="Adam lr of D (MaskGAN's code: 5e-4)")
    batch_size: int = param(64, min=1, help="real (and as many filled) sequences per D step")


class MaskDiscriminator(nn.Module):
    def __init__(self, vocab_size: int, emb_dim: int, hidden_dim: int, num_layers: int = 1,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.mask_id = vocab_size
        self.encoder = Seq2SeqEncoder(vocab_size, emb_dim, hidden_dim, num_layers, dropout)
        self.decoder = nn.LSTM(emb_dim + hidden_dim, hidden_dim, num_layers=num_layers, batch_first=True,
                               dropout=dropout if num_layers > 1 else 0.0)
        self.attention = LuongAttention(hidden_dim)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_dim, 1)
        self.critic = nn.Sequential(nn.Linear(2 * hidden_dim, hidden_dim), nn.Tanh(), nn.Linear(hidden_dim, 1))

    def features(self, masked: torch.Tensor, filled: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(attentional states (B, T, H), decoder states before each step (B, T, H), encoder memory)."""
        memory, (h, c) = self.encoder(masked)                              # (B, T, H)
        x = torch.cat([self.encoder.embedding(filled), memory], dim=-1)    # (B, T, E + H)
        out, _ = self.decoder(self.dropout(x), (h, c))                     # (B, T, H)
        att = self.attention(out, self.attention.key(memory), memory)
        before = torch.cat([h[-1][:, None], out[:, :-1]], dim=1)           # state after x_hat_<t
        return att, before, memory

    def forward(self, masked: torch.Tensor, filled: torch.Tensor) -> torch.Tensor:
        """Logits (B, T) of D(x_hat_t is real | x_hat_0..t, m(x)); masked, filled (B, T) ids."""
        att, _, _ = self.features(masked, filled)
        return self.output(self.dropout(att))[..., 0]

    def with_values(self, masked: torch.Tensor, filled: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(D's logits (B, T), the critic's values b_t (B, T)); values see D's features detached."""
        att, before, memory = self.features(masked, filled)
        logits = self.output(self.dropout(att))[..., 0]
        values = self.critic(torch.cat([before, memory], dim=-1).detach())[..., 0]
        return logits, values
