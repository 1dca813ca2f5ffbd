"""The per-prefix reference decode that the batched Monte Carlo rollout (textgan/rollout.py) is tested
against, for any generator of the step protocol: SeqGAN's original loop, which decodes every prefix length
and rollout on its own from BOS, re-reading the prefix, with the same per-row uniforms as the batched code."""

from __future__ import annotations

import torch

from textgan.rollout import sample_rows
from textgan.sampling import filter_logits


def reference_completions(policy, samples: torch.Tensor, uniforms: torch.Tensor, eos_id: int | None = None,
                          pad_id: int = 0, temperature: float = 1.0) -> torch.Tensor:
    """(B, T-1, R, T) completions: [:, k-1, r] keeps samples[:, :k] and completes it with rollout r's uniforms.
    Rows whose prefix or completion has reached `eos_id` are padded after it; tokens are drawn from
    softmax(logits / temperature). The policy decodes in eval mode (no dropout) and is left in the mode it
    came in."""
    b, t_len = samples.shape
    rollouts = uniforms.shape[2]
    out = torch.empty(b, t_len - 1, rollouts, t_len, dtype=torch.long)
    was_training = policy.training
    policy.eval()
    with torch.no_grad():
        for k in range(1, t_len):
            for r in range(rollouts):
                state, inputs = policy.init_state(b), torch.full((b,), policy.bos_id)
                for j in range(k):  # read BOS, y_0 .. y_{k-2}; the next input is y_{k-1}
                    _, state = policy.step(inputs, state)
                    inputs = samples[:, j]
                seq = samples.clone()
                finished = ((samples[:, :k] == eos_id).any(dim=1) if eos_id is not None
                            else torch.zeros(b, dtype=torch.bool))
                for j in range(k, t_len):
                    logits, state = policy.step(inputs, state)
                    token = sample_rows(filter_logits(logits.float(), temperature).clone(), uniforms[:, k - 1, r, j])
                    if eos_id is not None:
                        token = token.masked_fill(finished, pad_id)
                        finished |= token == eos_id
                    seq[:, j] = inputs = token
                out[:, k - 1, r] = seq
    policy.train(was_training)
    return out
