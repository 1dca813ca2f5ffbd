"""MaliGAN (Che et al. 2017, arXiv 1702.07983): SeqGAN's training with normalised importance rewards.

MaliGAN reads D's output as a likelihood ratio: with an optimal D, p_data(x) / p_G(x) = D(x) / (1 - D(x))
= r_D(x). Its generator gradient (Algorithm 1, "MaliGAN-basic") over m samples x_i ~ G is

    grad = sum_i ( r_D(x_i) / sum_j r_D(x_j)  -  b ) grad log p_G(x_i),

self-normalised importance weights minus a baseline b. We take b = 1/m, the mean of the normalised
weights, so the per-batch rewards sum to zero (TextGAN-PyTorch's MaliGAN subtracts the same mean).
r_D / sum r_D is a softmax over the batch of D's logits (r_D = exp(logit)), computed that way for
numerical stability (`maligan_weights.py`). Everything else — phases, D, REINFORCE loss (a mean instead
of the sum, see seqgan.py), optimisers — is SeqGAN's; only the generator's step differs.

`maligan.reward` picks the variant:
- "sequence" (default): MaliGAN-basic, one weight per sequence from D(full sequence), given to every
  token up to and including EOS. No rollouts, so a G step is far cheaper than SeqGAN's.
- "mixed": MaliGAN-full (Algorithm 2, `maligan_mixed.py`): n continuations of each of m real-data
  prefixes, weights normalised within each prefix's continuations, MLE on the prefixes, and a prefix
  length that shrinks by `prefix_step` tokens every `prefix_rounds` adversarial rounds.
- "rollout": the basic normalisation applied per position to SeqGAN's Monte Carlo rollout estimates
  (mean over rollouts of D(completion)), normalising over the batch's sequences still running at that
  position — the per-token form the Texygen benchmark runs; neither of the paper's two variants.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from textgan.config import param
from textgan.gans.maligan_mixed import MIXED_TERMS, group_rewards, mixed_loss, prefix_length
from textgan.gans.maligan_weights import maligan_rewards
from textgan.gans.seqgan import SeqGAN
from textgan.rollout import discriminator_logits, eos_mask
from textgan.sampling import sample_continuations

__all__ = ["MaliGAN", "MaliGANConfig", "maligan_rewards"]

_EPS = 1e-6


@dataclass
class MaliGANConfig:
    reward: str = param("sequence", choices=["sequence", "mixed", "rollout"],
                        help="'sequence': MaliGAN-basic weights from D(full sequence); 'mixed': MaliGAN-full, "
                             "continuations of real prefixes with MLE on the prefixes; 'rollout': per-token "
                             "weights from Monte Carlo rollouts (see textgan/gans/maligan.py)")
    continuations: int = param(4, min=1, help="'mixed': sampled continuations n per real prefix; a step uses "
                                              "adversarial.batch_size // n prefixes")
    prefix_step: int = param(2, min=1, help="'mixed': tokens K the real prefix loses per stage (it starts at "
                                            "seq_len - K)")
    prefix_rounds: int = param(1, min=1, help="'mixed': adversarial rounds per stage of the prefix length")
    # default: the behaviour from before this key, so a saved run resumes and a finished result keeps its
    # config hash (benchmarks/harness.py); Algorithm 2's weighting is 'sums'
    mixed_terms: str = param("means", choices=list(MIXED_TERMS),
                             help="'mixed': 'sums' = Algorithm 2 (per prefix, the weighted log-likelihood summed "
                                  "over its continuations plus its prefix log-likelihood summed); 'means' = each "
                                  "term a mean over its tokens, which makes D's term only N / (m n (T - N)) as "
                                  "heavy against the prefix MLE")


class MaliGAN(SeqGAN):
    def adversarial_round(self, index: int) -> dict[str, float]:
        # The stage follows from the round index alone, so a resumed run continues the same schedule.
        mal = self.ctx.cfg.maligan
        self.prefix_len = prefix_length(index, self.seq_len, mal.prefix_step, mal.prefix_rounds)
        return super().adversarial_round(index)

    def generator_step(self) -> dict[str, float]:
        if self.ctx.cfg.maligan.reward == "mixed":
            return self.mixed_generator_step()
        return super().generator_step()

    def rewards(self, samples: torch.Tensor, states: tuple[torch.Tensor, ...] | None
                ) -> tuple[torch.Tensor, dict[str, float]]:
        mask = eos_mask(samples, self.eos_id)                   # (B, T)
        if self.ctx.cfg.maligan.reward == "rollout":
            probs, info = super().rewards(samples, states)      # (B, T) mean D over rollouts, 0 after EOS
            p = probs.clamp(_EPS, 1.0 - _EPS)
            logits = torch.log(p) - torch.log1p(-p)             # log r_D of the rollout estimate
            rewards = maligan_rewards(logits, mask)             # per position, over the rows still running
        else:
            seq_logits = discriminator_logits(self.discriminator, samples, self.adv.d_chunk_rows,
                                              self.adv.score_bf16)                           # (B,)
            # MaliGAN-basic: one weight per sequence, normalised over the whole batch, given to each of its
            # tokens (normalising per column would compare a long sample's late tokens with fewer rivals)
            every = torch.ones_like(seq_logits, dtype=torch.bool)[:, None]
            rewards = maligan_rewards(seq_logits[:, None], every) * mask                    # (B, T)
            info = {"d_gen": float(torch.sigmoid(seq_logits).mean())}
        return rewards, {**info, "reward_abs": float(rewards.abs().sum() / mask.sum())}

    def mixed_generator_step(self) -> dict[str, float]:
        """One MaliGAN-full step: continue real prefixes of length `prefix_len`, weight, add prefix MLE."""
        n = self.ctx.cfg.maligan.continuations
        m = max(1, self.adv.batch_size // n)
        data = self.ctx.data.train
        real = data.tokens[torch.randperm(len(data))[:m]].to(self.ctx.device)             # (m', T)
        m = real.shape[0]                                       # fewer when the training set is smaller
        prefixes = real[:, :self.prefix_len].repeat_interleave(n, dim=0)                  # (m*n, N)
        gen = self.generator
        gen.eval()  # sample without dropout; the teacher-forced loss below runs in train mode
        sequences = sample_continuations(gen, prefixes, self.seq_len, eos_id=self.eos_id, pad_id=self.pad_id)
        gen.train()
        logits = discriminator_logits(self.discriminator, sequences, self.adv.d_chunk_rows, self.adv.score_bf16)
        has_sampled = eos_mask(sequences, self.eos_id)[:, self.prefix_len:].any(dim=1)    # (m*n,)
        rewards = group_rewards(logits, m, n, has_sampled)
        # clone: tensors made under inference_mode cannot be saved for backward
        loss, parts = mixed_loss(self.g_train, sequences.clone(), self.prefix_len, rewards.clone(), self.eos_id,
                                 terms=self.ctx.cfg.maligan.mixed_terms, groups=m)
        self.apply_generator_loss(loss)
        return {"g_loss": float(loss.detach()), **parts, "prefix_len": float(self.prefix_len),
                "d_gen": float(torch.sigmoid(logits).mean()),
                "reward_abs": float(rewards.abs().sum() / has_sampled.sum().clamp(min=1))}
