"""Monte Carlo rollout rewards, batched (SeqGAN, Yu et al. 2017, arXiv 1609.05473, Sec. 3 eq. 4).

SeqGAN rewards the token y_t of a sampled sequence Y (B, T) with the discriminator's probability
that completions of the prefix y_0..y_t are real, averaged over R Monte Carlo completions drawn from
a rollout policy; the last token is rewarded with D(Y) itself:

    reward[:, t] = mean_r D(complete(y_0..y_t; r))   for t < T - 1,     reward[:, T-1] = D(Y)

SeqGAN's code runs that as R x (T-1) separate decodes, each re-reading its prefix. Here every prefix
x rollout of the batch is decoded together from cached states, no prefix is re-read, and every
completion is scored in a few large discriminator calls:
- `states` (from `sampling.sample_with_states`, or `sampling.teacher_forced_states` for a rollout
  network other than the sampler) hold the policy's state after every prefix.
- Rows (prefix length k = t + 1, batch row b, rollout r) are ordered k-major. At decoding position j
  the rows with k <= j are exactly the first j * (B R) rows (per chunk: j * units); the rows of
  prefix k = j join the batch at position j, starting from the cached state after y_0..y_{k-2} with
  input y_{k-1}. So each position runs one `step` over the active rows only: B R T (T-1) / 2
  row-steps in all, the minimum.
- Rows are processed in chunks of whole (b, r) units of T-1 rows each; `chunk_rows` bounds the
  (rows, V) logits of a step (1,024 rows at V = 5,000 is 20 MB).
- Randomness: every row has its own pre-drawn uniforms `u[b, k-1, r, j]` (two per position, fed to
  `sample_rows`), so the completions do not depend on the chunking or the row order,
  and a reference decode that uses the same uniforms (and `sample_rows`) reproduces them exactly.
- EOS: a completion whose prefix already holds EOS stays all padding after it, completions stop at
  their own EOS, and rewards after a sequence's first EOS are 0 (masked); the EOS token itself is
  rewarded.
- Temperature: completions are drawn from softmax(logits / temperature), the policy the samples
  came from (LeakGAN samples its policy-gradient batches at `adversarial.temperature`); 1 by default.

Every state component must have the batch in dim 1 (as the LSTM's (layers, B, H)).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from textgan.sampling import filter_logits, sample_rows, teacher_forced_states

__all__ = ["draw_uniforms", "eos_mask", "rollout_completions", "rollout_rewards", "sample_rows",
           "discriminator_logits", "update_rollout_network"]

def eos_mask(tokens: torch.Tensor, eos_id: int | None) -> torch.Tensor:
    """(B, T) bool: True at positions up to and including the first EOS (all True without EOS)."""
    if eos_id is None:
        return torch.ones_like(tokens, dtype=torch.bool)
    is_eos = (tokens == eos_id).long()
    return (is_eos.cumsum(dim=1) - is_eos) == 0      # no EOS strictly before the position


def draw_uniforms(batch: int, seq_len: int, rollouts: int, rng: torch.Generator | None = None,
                  device: torch.device | str = "cpu") -> torch.Tensor:
    """Per-row sampling noise u (B, T-1, R, T, 2): u[b, k-1, r, j] draws token j of rollout r of prefix k."""
    return torch.rand(batch, max(seq_len - 1, 0), rollouts, seq_len, 2, generator=rng, device=device)


@torch.inference_mode()
def rollout_completions(policy: nn.Module, samples: torch.Tensor, states: tuple[torch.Tensor, ...],
                        uniforms: torch.Tensor, *, eos_id: int | None = None, pad_id: int = 0,
                        chunk_rows: int = 1024, temperature: float = 1.0) -> torch.Tensor:
    """Complete every prefix of `samples` (B, T) with the policy -> (B, T-1, R, T) ids.

    `states[c][j]` is state component c after the policy read BOS, y_0, ..., y_{j-1} (time-first,
    as `sample_with_states` returns it); `uniforms` is (B, T-1, R, T, 2) (see `draw_uniforms`).
    Completion [b, k-1, r] keeps y_0..y_{k-1} and samples positions k..T-1 from
    softmax(logits / temperature). Work is split into chunks of whole (row b, rollout r) units, T-1
    rows each, about `chunk_rows` rows a chunk.
    """
    batch, seq_len = samples.shape
    rollouts = uniforms.shape[2]
    if seq_len < 2:
        return samples[:, None, None, :].expand(batch, 0, rollouts, seq_len).clone()
    was_training = policy.training
    policy.eval()
    k_max = seq_len - 1
    unit_b = torch.arange(batch * rollouts, device=samples.device) // rollouts   # unit (b, r) -> b
    unit_u = uniforms.transpose(1, 2).reshape(batch * rollouts, k_max, seq_len, 2)
    prefix_has_eos = (torch.zeros_like(samples, dtype=torch.bool) if eos_id is None
                      else (samples == eos_id).cumsum(dim=1) > 0)          # (B, T): EOS at or before j
    out = torch.empty(batch * rollouts, k_max, seq_len, dtype=samples.dtype, device=samples.device)
    per_chunk = max(1, chunk_rows // k_max)
    for u0 in range(0, batch * rollouts, per_chunk):
        bs = unit_b[u0:u0 + per_chunk]                                     # (U,) batch row of each unit
        units = bs.shape[0]
        # k-major row order: row (k, unit) of the chunk
        rows = samples[bs][None].expand(k_max, units, seq_len).reshape(-1, seq_len).clone()  # (K*U, T)
        u = unit_u[u0:u0 + units].transpose(0, 1).reshape(-1, seq_len, 2)                    # (K*U, T, 2)
        finished = prefix_has_eos[bs, :k_max].T.reshape(-1).clone()                           # (K*U,)
        state = None
        for j in range(1, seq_len):
            n = j * units                                                  # active rows: k <= j
            # rows of prefix k = j join with the cached state before y_{j-1}
            joined = tuple(s[j - 1].index_select(1, bs) for s in states)
            state = joined if state is None else tuple(torch.cat([a, c], dim=1) for a, c in zip(state, joined))
            logits, state = policy.step(rows[:n, j - 1], state)            # (n, V)
            logits = filter_logits(logits.float(), temperature)             # the samples' policy
            token = sample_rows(logits, u[:n, j])                           # (n,); logits overwritten
            if eos_id is not None:
                token = token.masked_fill(finished[:n], pad_id)
                finished[:n] |= token == eos_id
            rows[:n, j] = token
        out[u0:u0 + units] = rows.view(k_max, units, seq_len).transpose(0, 1)
    policy.train(was_training)
    return out.view(batch, rollouts, k_max, seq_len).transpose(1, 2).contiguous()   # (B, T-1, R, T)


@torch.inference_mode()
def discriminator_logits(discriminator: nn.Module, tokens: torch.Tensor, chunk_rows: int = 2048,
                         bf16: bool = False) -> torch.Tensor:
    """D's logit for each row of `tokens` (N, T) -> (N,) float, dropout off, in chunks of `chunk_rows`.

    A discriminator may offer `scorer()`, a faster function over ids frozen at the current weights; it
    is used when there is more than one chunk to score (its set-up cost then pays off). `bf16` runs
    D's matmuls in bfloat16 under autocast (about 2x faster where the CPU has AVX512-BF16).
    """
    was_training = discriminator.training
    discriminator.eval()
    make_scorer = getattr(discriminator, "scorer", None)
    score = make_scorer() if make_scorer is not None and tokens.shape[0] > chunk_rows else discriminator
    with torch.autocast(tokens.device.type, dtype=torch.bfloat16, enabled=bf16):
        logits = torch.cat([score(tokens[s:s + chunk_rows]).float() for s in range(0, tokens.shape[0], chunk_rows)])
    discriminator.train(was_training)
    return logits


@torch.inference_mode()
def rollout_rewards(policy: nn.Module, discriminator: nn.Module | None, samples: torch.Tensor, *, rollouts: int,
                    states: tuple[torch.Tensor, ...] | None = None, uniforms: torch.Tensor | None = None,
                    rng: torch.Generator | None = None, eos_id: int | None = None, pad_id: int = 0,
                    chunk_rows: int = 1024, d_chunk_rows: int = 2048, bf16: bool = False,
                    score: Callable[[torch.Tensor], torch.Tensor] | None = None,
                    temperature: float = 1.0) -> torch.Tensor:
    """SeqGAN's rewards (B, T) for `samples` (B, T): mean D(real) over `rollouts` completions per prefix.

    `score` replaces D's sigmoid as the reward of a finished sequence: ids (N, T) -> rewards (N,), called
    once on every completion and the full samples (RankGAN passes its ranker's log-rank score); the
    `discriminator` is then unused and may be None.

    `states`: the policy's states over `samples` when the policy sampled them itself (from
    `sample_with_states`); otherwise they are computed by running the policy over `samples`.
    `uniforms` (B, T-1, R, T, 2) fixes the rollout noise (else drawn from `rng` / the global RNG).
    `temperature`: the one `samples` were drawn at, so the completions continue the same policy.
    Positions after a sequence's first EOS get reward 0.
    """
    batch, seq_len = samples.shape
    if states is None:
        states = teacher_forced_states(policy, samples)
    if uniforms is None:
        uniforms = draw_uniforms(batch, seq_len, rollouts, rng, samples.device)
    completions = rollout_completions(policy, samples, states, uniforms, eos_id=eos_id, pad_id=pad_id,
                                      chunk_rows=chunk_rows, temperature=temperature)  # (B, T-1, R, T)
    # One scoring pass over every completion and the full samples (the reward of the last token).
    tokens = torch.cat([completions.reshape(-1, seq_len), samples])
    if score is None:
        probs = torch.sigmoid(discriminator_logits(discriminator, tokens, d_chunk_rows, bf16))
    else:
        probs = score(tokens).float()                                        # (N,)
    rewards = torch.cat([probs[: -batch].view(batch, seq_len - 1, rollouts).mean(dim=2),
                         probs[-batch:, None]], dim=1)                       # (B, T)
    return rewards * eos_mask(samples, eos_id)


@torch.no_grad()
def update_rollout_network(rollout: nn.Module, generator: nn.Module, rate: float) -> None:
    """SeqGAN's delayed rollout policy: theta_rollout <- rate * theta_rollout + (1 - rate) * theta_G.

    `rate` weights the *old rollout* parameters (SeqGAN's rollout.py: update_rate 0.8), so rate 0
    copies the generator and rate 1 never moves the rollout network. Applied to every parameter and
    floating-point buffer (SeqGAN copies its embedding outright and mixes only the LSTM and output).
    """
    gen_state = generator.state_dict()
    for name, value in rollout.state_dict().items():
        if value.is_floating_point():
            value.mul_(rate).add_(gen_state[name], alpha=1.0 - rate)
        else:
            value.copy_(gen_state[name])
