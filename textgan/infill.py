"""In-filling with the shared sampler: fill the masked positions of sequences, copying the present ones.

MaskGAN (Fedus, Goodfellow & Dai 2018, arXiv 1801.07736) fills a masked sequence m(x) left to right:
at a present position the generator's output is the given token, at a masked one it is sampled.
`infill` wraps an in-filling generator (`encode(masked)` + the step protocol, e.g.
`textgan.nn.seq2seq.MaskSeq2SeqGenerator`) in `ConditionedDecoder`, which enforces that rule on the logits,
and decodes with `textgan.sampling.sample_batch`: the exact sampler (temperature / top-k / top-p,
EOS handling) every other model uses. Rules at masked positions (real text only): padding and BOS are
never sampled, and EOS only where no present token follows (so a filling never cuts a sentence short).

`parse_template` turns a user template such as "a man riding a ___ down the ___ ." into (context,
present) rows: each `___` is exactly one masked token (write `___ ___` for two); words are split like
the run's training data, and words missing from the vocabulary become `<unk>` with a warning.
`masked_nll` is the teacher-forced NLL of the real tokens at the masked positions (MaskMLE's loss).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from textgan.errors import UserError
from textgan.masking import mask_tokens, target_positions
from textgan.sampling import check_sampling_args, sample_batch
from textgan.user_words import run_splitter, words_to_ids

BLANK = "___"


def eos_allowed(context: torch.Tensor, present: torch.Tensor, eos_id: int | None, pad_id: int) -> torch.Tensor:
    """(B, T) bool: where a blank may take EOS. Anchors are the present non-padding positions (EOS included);
    EOS may be sampled only after the last one, so a filling never cuts a sentence short."""
    anchors = present & (context != pad_id) if eos_id is not None else present
    later = anchors.flip(1).long().cumsum(1).flip(1) - anchors.long()   # anchors strictly after t
    return later == 0


def apply_blank_rules(logits: torch.Tensor, eos_ok: torch.Tensor, eos_id: int | None,
                      banned: tuple[int, ...]) -> torch.Tensor:
    """The logits a blank is sampled from: `banned` ids and, where `eos_ok` (logits' shape without V) is
    False, EOS set to -inf. Out of place, so a policy gradient can take log-probabilities through it: the
    sampled tokens' log-probabilities must come from this distribution, not the unrestricted one (MaskGAN)."""
    neg_inf = torch.tensor(float("-inf"), device=logits.device, dtype=logits.dtype)
    allowed = torch.ones(logits.shape[-1], dtype=torch.bool, device=logits.device)
    if banned:
        allowed[list(banned)] = False
    if eos_id is not None:
        allowed = allowed.expand(logits.shape).clone()
        allowed[..., eos_id] = eos_ok
    return torch.where(allowed, logits, neg_inf)


def training_banned(generator: nn.Module, eos_id: int | None, pad_id: int) -> tuple[int, ...]:
    """The ids `infill` bans by default: padding and BOS for text; none for the oracle, whose ids are all
    ordinary tokens (`eos_id` None)."""
    return (pad_id, generator.bos_id) if eos_id is not None else ()


class ConditionedDecoder(nn.Module):
    """The step protocol for a fixed batch of masked contexts; copies present tokens exactly."""

    def __init__(self, generator: nn.Module, context: torch.Tensor, present: torch.Tensor,
                 eos_id: int | None, pad_id: int, banned: tuple[int, ...]) -> None:
        super().__init__()
        self.generator = generator
        self.bos_id = generator.bos_id
        self.context, self.present = context, present                        # (B, T)
        self.eos_id, self.banned = eos_id, tuple(banned)
        self.eos_ok = eos_allowed(context, present, eos_id, pad_id)         # (B, T)

    def init_state(self, batch: int) -> tuple[torch.Tensor, ...]:
        if batch != self.context.shape[0]:
            raise ValueError(f"ConditionedDecoder holds {self.context.shape[0]} contexts, asked for {batch}")
        state = self.generator.encode(mask_tokens(self.context, self.present, self.generator.mask_id))
        position = torch.zeros(1, batch, dtype=torch.long, device=self.context.device)
        return (*state, position)

    def step(self, inputs: torch.Tensor, state: tuple[torch.Tensor, ...]
             ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        logits, inner = self.generator.step(inputs, state[:-1])             # (B, V)
        t = state[-1][0].clamp(max=self.context.shape[1] - 1)[:, None]      # (B, 1)
        logits = apply_blank_rules(logits.float(), self.eos_ok.gather(1, t)[:, 0], self.eos_id, self.banned)
        token = self.context.gather(1, t)                                    # (B, 1)
        forced = torch.full_like(logits, float("-inf")).scatter_(1, token, 0.0)
        logits = torch.where(self.present.gather(1, t), forced, logits)      # present: one-hot on the token
        return logits, (*inner, state[-1] + 1)


def infill(generator: nn.Module, context: torch.Tensor, present: torch.Tensor, *, num: int = 1,
           temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0, eos_id: int | None = None,
           pad_id: int = 0, seed: int | None = None, rng: torch.Generator | None = None,
           banned: tuple[int, ...] | None = None, batch_size: int = 1000) -> torch.Tensor:
    """`num` fillings of each row of context (B, T) at its masked positions -> (B * num, T) ids on the CPU.

    Rows come out grouped: the fillings of row i are rows i * num .. i * num + num - 1. Present tokens
    are copied unchanged; after an EOS the sampler writes padding (as for every model). `seed` draws
    from a private generator, else `rng`, else the global RNG (which the training loop checkpoints).
    `banned`: ids never sampled into a blank (default: padding and BOS for text, none for the oracle).
    """
    check_sampling_args(temperature, top_k, top_p)
    device = next(generator.parameters()).device
    if seed is not None:
        rng = torch.Generator(device=device)
        rng.manual_seed(seed)
    if banned is None:
        banned = training_banned(generator, eos_id, pad_id)
    context = context.repeat_interleave(num, dim=0).to(device)
    present = present.repeat_interleave(num, dim=0).to(device)
    was_training = generator.training
    generator.eval()
    chunks = []
    for start in range(0, context.shape[0], batch_size):
        dec = ConditionedDecoder(generator, context[start:start + batch_size], present[start:start + batch_size],
                                 eos_id, pad_id, banned)
        chunks.append(sample_batch(dec, dec.context.shape[0], context.shape[1], temperature=temperature,
                                   top_k=top_k, top_p=top_p, eos_id=eos_id, pad_id=pad_id, rng=rng).cpu())
    generator.train(was_training)
    return torch.cat(chunks) if chunks else torch.empty(0, context.shape[1], dtype=torch.long)


def masked_nll(generator: nn.Module, tokens: torch.Tensor, lengths: torch.Tensor, present: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """(summed NLL over the masked target positions, their count); tokens, present (B, T)."""
    logits = generator.teacher_force(mask_tokens(tokens, present, generator.mask_id), tokens)  # (B, T, V)
    targets = target_positions(present, lengths)
    nll = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), tokens.reshape(-1),
                          reduction="none").view(tokens.shape)                                  # (B, T)
    return (nll * targets).sum(), targets.sum()


def parse_template(template: str, vocab, seq_len: int, split=str.split) -> tuple[torch.Tensor, torch.Tensor]:
    """(context (1, T), present (1, T)) of a template with `___` blanks, one masked token per blank.

    `split` splits text into words as the run's data was split; `vocab` is the run's vocabulary
    (a text vocabulary, or the oracle's ids, for which the words are integers).
    """
    pieces = template.split(BLANK)
    if len(pieces) == 1:
        raise UserError(f"the --infill template has no blank; mark each missing word with {BLANK}, e.g. "
                        f"\"a man riding a {BLANK} down the {BLANK} .\"")
    words: list[str | None] = []
    for i, piece in enumerate(pieces):
        if i:
            words.append(None)                                               # a blank
        words.extend(split(piece))
    eos_id = getattr(vocab, "eos_id", None)
    room = seq_len - (eos_id is not None)
    if eos_id is None and len(words) != seq_len:
        raise UserError(f"the --infill template has {len(words)} tokens; this run's sequences (the synthetic "
                        f"oracle, no EOS) have exactly {seq_len}")
    if len(words) > room:
        raise UserError(f"the --infill template has {len(words)} tokens, the run's sequences hold at most "
                        f"{room}; shorten the template")
    known = [w for w in words if w is not None]
    values = words_to_ids(known, vocab, "the --infill template", f"12 {BLANK} 7")
    it = iter(values)
    ids = [next(it) if w is not None else vocab.pad_id for w in words]
    row = torch.full((1, seq_len), vocab.pad_id, dtype=torch.long)
    present = torch.ones(1, seq_len, dtype=torch.bool)
    row[0, : len(ids)] = torch.tensor(ids, dtype=torch.long)
    present[0, : len(words)] = torch.tensor([w is not None for w in words])
    if eos_id is not None:
        row[0, len(words)] = eos_id
    return row, present


def blank_banned(vocab) -> tuple[int, ...]:
    """Ids a user-facing filling never puts into a blank: padding, BOS and <unk> (text only)."""
    if getattr(vocab, "eos_id", None) is None:
        return ()
    return (vocab.pad_id, vocab.bos_id, vocab.unk_id)


def infill_run(run, template: str, *, num: int = 1, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
               seed: int | None = None) -> list[str]:
    """`num` decoded fillings of a `___` template with a loaded run (`textgan.runs.load_run`)."""
    fill = getattr(run.generator, "infill", None)
    if fill is None:
        raise UserError(f"run '{run.path}' ({run.spec.name}, generator kind {run.cfg.generator.kind!r}) cannot fill "
                        "in blanks; --infill needs a run of an in-filling model (maskgan, maskmle)")
    context, present = parse_template(template, run.vocab, run.seq_len, run_splitter(run))
    ids = fill(context, present, num=num, temperature=temperature, top_k=top_k, top_p=top_p,
               eos_id=run.vocab.eos_id, pad_id=run.vocab.pad_id, seed=seed, banned=blank_banned(run.vocab))
    return [run.vocab.decode(row) for row in ids.tolist()]
