"""Class-conditional generators, written once over the generator step protocol (any `generator.kind`).

Conditional GAN (Mirza & Osindero 2014, arXiv 1411.1784): the generator gets the class label y as an
extra input. Two ways, both wrappers around generators built by `build_generator`:

- `PrefixConditionalGenerator` (`conditional.generator=prefix`, one shared network): the label is a
  learned *label embedding* fed through the input embedding as a prefix. The wrapped generator is built
  with K extra vocabulary rows (ids V..V+K-1, one per class) and reads `<bos> <label_y> <bos> y_0 y_1 ...`;
  logits are cut back to the V real tokens. For an LSTM the prefix sets the state every word is
  generated from (the label picks the initial state); for a Transformer every position attends to it.
  It touches nothing inside the wrapped network, so it works for every kind implementing the protocol.
  (The second `<bos>` exists because the shared sampler starts each decode with the plain `<bos>` id;
  the label is read in `init_state`.)
- `PerClassGenerator` (`conditional.generator=per_class`): K separate generators, G_y for class y — the
  mixture of generators of SentiGAN (Wang & Wan, IJCAI 2018). Rows of a batch are routed to their
  class's network; the label rides in the state (a (1, B) component) so decoding and rollouts route
  without being told.

Both expose `forward(tokens (B, T), labels (B,)) -> logits (B, T, V)` and `init_state(B, labels)`,
`step(inputs, state)`. `bind(labels)` returns a `LabelBound` view — the plain (unconditional) protocol
with the labels fixed — which the shared sampling, MLE and rollout code take unchanged. State
components keep the batch in dim 1, as rollouts require.
"""

from __future__ import annotations

import torch
from torch import nn

from textgan.errors import UserError
from textgan.nn import GeneratorConfig, build_generator
from textgan.sampling import check_decode_length


def _as_labels(labels: torch.Tensor | int, batch: int, device: torch.device) -> torch.Tensor:
    """Class ids (B,) from a tensor of B ids or one id for the whole batch."""
    labels = torch.as_tensor(labels, dtype=torch.long, device=device)
    if labels.dim() == 0:
        return labels.expand(batch)
    if labels.shape != (batch,):
        raise ValueError(f"expected {batch} labels, got shape {tuple(labels.shape)}")
    return labels


class LabelBound(nn.Module):
    """A conditional generator with its labels fixed: the unconditional generator protocol.

    `labels` is one class id (any batch size) or (B,) ids (batches of exactly B rows). `runner`: what
    teacher-forced forwards run through when not the generator itself (its DDP wrapper under torchrun).
    """

    def __init__(self, generator: nn.Module, labels: torch.Tensor | int, runner: nn.Module | None = None) -> None:
        super().__init__()
        self.generator = generator
        self.runner = runner if runner is not None else generator
        self.labels = labels
        self.bos_id = generator.bos_id
        self.vocab_size = generator.vocab_size
        # report the wrapped generator's mode: code that saves and restores `training` around its work
        # (sample, rollouts, sequence_nll) would otherwise switch an eval-mode generator to training mode
        self.training = generator.training

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.runner(tokens, _as_labels(self.labels, tokens.shape[0], tokens.device))

    def init_state(self, batch: int):
        return self.generator.init_state(batch, self.labels)

    def check_length(self, seq_len: int) -> None:
        self.generator.check_length(seq_len)

    def step(self, inputs: torch.Tensor, state):
        return self.generator.step(inputs, state)


