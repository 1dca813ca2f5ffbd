"""RankGAN (Lin et al., NeurIPS 2017, arXiv 1705.11001): a ranker instead of a binary discriminator.

The ranker R encodes a sentence s with a CNN (SeqGAN's CNN + highway, `CNNDiscriminator.features`),
scores its relevance to a reference sentence u by cosine similarity, and ranks s within a comparison
set C (Sec. 2.2, eqs. 2-4):

    alpha(s | u) = cos(y_s, y_u)                                   y = the CNN features (F,)
    P(s | u, C') = exp(gamma alpha(s | u)) / sum_{s' in C'} exp(gamma alpha(s' | u)),   C' = C + {s}
    log R(s | U, C) = mean_{u in U} log P(s | u, C')

Ranker objective (eq. 1), maximised by R and minimised by G: human-written s are ranked against a
comparison set C- of generated sentences, generated s against a set C+ of human-written ones:

    L = E_{s ~ data} log R(s | U, C-) + E_{s ~ G} log(1 - R(s | U, C+))

G is trained by policy gradient with Monte Carlo rollouts (eq. 5): the reward of token y_t is the mean of
log R(completion | U, C+) over the rollouts of the prefix y_1..y_t, through the shared batched rollouts
(`textgan/rollout.py`, its `score` hook). Phases, rollouts, REINFORCE loss and optimisers are SeqGAN's
(`textgan/gans/seqgan.py`); only `rewards` and the discriminator (ranker) training differ.

Choices the paper leaves open, and ours:
- Per ranker mini-batch: `discriminator.batch_size` real and as many generated sentences; the comparison
  set of each real sentence is that generated mini-batch (C-), of each generated one the real mini-batch
  (C+); the reference set U is `rankgan.num_references` fresh training sentences.
- Per G step, U and C+ are drawn once from the training set and fixed for all rollouts of that step.
- `rankgan.reward`: "log" (default) is the paper's log R; "prob" uses R itself (in [0, 1], like
  SeqGAN's D(x)), a lower-variance alternative for REINFORCE without a baseline.
- gamma: the paper sets it empirically and we found no value in its text; default 1.0 (config).
- The ranker is the CNN's feature extractor; its output layer (and SeqGAN's L2 on it) is unused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from textgan.config import param
from textgan.gans.seqgan import SeqGAN
from textgan.rollout import eos_mask, rollout_rewards
from textgan.sampling import sample


@dataclass
class RankGANConfig:
    gamma: float = param(1.0, min=0.0, min_exclusive=True,
                         help="inverse temperature of the ranking softmax over the comparison set")
    num_references: int = param(64, min=1, help="reference sentences U per ranker step / G step")
    num_comparison: int = param(64, min=1, help="human-written sentences in C+ when rewarding G's samples")
    reward: str = param("log", choices=["log", "prob"],
                        help="'log': reward log R(s|U,C+) (the paper); 'prob': R(s|U,C+) in [0, 1]")
    score_chunk_rows: int = param(2048, min=1, help="sequences per ranker call when scoring rollouts")


def cosine_relevance(features: torch.Tensor, references: torch.Tensor) -> torch.Tensor:
    """alpha(s | u): cosine similarity of every sentence's features (N, F) to every reference (U, F) -> (N, U)."""
    return F.normalize(features, dim=1) @ F.normalize(references, dim=1).T


def log_rank(relevance: torch.Tensor, comparison: torch.Tensor, gamma: float) -> torch.Tensor:
    """log R(s | U, C) (N,) from alpha(s | u) (N, U) and the comparison set's alpha(c | u) (M, U).

    Each s is ranked within C + {s} (its own comparison set, independently of the other rows):
    log P(s | u) = gamma alpha(s|u) - log(exp(gamma alpha(s|u)) + sum_c exp(gamma alpha(c|u))), then the
    mean over the references u.
    """
    mine = gamma * relevance                                                  # (N, U)
    others = torch.logsumexp(gamma * comparison, dim=0)                       # (U,)
    return (mine - torch.logaddexp(mine, others[None, :])).mean(dim=1)        # (N,)


def log_one_minus_exp(log_p: torch.Tensor) -> torch.Tensor:
    """log(1 - exp(log_p)) for log_p < 0, stable at both ends."""
    log_p = log_p.clamp(max=-1e-7)
    return torch.where(log_p > -0.6931, torch.log(-torch.expm1(log_p)), torch.log1p(-torch.exp(log_p)))


