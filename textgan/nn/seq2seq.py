"""MaskGAN's in-filling generator: an LSTM encoder over the masked sequence and an attentive LSTM decoder.

MaskGAN (Fedus, Goodfellow & Dai 2018, arXiv 1801.07736), Section 3: the encoder reads m(x), the
sequence with its masked positions replaced by a mask token; the decoder fills the sequence left to
right, conditioned on m(x) through attention (Luong et al. 2015, "general" score, as the paper's code's
`attention_option=luong`) and on what it has filled so far. Embeddings are shared by encoder and decoder
(the paper's `seq2seq_share_embedding`); the mask token is one extra row (id = vocab_size) that the
decoder never predicts.

Input and output are aligned position by position, so the decoder's input at step t is
[embedding of the previous token; encoder output at position t]. This aligned encoder feature is our
addition (the paper's decoder reads the previous token only): it tells the decoder directly whether
position t is present, which a small CPU-sized model otherwise learns slowly through attention.

Protocols (see textgan/sampling.py):
- generator protocol: `init_state(B)` encodes an *all-masked* input of `max_len` positions (unconditional
  sampling), `step(inputs, state) -> (logits (B, V), state)`, `forward(tokens) -> logits (B, T, V)`
  (teacher forcing from the all-masked input). Every state component carries the batch in dim 1.
- in-filling: `encode(masked)` gives the state for a given m(x); `teacher_force(masked, tokens)` the
  logits of every position; `infill(...)` samples fillings (present tokens copied, via textgan/infill.py).
Logits are the model's own distribution at every position; copying present tokens is done by the
in-filling decoder, not here.
"""

from __future__ import annotations

import torch
from torch import nn


class Seq2SeqEncoder(nn.Module):
    """Embedding (V + 1 rows, the last is the mask token) and an LSTM over m(x)."""

    def __init__(self, vocab_size: int, emb_dim: int, hidden_dim: int, num_layers: int, dropout: float) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size + 1, emb_dim)
        self.lstm = nn.LSTM(emb_dim, hidden_dim, num_layers=num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)

    def forward(self, masked: torch.Tensor):
        """masked (B, T) -> memory (B, T, H), final (h, c) each (layers, B, H)."""
        memory, final = self.lstm(self.dropout(self.embedding(masked)))
        return memory, final


