"""Sampling from any generator through the step protocol: temperature, top-k, top-p, seeds, prompts.

Written once against `init_state(B)` / `step(inputs, state)`, so it works for every generator kind.
Decoding runs under `torch.inference_mode()` in large chunks (one (B, V) softmax per step, no per-token
`.item()`), which is what makes sampling 10,000 oracle-shaped sequences take about a second on a CPU.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from numbers import Integral, Real

import torch
from torch import nn

from textgan.errors import UserError


def check_sampling_args(temperature: float, top_k: int, top_p: float) -> None:
    if isinstance(temperature, bool) or not isinstance(temperature, Real):
        raise UserError(f"temperature must be a number > 0, got {temperature!r}")
    if not (temperature > 0 and math.isfinite(temperature)):
        raise UserError(f"temperature must be > 0 and finite, got {temperature}")
    if isinstance(top_k, bool) or not isinstance(top_k, Integral):
        raise UserError(f"top-k must be an integer >= 0 (0 disables it), got {top_k!r}")
    if top_k < 0:
        raise UserError(f"top-k must be >= 0 (0 disables it), got {top_k}")
    if isinstance(top_p, bool) or not isinstance(top_p, Real):
        raise UserError(f"top-p must be a Python or numpy number in (0, 1] (1 disables it), got "
                        f"{type(top_p).__name__} {top_p!r}")
    if not 0 < top_p <= 1:
        raise UserError(f"top-p must be in (0, 1] (1 disables it), got {top_p}")


# Below this temperature `filter_logits` scales the gaps to each row's maximum instead of the logits; above it
# logits / T cannot overflow for any sane logit (|logit| < 3e34), and keeping the plain division there keeps
# every sample bit-identical to earlier versions.
_NEAR_GREEDY = 1e-4


def filter_logits(logits: torch.Tensor, temperature: float = 1.0, top_k: int = 0,
                  top_p: float = 1.0) -> torch.Tensor:
    """Scale by temperature, then keep the top-k tokens and/or the smallest nucleus of mass top-p."""
    if temperature >= _NEAR_GREEDY:
        if temperature != 1.0:
            logits = logits / temperature
    else:
        # logits / T overflows to +inf (and T itself rounds to 0 in float32 below ~1e-45): inf - inf is
        # NaN in the draw, which then returned the last token id. The gaps to the row's maximum scale
        # safely (the draw subtracts the maximum anyway) and their limit is greedy.
        gaps = logits - logits.amax(dim=-1, keepdim=True)
        logits = torch.where(gaps < 0, gaps / temperature, gaps)
    if top_k and top_k < logits.shape[-1]:
        # Keep exactly k tokens: a threshold at the k-th value would keep every token tied with it (a row of
        # equal logits kept all V). Among tied tokens torch.topk's choice decides, deterministically.
        keep = torch.zeros_like(logits, dtype=torch.bool).scatter_(-1, torch.topk(logits, top_k, dim=-1).indices, True)
        logits = logits.masked_fill(~keep, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        cum = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
        # drop a token when the mass *before* it already reaches top_p (the top token always stays)
        drop_sorted = (cum - torch.softmax(sorted_logits, dim=-1)) >= top_p
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


def check_generator(generator: object, caller: str) -> None:
    """A TypeError naming what to pass when a function that decodes or scores gets something else: a
    `LoadedRun` (pass its `.generator`), a path, ..."""
    if not isinstance(generator, nn.Module):
        hint = " (pass its .generator)" if hasattr(generator, "generator") else ""
        raise TypeError(f"{caller} takes a generator module, e.g. load_run(...).generator; got "
                        f"{type(generator).__name__}{hint}")


def check_decode_length(generator: nn.Module, seq_len: int) -> None:
    """Let a generator with a hard length limit (`check_length`, e.g. the Transformer's positions) refuse a
    decode of `seq_len` steps before it starts: host-side, so the error is the same UserError on every device
    (past the limit, a CUDA lookup is a device-side assert, not an IndexError the step could translate)."""
    check = getattr(generator, "check_length", None)
    if check is not None:
        check(seq_len)


_BLOCK = 64


def sample_next(logits: torch.Tensor, rng: torch.Generator | None = None) -> torch.Tensor:
    """Draw one token per row from softmax(logits): (B, V) -> (B,).

    Exact inverse-CDF sampling in two levels (a block of 64 tokens, then a token inside it), so each
    row needs two uniforms and a cumulative sum over V/64 + 64 entries instead of V. This is several
    times faster on a CPU than `torch.multinomial`, whose cost dominated decoding.
    """
    u = torch.rand(logits.shape[0], 2, generator=rng, device=logits.device, dtype=logits.dtype)
    return sample_from_uniforms(logits, u)


def sample_from_uniforms(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """`sample_next` with its two uniforms per row given: logits (B, V), u (B, 2) in [0, 1) -> (B,).

    A row's token depends only on its own logits and uniforms, so code that decodes rows in another
    order or grouping (batched Monte Carlo rollouts) can reproduce a reference decode exactly.
    `logits` is left untouched (the draw works on a float32 copy; `sample_rows` is the in-place form).
    """
    return sample_rows(logits.to(torch.float32, copy=True), u)


_LOG2E = 1.4426950408889634


def sample_rows(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Draw one token per row of softmax(logits) from the given uniforms; OVERWRITES `logits`.

    logits (n, V) float32, u (n, 2) in [0, 1) -> (n,) ids. The exact two-level inverse-CDF draw of
    `sample_next` (a block of 64 tokens, then a token inside it), tuned for the hundreds of thousands
    of row-steps of a rollout: the weights are computed in place as exp2((x - max) * log2 e) (torch's
    exp2 kernel is several times faster than its exp on CPUs) and the last partial block is summed
    apart instead of padding a copy.
    """
    n, v = logits.shape
    weights = logits.sub_(logits.amax(dim=1, keepdim=True)).mul_(_LOG2E).exp2_()  # (n, V), max 1
    full = v - v % _BLOCK
    block_sums = weights[:, :full].unflatten(1, (-1, _BLOCK)).sum(dim=2)           # (n, V // 64)
    if full < v:
        block_sums = torch.cat([block_sums, weights[:, full:].sum(dim=1, keepdim=True)], dim=1)
    block_cum = block_sums.cumsum(dim=1)                                            # (n, nb)
    u = u.to(weights.dtype)
    block = torch.searchsorted(block_cum, _below(u[:, :1], block_cum[:, -1:]), right=True)  # (n, 1)
    pos = block * _BLOCK + torch.arange(_BLOCK, device=logits.device)               # (n, 64)
    inner = weights.gather(1, pos.clamp(max=v - 1)).masked_fill_(pos >= v, 0.0)     # (n, 64)
    inner_cum = inner.cumsum(dim=1)
    within = torch.searchsorted(inner_cum, _below(u[:, 1:], inner_cum[:, -1:]), right=True)
    return (block[:, 0] * _BLOCK + within[:, 0]).clamp_(max=v - 1)


def _below(u: torch.Tensor, total: torch.Tensor) -> torch.Tensor:
    """u * total kept strictly below total, so rounding can never pick a trailing zero-weight entry."""
    return torch.minimum(u * total, torch.nextafter(total, torch.zeros_like(total)))


@torch.inference_mode()
def sample_batch(generator: nn.Module, batch: int, seq_len: int, *, temperature: float = 1.0,
                 top_k: int = 0, top_p: float = 1.0, eos_id: int | None = None, pad_id: int = 0,
                 rng: torch.Generator | None = None, prefix: torch.Tensor | None = None) -> torch.Tensor:
    """Sample `batch` sequences of `seq_len` tokens -> (B, T) ids; positions after EOS hold `pad_id`.

    `prefix` (N,) ids, when given, start every sequence: they are read, not sampled, and the
    generator continues from them (a prompt).
    """
    device = next(generator.parameters()).device
    forced = None if prefix is None else prefix.to(device).expand(batch, -1)
    return _decode(generator, forced, batch, seq_len, temperature, top_k, top_p, eos_id, pad_id, rng,
                   keep_states=False)[0]


def _decode(generator: nn.Module, tokens: torch.Tensor | None, batch: int, seq_len: int,
            temperature: float, top_k: int, top_p: float, eos_id: int | None, pad_id: int,
            rng: torch.Generator | None, keep_states: bool = True
            ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...] | None]:
    """Decode, optionally keeping the state after every input.

    `tokens` (B, N), when given, are read instead of sampled at positions 0..N-1 (N = seq_len reads a
    whole sequence); the remaining positions are sampled.
    """
    check_decode_length(generator, seq_len)
    device = next(generator.parameters()).device
    state = generator.init_state(batch)
    inputs = torch.full((batch,), generator.bos_id, dtype=torch.long, device=device)
    out = torch.full((batch, seq_len), pad_id, dtype=torch.long, device=device)
    finished = torch.zeros(batch, dtype=torch.bool, device=device)
    history = []
    forced = 0 if tokens is None else tokens.shape[1]
    for t in range(seq_len):
        logits, state = generator.step(inputs, state)
        if keep_states:
            history.append(state)
        if t < forced:
            token = tokens[:, t]
        else:
            token = sample_next(filter_logits(logits.float(), temperature, top_k, top_p), rng)
            if eos_id is not None:
                token = token.masked_fill(finished, pad_id)
        if eos_id is not None:
            finished |= token == eos_id
        out[:, t] = token
        inputs = token
    if not keep_states:
        return out, None
    # one tensor per state component, time first: (T, *component shape), e.g. (T, layers, B, H)
    states = tuple(torch.stack(parts) for parts in zip(*history))
    return out, states