def ranker_loss(real_features: torch.Tensor, fake_features: torch.Tensor, ref_features: torch.Tensor,
                gamma: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """-(mean log R(real | U, fake batch) + mean log(1 - R(fake | U, real batch))); also both log R's.

    real_features (B, F), fake_features (B', F), ref_features (U, F).
    """
    real_rel = cosine_relevance(real_features, ref_features)                  # (B, U)
    fake_rel = cosine_relevance(fake_features, ref_features)                  # (B', U)
    log_r_real = log_rank(real_rel, fake_rel, gamma)                          # real vs C- = generated
    log_r_fake = log_rank(fake_rel, real_rel, gamma)                          # generated vs C+ = real
    loss = -(log_r_real.mean() + log_one_minus_exp(log_r_fake).mean())
    return loss, log_r_real.detach(), log_r_fake.detach()


class RankGAN(SeqGAN):
    """SeqGAN's schedule with the ranker's rewards; `self.discriminator` is the ranker's CNN encoder."""

    def _real(self, n: int) -> torch.Tensor:
        data = self.ctx.data.train
        return data.tokens[torch.randint(len(data), (n,))].to(self.ctx.device)   # (n, T)

    @torch.inference_mode()
    def ranking_scorer(self) -> Callable[[torch.Tensor], torch.Tensor]:
        """ids (N, T) -> reward (N,): log R(s | U, C+) (or R) against a fixed, freshly drawn U and C+."""
        cfg = self.ctx.cfg.rankgan
        enc = self.discriminator
        was_training = enc.training
        enc.eval()
        refs = enc.features(self._real(cfg.num_references))                       # (U, F)
        comparison = cosine_relevance(enc.features(self._real(cfg.num_comparison)), refs)  # (M, U)
        enc.train(was_training)

        @torch.inference_mode()
        def score(tokens: torch.Tensor) -> torch.Tensor:
            training = enc.training
            enc.eval()
            out = torch.cat([log_rank(cosine_relevance(enc.features(tokens[s:s + cfg.score_chunk_rows]), refs),
                                      comparison, cfg.gamma)
                             for s in range(0, tokens.shape[0], cfg.score_chunk_rows)])
            enc.train(training)
            return out.exp() if cfg.reward == "prob" else out

        return score

    def rewards(self, samples: torch.Tensor, states: tuple[torch.Tensor, ...] | None
                ) -> tuple[torch.Tensor, dict[str, float]]:
        policy = self.generator if self.adv.rollout_update_rate == 0.0 else self.rollout
        rewards = rollout_rewards(policy, None, samples, rollouts=self.adv.rollouts, states=states,
                                  eos_id=self.eos_id, pad_id=self.pad_id, chunk_rows=self.adv.rollout_chunk_rows,
                                  score=self.ranking_scorer())                # (B, T)
        mask = eos_mask(samples, self.eos_id)
        # the full sequence's score sits at its last unmasked position (its EOS, or T - 1 without one)
        final = rewards.gather(1, (mask.sum(dim=1, keepdim=True) - 1).clamp(min=0))          # (B, 1)
        return rewards, {"reward": float(rewards.sum() / mask.sum()), "rank_gen": float(final.mean())}

    def train_discriminator(self, epochs: int) -> dict[str, float]:
        """Fresh negatives, then `epochs` epochs of the ranking loss; returns the last epoch's means."""
        cfg, rcfg, dev = self.ctx.cfg.discriminator, self.ctx.cfg.rankgan, self.ctx.device
        n = self.adv.num_negatives
        fake = sample(self.generator, n, self.seq_len, eos_id=self.eos_id, pad_id=self.pad_id).to(dev)
        enc = self.discriminator
        enc.train()
        for _ in range(epochs):
            real = self._real(n)                                                   # (n, T)
            order = torch.randperm(n, device=dev)
            sums = torch.zeros(3, dtype=torch.float64, device=dev)  # loss, R(real), R(fake), sample-weighted
            for start in range(0, n, cfg.batch_size):
                idx = order[start:start + cfg.batch_size]
                feats = enc.features(torch.cat([real[idx], fake[idx], self._real(rcfg.num_references)]))
                b = len(idx)
                loss, lr_real, lr_fake = ranker_loss(feats[:b], feats[b:2 * b], feats[2 * b:], rcfg.gamma)
                self.d_optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.d_optimizer.step()
                sums += torch.stack([loss.detach(), lr_real.exp().mean(), lr_fake.exp().mean()]).double() * b
        loss, r_real, r_fake = (sums / n).tolist()
        return {"d_loss": loss, "rank_real": r_real, "rank_fake": r_fake}