class LuongAttention(nn.Module):
    """score(h_t, m_s) = h_t . W m_s; output tanh(W_c [h_t; context_t])."""

    def __init__(self, hidden_dim: int) -> None:
        super().__init__()
        self.key = nn.Linear(hidden_dim, hidden_dim, bias=False)
        self.combine = nn.Linear(2 * hidden_dim, hidden_dim)

    def forward(self, queries: torch.Tensor, keys: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        """queries (B, Tq, H), keys / memory (B, S, H) -> attentional hidden states (B, Tq, H)."""
        weights = torch.softmax(queries @ keys.transpose(1, 2), dim=-1)      # (B, Tq, S)
        context = weights @ memory                                         # (B, Tq, H)
        return torch.tanh(self.combine(torch.cat([queries, context], dim=-1)))


class MaskSeq2SeqGenerator(nn.Module):
    def __init__(self, vocab_size: int, emb_dim: int, hidden_dim: int, num_layers: int = 1,
                 dropout: float = 0.0, bos_id: int = 0, max_len: int = 1,
                 init_std: float | None = 0.1) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.mask_id = vocab_size
        self.bos_id = bos_id
        self.encoder = Seq2SeqEncoder(vocab_size, emb_dim, hidden_dim, num_layers, dropout)
        self.decoder = nn.LSTM(emb_dim + hidden_dim, hidden_dim, num_layers=num_layers, batch_first=True,
                               dropout=dropout if num_layers > 1 else 0.0)
        self.attention = LuongAttention(hidden_dim)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_dim, vocab_size)
        if init_std:
            for p in self.parameters():
                nn.init.normal_(p, std=init_std)
        # Length of the all-masked input of unconditional sampling; saved with the weights so that a
        # loaded run samples at its training length (the algorithm sets it from the data).
        self.register_buffer("max_len", torch.tensor(int(max_len)))

    @property
    def embedding(self) -> nn.Embedding:
        return self.encoder.embedding

    # -- encoding ----------------------------------------------------------------------------

    def encode(self, masked: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The decoding state for m(x) = masked (B, T): (h, c, memory, keys, position), batch in dim 1."""
        memory, (h, c) = self.encoder(masked)                                # (B, T, H)
        keys = self.attention.key(memory)
        position = torch.zeros(1, masked.shape[0], dtype=torch.long, device=masked.device)
        return h, c, memory.transpose(0, 1), keys.transpose(0, 1), position  # memory, keys (T, B, H)

    def all_masked(self, batch: int, seq_len: int | None = None) -> torch.Tensor:
        t = int(self.max_len) if seq_len is None else seq_len
        return torch.full((batch, t), self.mask_id, dtype=torch.long, device=self.output.weight.device)

    def init_state(self, batch: int) -> tuple[torch.Tensor, ...]:
        return self.encode(self.all_masked(batch))

    # -- decoding ----------------------------------------------------------------------------

    def embed_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """Ids (B,) or soft one-hots (B, V) -> embeddings (B, E) (the mask row is never an input)."""
        if inputs.dtype == torch.long:
            return self.embedding(inputs)
        return inputs @ self.embedding.weight[: self.vocab_size]

    def step(self, inputs: torch.Tensor, state: tuple[torch.Tensor, ...]
             ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """inputs (B,) the previous token (BOS first) -> logits (B, V) of the current position, new state."""
        h, c, memory, keys, position = state
        b, hdim = memory.shape[1], memory.shape[2]
        aligned = memory.gather(0, position.clamp(max=memory.shape[0] - 1)[..., None].expand(1, b, hdim))[0]
        x = torch.cat([self.embed_inputs(inputs), aligned], dim=-1)          # (B, E + H)
        out, (h, c) = self.decoder(self.dropout(x).unsqueeze(1), (h, c))      # (B, 1, H)
        att = self.attention(out, keys.transpose(0, 1), memory.transpose(0, 1))  # (B, 1, H)
        logits = self.output(self.dropout(att[:, 0]))
        return logits, (h, c, memory, keys, position + 1)

    def teacher_force(self, masked: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Logits (B, T, V) of every position given m(x) = masked (B, T) and the true prefixes of tokens."""
        memory, final = self.encoder(masked)                                 # (B, T, H)
        bos = torch.full((tokens.shape[0], 1), self.bos_id, dtype=torch.long, device=tokens.device)
        prev = torch.cat([bos, tokens[:, :-1]], dim=1)                        # (B, T)
        x = torch.cat([self.embedding(prev), memory], dim=-1)                # (B, T, E + H)
        out, _ = self.decoder(self.dropout(x), final)                        # (B, T, H)
        att = self.attention(out, self.attention.key(memory), memory)
        return self.output(self.dropout(att))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits (B, T, V) from the all-masked input (the unconditional model)."""
        return self.teacher_force(self.all_masked(tokens.shape[0], tokens.shape[1]), tokens)

    def infill(self, context: torch.Tensor, present: torch.Tensor, **kwargs) -> torch.Tensor:
        """Fillings (B * num, T) of context (B, T) where present (B, T) is False; see textgan.infill.infill."""
        from textgan.infill import infill

        return infill(self, context, present, **kwargs)


def build_seq2seq_generator(cfg, vocab_size: int, bos_id: int) -> MaskSeq2SeqGenerator:
    """Generator kind "seq2seq" from the `generator` config section."""
    return MaskSeq2SeqGenerator(vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.num_layers, cfg.dropout,
                                bos_id=bos_id, init_std=cfg.init_std or None)