class PrefixConditionalGenerator(nn.Module):
    def __init__(self, base: nn.Module, vocab_size: int, num_classes: int) -> None:
        super().__init__()
        self.base = base                     # built with vocab_size + num_classes tokens
        self.vocab_size = vocab_size
        self.num_classes = num_classes
        self.bos_id = base.bos_id

    def bind(self, labels: torch.Tensor | int, runner: nn.Module | None = None) -> LabelBound:
        return LabelBound(self, labels, runner)

    def _device(self) -> torch.device:
        return next(self.parameters()).device

    def check_length(self, seq_len: int) -> None:
        """Refuse a decode the base cannot hold (it reads the 2-token label prefix first); see `sampling`."""
        try:
            check_decode_length(self.base, seq_len + 2)
        except UserError as err:  # the base's message counts the prefix as if it were text: say where 2 came from
            raise UserError(f"{err} (a conditional run's {seq_len} tokens follow a 2-token label prefix)") from None

    def forward(self, tokens: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """tokens (B, T), labels (B,) -> logits (B, T, V) under teacher forcing."""
        b = tokens.shape[0]
        prefix = torch.stack([self.vocab_size + labels, torch.full_like(labels, self.bos_id)], dim=1)  # (B, 2)
        # the base prepends <bos> itself: it reads <bos> <label> <bos> y_0 ..., predicting from position 2 on
        logits = self.base(torch.cat([prefix, tokens], dim=1))              # (B, T + 2, V + K)
        return logits[:, 2:, : self.vocab_size].reshape(b, tokens.shape[1], self.vocab_size)

    def init_state(self, batch: int, labels: torch.Tensor | int):
        """The base's state after reading `<bos> <label>`; the sampler's first input is the next `<bos>`."""
        device = self._device()
        labels = _as_labels(labels, batch, device)
        state = self.base.init_state(batch)
        _, state = self.base.step(torch.full((batch,), self.bos_id, dtype=torch.long, device=device), state)
        _, state = self.base.step(self.vocab_size + labels, state)
        return state

    def step(self, inputs: torch.Tensor, state):
        """inputs (B,) ids or (B, V) soft one-hots -> logits (B, V), new state."""
        if inputs.dtype != torch.long:  # soft one-hots over the V real tokens: no mass on label ids
            inputs = nn.functional.pad(inputs, (0, self.num_classes))
        logits, state = self.base.step(inputs, state)
        return logits[:, : self.vocab_size], state


class PerClassGenerator(nn.Module):
    def __init__(self, generators: list[nn.Module], vocab_size: int) -> None:
        super().__init__()
        self.generators = nn.ModuleList(generators)
        self.num_classes = len(generators)
        self.vocab_size = vocab_size
        self.bos_id = generators[0].bos_id

    def bind(self, labels: torch.Tensor | int, runner: nn.Module | None = None) -> LabelBound:
        return LabelBound(self, labels, runner)

    def check_length(self, seq_len: int) -> None:
        for gen in self.generators:
            check_decode_length(gen, seq_len)

    def _groups(self, labels: torch.Tensor):
        for c, gen in enumerate(self.generators):
            rows = (labels == c).nonzero().squeeze(1)
            if rows.numel():
                yield gen, rows

    def forward(self, tokens: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """tokens (B, T), labels (B,) -> logits (B, T, V): row b from G_{labels[b]}."""
        out = None
        for gen, rows in self._groups(labels):
            part = gen(tokens[rows])                                          # (b_c, T, V)
            if out is None:
                out = part.new_zeros(tokens.shape[0], *part.shape[1:])
            out = out.index_copy(0, rows, part)
        return out

    def init_state(self, batch: int, labels: torch.Tensor | int):
        device = next(self.parameters()).device
        labels = _as_labels(labels, batch, device)
        states = None
        for gen, rows in self._groups(labels):
            part = gen.init_state(rows.numel())
            if states is None:
                states = [s.new_zeros(*s.shape[:1], batch, *s.shape[2:]) for s in part]
            states = [s.index_copy(1, rows, p) for s, p in zip(states, part)]
        return (labels[None, :].clone(), *states)                            # ((1, B), *base components)

    def step(self, inputs: torch.Tensor, state):
        labels, base = state[0][0], state[1:]
        logits, new = None, list(base)
        for gen, rows in self._groups(labels):
            part_logits, part = gen.step(inputs[rows], tuple(s.index_select(1, rows) for s in base))
            if logits is None:
                logits = part_logits.new_zeros(inputs.shape[0], part_logits.shape[1])
            logits = logits.index_copy(0, rows, part_logits)
            new = [s.index_copy(1, rows, p) for s, p in zip(new, part)]
        return logits, (state[0], *new)


def build_conditional_generator(mode: str, cfg: GeneratorConfig, vocab_size: int, bos_id: int,
                                num_classes: int) -> nn.Module:
    """`mode` 'prefix' (one network, label-embedding prefix) or 'per_class' (K networks, SentiGAN)."""
    if mode == "per_class":
        return PerClassGenerator([build_generator(cfg, vocab_size, bos_id) for _ in range(num_classes)], vocab_size)
    base = build_generator(cfg, vocab_size + num_classes, bos_id)
    return PrefixConditionalGenerator(base, vocab_size, num_classes)
