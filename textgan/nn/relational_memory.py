"""Relational-memory generator: RelGAN's G (Nie et al., ICLR 2019), built on the relational memory core
(RMC) of Santoro et al. 2018 ("Relational recurrent neural networks", arXiv 1806.01822).

The memory M (B, N, D) holds N slots of D = num_heads * head_size units (RelGAN: 1 slot, 2 heads of 256).
One step with input x_t (the token embedding, (B, E)):

    x      = W_in x_t + b_in                               (B, 1, D)   input projected to a memory row
    A      = [M; x]                                        (B, N+1, D) memory plus input
    A      = LN(A + MHA(A))                                multi-head self-attention over the rows
    A      = LN(A + MLP(A))                                2-layer ReLU MLP, residual
    M~     = A[:, :N]                                      the input row is dropped
    i, f   = sigmoid(W_i x + U_i tanh(M) + 0), sigmoid(W_f x + U_f tanh(M) + 1)   per-unit gates
    M'     = i * tanh(M~) + f * M                          gated update (LSTM-like)
    logits = W_o flatten(M') + b_o                         (B, V)

Details follow RelGAN's TensorFlow port of Sonnet's RMC: q, k, v from one bias-free linear map of each
row followed by a layer norm; queries scaled by (2 * key_size + head_size) ** -0.5; gate biases 0 (input)
and 1 (forget); the initial memory is the identity padded with zeros; weights truncated N(0, 1/fan_in)
(embedding: 1/V), biases 0. One deviation: RelGAN's port normalises its 3-D tensors over slots and
units jointly (tf.contrib layer_norm's default axes); we normalise each row, as Sonnet and the RMC paper.
`generator.init_std` does not apply to this generator (its init is RelGAN's, above).

Protocol (as every generator): `forward(tokens) -> (B, T, V)` under teacher forcing, `init_state(B)`,
`step(ids (B,) or soft one-hots (B, V), state)`. The state is one tensor (1, B, N * D): batch in dim 1,
so rollouts can index and concatenate it like the LSTM's (layers, B, H).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from textgan.config import param


@dataclass
class RelationalMemoryConfig:
    """The `generator.relational` section: used when `generator.kind=relational_memory`."""

    mem_slots: int = param(1, min=1, help="memory slots N (RelGAN: 1)")
    num_heads: int = param(2, min=1, help="attention heads (RelGAN: 2)")
    head_size: int = param(256, min=1, help="units per head; memory row size = num_heads * head_size "
                                            "(RelGAN: 256)")
    mlp_layers: int = param(2, min=1, help="layers of the post-attention MLP (RelGAN / Sonnet: 2)")


def _trunc_normal_(weight: torch.Tensor, fan_in: int) -> None:
    std = 1.0 / math.sqrt(fan_in)
    nn.init.trunc_normal_(weight, std=std, a=-2 * std, b=2 * std)


def _linear(n_in: int, n_out: int, bias: bool = True) -> nn.Linear:
    layer = nn.Linear(n_in, n_out, bias=bias)
    _trunc_normal_(layer.weight, n_in)
    if bias:
        nn.init.zeros_(layer.bias)
    return layer


class RelationalMemoryCore(nn.Module):
    """One RMC step: (projected input (B, D), memory (B, N, D)) -> new memory (B, N, D)."""

    def __init__(self, input_size: int, mem_slots: int, num_heads: int, head_size: int, mlp_layers: int = 2,
                 input_bias: float = 0.0, forget_bias: float = 1.0) -> None:
        super().__init__()
        self.mem_slots, self.num_heads, self.head_size = mem_slots, num_heads, head_size
        self.mem_size = num_heads * head_size                                   # D
        self.key_size = head_size
        self.qkv_size = 2 * self.key_size + head_size                           # per head
        self.input_bias, self.forget_bias = input_bias, forget_bias
        self.input_proj = _linear(input_size, self.mem_size)
        self.qkv = _linear(self.mem_size, self.qkv_size * num_heads, bias=False)
        self.qkv_norm = nn.LayerNorm(self.qkv_size * num_heads)
        self.attn_norm = nn.LayerNorm(self.mem_size)
        self.mlp = nn.ModuleList(_linear(self.mem_size, self.mem_size) for _ in range(mlp_layers))
        self.mlp_norm = nn.LayerNorm(self.mem_size)
        self.gate_input = _linear(self.mem_size, 2 * self.mem_size, bias=False)
        self.gate_memory = _linear(self.mem_size, 2 * self.mem_size, bias=False)

    def initial_memory(self, batch: int, device: torch.device) -> torch.Tensor:
        """The identity (N, N) padded / truncated to (N, D), repeated over the batch -> (B, N, D)."""
        eye = torch.eye(self.mem_slots, device=device)
        if self.mem_size > self.mem_slots:
            eye = F.pad(eye, (0, self.mem_size - self.mem_slots))
        return eye[:, : self.mem_size].expand(batch, -1, -1).contiguous()

    def _attention(self, rows: torch.Tensor) -> torch.Tensor:
        """Multi-head self-attention over rows (B, R, D) -> (B, R, D)."""
        b, r, _ = rows.shape
        qkv = self.qkv_norm(self.qkv(rows))                                    # (B, R, H * (2K + S))
        qkv = qkv.view(b, r, self.num_heads, self.qkv_size).transpose(1, 2)    # (B, H, R, 2K + S)
        q, k, v = qkv.split([self.key_size, self.key_size, self.head_size], dim=-1)
        weights = torch.softmax((q * self.qkv_size ** -0.5) @ k.transpose(-1, -2), dim=-1)  # (B, H, R, R)
        return (weights @ v).transpose(1, 2).reshape(b, r, self.mem_size)      # (B, R, D)

    def forward(self, x: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        """x: input already projected by `input_proj` (B, D); memory (B, N, D) -> new memory (B, N, D)."""
        x = x.unsqueeze(1)                                                     # (B, 1, D)
        rows = torch.cat([memory, x], dim=1)                                   # (B, N+1, D)
        rows = self.attn_norm(rows + self._attention(rows))
        h = rows
        for i, layer in enumerate(self.mlp):
            h = layer(h)
            if i < len(self.mlp) - 1:
                h = torch.relu(h)
        rows = self.mlp_norm(rows + h)
        candidate = rows[:, : self.mem_slots]                                  # (B, N, D)
        gates = self.gate_input(x) + self.gate_memory(torch.tanh(memory))      # (B, N, 2D)
        input_gate, forget_gate = gates.chunk(2, dim=-1)
        input_gate = torch.sigmoid(input_gate + self.input_bias)
        forget_gate = torch.sigmoid(forget_gate + self.forget_bias)
        return input_gate * torch.tanh(candidate) + forget_gate * memory


class RelationalMemoryGenerator(nn.Module):
    def __init__(self, vocab_size: int, emb_dim: int, mem_slots: int = 1, num_heads: int = 2,
                 head_size: int = 256, mlp_layers: int = 2, bos_id: int = 0) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.bos_id = bos_id
        self.embedding = nn.Embedding(vocab_size, emb_dim)
        _trunc_normal_(self.embedding.weight, vocab_size)                      # RelGAN: std 1/sqrt(V)
        self.core = RelationalMemoryCore(emb_dim, mem_slots, num_heads, head_size, mlp_layers)
        self.state_size = mem_slots * self.core.mem_size
        self.output = _linear(self.state_size, vocab_size)

    def embed_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """Ids (B,) or soft one-hots (B, V) -> embeddings (B, E)."""
        if inputs.dtype == torch.long:
            return self.embedding(inputs)
        return inputs @ self.embedding.weight

    def init_state(self, batch: int) -> tuple[torch.Tensor]:
        memory = self.core.initial_memory(batch, self.output.weight.device)   # (B, N, D)
        return (memory.reshape(1, batch, self.state_size),)                    # (1, B, N * D)

    def _memory(self, state: tuple[torch.Tensor]) -> torch.Tensor:
        (flat,) = state
        return flat[0].view(flat.shape[1], self.core.mem_slots, self.core.mem_size)

    def step(self, inputs: torch.Tensor, state: tuple[torch.Tensor]) -> tuple[torch.Tensor, tuple[torch.Tensor]]:
        """One decoding step: inputs (B,) ids or (B, V) soft -> logits (B, V), new state."""
        x = self.core.input_proj(self.embed_inputs(inputs))                   # (B, D)
        memory = self.core(x, self._memory(state))                            # (B, N, D)
        flat = memory.reshape(memory.shape[0], self.state_size)               # (B, N * D)
        return self.output(flat), (flat.unsqueeze(0),)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (B, T) -> logits (B, T, V) under teacher forcing (logits[:, t] predicts tokens[:, t])."""
        batch, seq_len = tokens.shape
        bos = torch.full((batch, 1), self.bos_id, dtype=torch.long, device=tokens.device)
        # input projections of every position at once; only the memory recurrence is sequential
        x = self.core.input_proj(self.embedding(torch.cat([bos, tokens[:, :-1]], dim=1)))  # (B, T, D)
        memory = self._memory(self.init_state(batch))
        outputs = []
        for t in range(seq_len):
            memory = self.core(x[:, t], memory)
            outputs.append(memory.reshape(batch, self.state_size))
        return self.output(torch.stack(outputs, dim=1))                       # (B, T, V)


def build_relational_memory_generator(cfg, vocab_size: int, bos_id: int) -> RelationalMemoryGenerator:
    rel: RelationalMemoryConfig = cfg.relational
    return RelationalMemoryGenerator(vocab_size, cfg.emb_dim, rel.mem_slots, rel.num_heads, rel.head_size,
                                     rel.mlp_layers, bos_id=bos_id)
