"""The `Corpus`: a padded LongTensor of token ids plus lengths — the one data type every model reads.

Real text and oracle samples both become a Corpus, so no model code knows where its data came from.
Row layout: the tokens of a sentence, then EOS (real text only), then padding up to `seq_len`.
`lengths` counts the real tokens plus EOS (the positions a likelihood is taken over).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch


@dataclass
class Corpus:
    tokens: torch.Tensor   # (N, T) int64
    lengths: torch.Tensor  # (N,) int64, 1 <= length <= T

    def __post_init__(self) -> None:
        if self.tokens.dim() != 2:
            raise ValueError(f"Corpus tokens must be (N, T), got shape {tuple(self.tokens.shape)}")
        if self.lengths.shape != (self.tokens.shape[0],):
            raise ValueError("Corpus lengths must have one entry per sequence")

    def __len__(self) -> int:
        return self.tokens.shape[0]

    @property
    def seq_len(self) -> int:
        return self.tokens.shape[1]

    def mask(self) -> torch.Tensor:
        """(N, T) bool: True at positions that hold a real token or the EOS."""
        positions = torch.arange(self.seq_len, device=self.tokens.device)
        return positions[None, :] < self.lengths[:, None]

    def fingerprint(self) -> str:
        """12 hex digits of the token ids and lengths: a resumed run compares it with its first sitting's."""
        import hashlib

        digest = hashlib.sha256(self.tokens.to(torch.int64).contiguous().numpy().tobytes())
        digest.update(self.lengths.to(torch.int64).contiguous().numpy().tobytes())
        return digest.hexdigest()[:12]

    def subset(self, n: int) -> Corpus:
        return Corpus(self.tokens[:n], self.lengths[:n])

    def batches(self, batch_size: int, shuffle: bool = True,
                drop_last: bool = False) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield (tokens, lengths) mini-batches; shuffling draws from torch's global RNG."""
        n = len(self)
        order = torch.randperm(n) if shuffle else torch.arange(n)
        stop = n - n % batch_size if drop_last else n
        for start in range(0, stop, batch_size):
            idx = order[start:start + batch_size]
            yield self.tokens[idx], self.lengths[idx]

    @staticmethod
    def from_sequences(seqs: list[list[int]], seq_len: int, pad_id: int,
                       eos_id: int | None) -> Corpus:
        """Pack id lists into a padded Corpus, appending EOS when the vocabulary has one."""
        tokens = torch.full((len(seqs), seq_len), pad_id, dtype=torch.long)
        lengths = torch.empty(len(seqs), dtype=torch.long)
        for i, seq in enumerate(seqs):
            row = list(seq[: seq_len - (eos_id is not None)])
            if eos_id is not None:
                row.append(eos_id)
            tokens[i, : len(row)] = torch.tensor(row, dtype=torch.long)
            lengths[i] = len(row)
        return Corpus(tokens, lengths)


def strip_after_eos(tokens: torch.Tensor, eos_id: int | None, skip: tuple[int, ...] = ()) -> list[list[int]]:
    """Rows of ids cut before the first EOS (the whole row when there is no EOS), ids in `skip` dropped."""
    out = []
    for row in tokens.tolist():
        if eos_id is not None and eos_id in row:
            row = row[: row.index(eos_id)]
        if skip:
            row = [i for i in row if i not in skip]
        out.append(row)
    return out


def sampled_rows(tokens: torch.Tensor, vocab) -> list[list[int]]:
    """Generated rows as their decoded text reads them: cut before the first EOS, the vocabulary's
    `dropped_ids` (text: padding and BOS a sampler drew mid-sentence; the oracle: none) left out, as
    `decode` does; so BLEU scores the sentence the sample files show."""
    return strip_after_eos(tokens, vocab.eos_id, vocab.dropped_ids)
