"""MaliGAN-full's generator update (Che et al. 2017, arXiv 1702.07983, Algorithm 2): mixed MLE training.

MaliGAN-basic (`maligan.py`) samples whole sequences from G. The paper's full model instead takes m
real sequences, keeps each one's first N tokens, samples n continuations of every such prefix from G,
and updates G with

    grad = sum_i sum_j ( r_D(y_ij) / sum_j' r_D(y_ij')  -  b ) grad log p_G(y_ij[N:] | x_i[:N])
         + (1/m) sum_i sum_{t<N} grad log p_G(x_i[t] | x_i[:t]),

importance weights normalised over the n continuations of one prefix (which cuts the variance: the
continuations share their prefix, so their weights compare like with like) minus the baseline b = 1/n,
plus teacher-forced MLE on the real prefix tokens. N starts near the sequence length (almost all MLE)
and falls by K tokens on a schedule until the whole sequence is sampled (N = 0), so the generator
learns to continue real text before it generates from scratch.

Our reading, where the paper leaves a choice open:
- N after adversarial round r is max(0, T - K * (1 + r // rounds_per_step)): the first round already
  samples K tokens, and at N = 0 training goes on as MaliGAN-basic with per-group normalisation.
- How the two terms are scaled (`maligan.mixed_terms`) sets how much D's term weighs against the prefix MLE:
  - "sums" (Algorithm 2's weighting): per prefix, the weighted log-likelihood summed over its n
    continuations' sampled tokens (up to EOS) plus its real prefix tokens' log-likelihood summed (once,
    though the batch holds the prefix n times), averaged over the m prefixes. The formula above as printed
    puts 1/m on the MLE term only, which would make D's term m times heavier still; we read both as
    per-prefix sums.
  - "means" (the default, the behaviour from before the key): each term a mean over its own tokens, as
    SeqGAN's REINFORCE loss here (`seqgan.policy_gradient_loss`). Against the formula this scales D's term
    by N / (m n (T - N)) relative to the MLE term (0.14 at N = 18, 0.002 at N = 2 for m = 16, n = 4,
    T = 20), so D's signal was almost nothing beside the MLE term. The committed MaliGAN-full runs used it.
- A step keeps the policy-gradient batch size: m = batch_size // n prefixes, n continuations each.
- D trains as in MaliGAN-basic, on free samples of G against real sequences.
"""

from __future__ import annotations

import torch
from torch import nn

from textgan.gans.log_probs import token_log_probs
from textgan.gans.maligan_weights import maligan_rewards
from textgan.rollout import eos_mask


def prefix_length(round_index: int, seq_len: int, step: int, rounds_per_step: int) -> int:
    """N, the real tokens kept in adversarial round `round_index` (0-based): T - K per stage, floored at 0."""
    stage = 1 + round_index // rounds_per_step
    return max(0, seq_len - step * stage)


def group_rewards(logits: torch.Tensor, groups: int, continuations: int, mask: torch.Tensor) -> torch.Tensor:
    """Per-sequence rewards (m * n,) from D's logits (m * n,), rows grouped prefix-major.

    Row i * n + j is continuation j of prefix i. Within each group: softmax of the logits over the rows
    with `mask` (those with at least one sampled token) minus 1 / (their count); rows without a sampled
    token (the prefix already ended) get 0.
    """
    by_group = logits.view(groups, continuations).T                 # (n, m): one column per prefix
    taking_part = mask.view(groups, continuations).T
    return maligan_rewards(by_group, taking_part).T.reshape(-1)


MIXED_TERMS = ("sums", "means")


def mixed_loss(generator: nn.Module, sequences: torch.Tensor, prefix_len: int, rewards: torch.Tensor,
               eos_id: int | None, terms: str = "means", groups: int | None = None
               ) -> tuple[torch.Tensor, dict[str, float]]:
    """The mixed objective on `sequences` (B, T) = real prefix (N tokens) + sampled continuation.

    rewards (B,): each sequence's weight, given to its sampled positions up to and including EOS.
    terms: "sums" (per prefix: sums over its continuations' sampled tokens and over its prefix tokens
    counted once, averaged over `groups` = m prefixes, the B / m rows of a prefix being its continuations)
    or "means" (each term a mean over its tokens); see the module docstring. Returns the loss
    (policy-gradient term + prefix MLE term) and its two parts for logging.
    """
    if terms not in MIXED_TERMS:
        raise ValueError(f"terms must be one of {MIXED_TERMS}, got {terms!r}")
    if terms == "sums" and (groups is None or groups < 1 or sequences.shape[0] % groups):
        raise ValueError(f"terms='sums' needs groups, the number of prefixes, dividing the {sequences.shape[0]} "
                         f"rows; got {groups}")
    logp = token_log_probs(generator, sequences)                                   # (B, T)
    alive = eos_mask(sequences, eos_id)
    sampled = torch.arange(sequences.shape[1], device=sequences.device) >= prefix_len          # (T,)
    pg_mask = (alive & sampled).to(logp.dtype)
    mle_mask = (alive & ~sampled).to(logp.dtype)
    if terms == "sums":  # per prefix, averaged over the m prefixes; each prefix is held by B / m rows
        pg_count, mle_count = float(groups), float(sequences.shape[0])
    else:
        pg_count, mle_count = pg_mask.sum().clamp(min=1.0), mle_mask.sum().clamp(min=1.0)
    pg = -(logp * rewards[:, None] * pg_mask).sum() / pg_count
    mle = -(logp * mle_mask).sum() / mle_count
    return pg + mle, {"pg_loss": float(pg.detach()), "prefix_nll": float(mle.detach())}