@torch.inference_mode()
def sample_with_states(generator: nn.Module, batch: int, seq_len: int, *, temperature: float = 1.0,
                       top_k: int = 0, top_p: float = 1.0, eos_id: int | None = None, pad_id: int = 0,
                       rng: torch.Generator | None = None) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """`sample_batch` that also returns the decoder state after every step, for Monte Carlo rollouts.

    Returns (tokens (B, T), states): `states` has one tensor per component of the generator's state,
    stacked over time to (T, *component shape) — (T, layers, B, H) for the LSTM — where entry j is the
    state after reading BOS, y_0, ..., y_{j-1}: the state y_j was sampled from. Same RNG use as
    `sample_batch`, so both give the same tokens from the same stream.
    """
    check_sampling_args(temperature, top_k, top_p)
    return _decode(generator, None, batch, seq_len, temperature, top_k, top_p, eos_id, pad_id, rng)


@torch.inference_mode()
def teacher_forced_states(generator: nn.Module, tokens: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The states `sample_with_states` would return had `generator` sampled `tokens` (B, T) itself.

    Runs the step protocol over the given tokens (works for every generator kind); used to get a
    rollout network's own states over sequences another network sampled. In eval mode, as sampling
    runs: a rollout network is a training copy, and states computed with dropout on would start the
    completions (decoded in eval mode) from perturbed states. The generator's mode is restored.
    """
    was_training = generator.training
    generator.eval()
    try:
        return _decode(generator, tokens, tokens.shape[0], tokens.shape[1], 1.0, 0, 1.0, None, 0, None)[1]
    finally:
        generator.train(was_training)


@torch.inference_mode()
def sample_continuations(generator: nn.Module, prefixes: torch.Tensor, seq_len: int, *,
                         temperature: float = 1.0, eos_id: int | None = None, pad_id: int = 0,
                         rng: torch.Generator | None = None) -> torch.Tensor:
    """Keep `prefixes` (B, N) and sample positions N..seq_len-1 -> (B, seq_len) ids.

    A row whose prefix already holds EOS gets `pad_id` after it, as a sampled sequence would; N = 0
    is plain sampling. Used by MaliGAN's mixed training, which continues real-data prefixes.
    """
    check_sampling_args(temperature, 0, 1.0)
    if prefixes.shape[1] > seq_len:
        raise ValueError(f"prefix length {prefixes.shape[1]} exceeds seq_len {seq_len}")
    return _decode(generator, prefixes, prefixes.shape[0], seq_len, temperature, 0, 1.0, eos_id, pad_id,
                   rng, keep_states=False)[0]


def sample(generator: nn.Module, num: int, seq_len: int, *, batch_size: int = 2000,
           temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0, eos_id: int | None = None,
           pad_id: int = 0, seed: int | None = None, rng: torch.Generator | None = None,
           prefix: Sequence[int] | torch.Tensor | None = None) -> torch.Tensor:
    """Sample `num` sequences in chunks of `batch_size` -> (num, seq_len) ids on the CPU.

    With `seed`, draws from a private generator so the result does not depend on (or disturb) the
    global RNG; otherwise `rng`, else the global RNG. `prefix`: token ids every sequence starts with
    (a prompt, e.g. from `textgan.prompt.prompt_ids`); the rows hold it followed by the continuation.
    """
    chunks = list(sample_chunks(generator, num, seq_len, batch_size=batch_size, temperature=temperature,
                                top_k=top_k, top_p=top_p, eos_id=eos_id, pad_id=pad_id, seed=seed, rng=rng,
                                prefix=prefix))
    return torch.cat(chunks) if chunks else torch.empty(0, seq_len, dtype=torch.long)


def sample_chunks(generator: nn.Module, num: int, seq_len: int, *, batch_size: int = 2000,
                  temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0, eos_id: int | None = None,
                  pad_id: int = 0, seed: int | None = None, rng: torch.Generator | None = None,
                  prefix: Sequence[int] | torch.Tensor | None = None) -> Iterator[torch.Tensor]:
    """`sample`, one (<= batch_size, seq_len) chunk at a time, the same rows in the same order: a caller that
    writes each chunk as it comes (the sampling CLI) holds one chunk in memory, not all `num` rows. The
    arguments are checked at the first `next()`, before anything is drawn."""
    check_generator(generator, "sample")
    if rng is not None and not isinstance(rng, torch.Generator):
        raise TypeError(f"sample's rng must be a torch.Generator (or pass seed=N), got {type(rng).__name__}")
    for name, value, least in (("num", num, 0), ("seq_len", seq_len, 1), ("batch_size", batch_size, 1)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < least:
            raise UserError(f"{name} must be an integer >= {least}, got {value!r}")
    check_sampling_args(temperature, top_k, top_p)
    vocab = getattr(generator, "vocab_size", None)  # every generator of textgan.nn has it
    if prefix is not None:
        prefix = torch.as_tensor(prefix, dtype=torch.long)
        if prefix.dim() != 1 or prefix.numel() > seq_len:
            raise UserError(f"prefix must be a list of at most seq_len={seq_len} token ids, got shape "
                            f"{tuple(prefix.shape)}")
        outside = (prefix < 0) | (prefix >= vocab) if vocab else prefix < 0
        if outside.any():
            raise UserError(f"prefix ids {prefix[outside].tolist()} lie outside the generator's vocabulary"
                            + (f" 0..{vocab - 1}" if vocab else ""))
    for name, value in (("eos_id", eos_id), ("pad_id", pad_id)):  # pad ids are fed back as the next input
        if value is not None and vocab and not 0 <= int(value) < vocab:
            raise UserError(f"{name} must be a token id in 0..{vocab - 1}, got {value}")
    was_training = generator.training
    generator.eval()
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, Integral) or not 0 <= int(seed) < 2**64:
            raise UserError(f"seed must be an integer in 0..2**64-1, got {seed!r}")
        device = next(generator.parameters()).device
        rng = torch.Generator(device=device)
        rng.manual_seed(int(seed))  # numpy integers too
    try:
        for start in range(0, num, batch_size):
            b = min(batch_size, num - start)
            yield sample_batch(generator, b, seq_len, temperature=temperature, top_k=top_k, top_p=top_p,
                               eos_id=eos_id, pad_id=pad_id, rng=rng, prefix=prefix).cpu()
    finally:  # also when the caller stops early (a closed pipe)
        generator.train(was_training)
