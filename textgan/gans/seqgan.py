"""SeqGAN (Yu et al. 2017, arXiv 1609.05473): policy-gradient training of a generator against a CNN D.

User guide: docs/seqgan.md.

Phases (through the shared loop):
1. `mle` — teacher-forced pretraining of G (`mle_epoch`, Adam `mle.lr`).
2. `pretrain_d` — rounds of: fresh negatives from G, `pretrain_d_epochs` epochs of D (BCE, real vs
   generated). SeqGAN: 50 rounds x 3 epochs over 10,000 real + 9,984 generated sequences.
3. `adversarial` — rounds of: `g_steps` REINFORCE steps with Monte Carlo rollout rewards
   (`textgan/rollout.py`), the rollout-network update, then `d_steps` x `d_epochs` of D on fresh
   negatives (SeqGAN: 1 G step, 5 x 3 D epochs per round).

What SeqGAN's code does, and what we do:
- REINFORCE loss: SeqGAN *sums* -log pi(y_t | y_<t) * reward_t over the batch; we take the mean over
  the unmasked positions (positions after EOS are masked). Adam is invariant to a constant scale of the
  loss (up to its epsilon), but the gradient clip (5.0, as SeqGAN) bites much less on the mean.
- G's adversarial optimiser is its own Adam with SeqGAN's same learning rate 0.01 (SeqGAN builds a
  second AdamOptimizer for g_updates next to the pretraining one), so its moments start fresh.
- D training set per round: `num_negatives` fresh samples and as many real sequences drawn without
  replacement from the training set (all of it when it is smaller), shuffled, mini-batches of
  `discriminator.batch_size`.
- Rollout policy: a copy of G made when the adversarial phase starts, updated after every round by
  `update_rollout_network` with `rollout_update_rate` (see its help). With rate 0 the policy is G
  itself and the states cached while sampling are reused; otherwise the rollout network reads the
  sampled sequences once to get its own states. Our reading of SeqGAN's TensorFlow code: its
  `update_params()` builds new mixed tensors that the rollout graph (built once in `__init__` from
  `tf.identity` of G's variables) never reads, so the official runs effectively rolled out with the
  current G — rate 0 here; the default 0.8 is the delayed update the code was written to perform.

`rewards()` is the hook subclasses override (MaliGAN-basic changes only how D's output becomes a reward);
`generator_loss()` turns samples and rewards into G's loss (REINFORCE here; SentiGAN's penalty objective
overrides it); `apply_generator_loss()` is the optimiser step every generator update goes through.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from textgan.config import param
from textgan.gans.base import Phase, TrainContext, mean_metrics
from textgan.gans.discriminator_training import train_real_vs_generated
from textgan.gans.log_probs import token_log_probs
from textgan.gans.mle import MLEConfig, mle_epoch
from textgan.nn import build_discriminator, build_generator
from textgan.rollout import eos_mask, rollout_rewards, update_rollout_network
from textgan.sampling import sample, sample_with_states


@dataclass
class PretrainMLEConfig(MLEConfig):
    """The `mle` section of the policy-gradient GANs: MLEConfig with a shorter quick-profile default."""

    epochs: int = param(10, min=0, help="MLE pretraining epochs of G (SeqGAN: 120; 10 keeps the quick "
                                        "profile under 5 minutes on 2 CPU cores)")


@dataclass
class AdversarialConfig:
    # Defaults are the quick CPU profile (a few minutes); configs/paper/seqgan_oracle.yaml has SeqGAN's.
    rounds: int = param(10, min=0, help="adversarial rounds (SeqGAN: 200 in the paper's figure; "
                                                "its code's TOTAL_BATCH is 800)")
    g_steps: int = param(1, min=0, help="policy-gradient steps per round (SeqGAN: 1)")
    d_steps: int = param(1, min=0, help="fresh negative sets per round, each trained d_epochs (SeqGAN: 5)")
    d_epochs: int = param(1, min=1, help="D epochs over each negative set (SeqGAN: 3)")
    rollouts: int = param(16, min=1, help="Monte Carlo completions per prefix (SeqGAN: 16)")
    rollout_update_rate: float = param(
        0.8, min=0.0, max=1.0,
        help="weight of the OLD rollout parameters after each round: rollout <- rate * rollout + "
             "(1 - rate) * G (SeqGAN's code: 0.8). 0 = the rollout policy is the current G (the paper's "
             "text, and what SeqGAN's TF graph effectively runs; see the module docstring); 1 = frozen at "
             "the pretrained G")
    batch_size: int = param(64, min=1, help="sequences per policy-gradient step (SeqGAN: 64)")
    g_lr: float = param(0.01, min=0.0, min_exclusive=True, help="Adam lr of adversarial G steps (SeqGAN: 0.01)")
    g_grad_clip: float = param(5.0, min=0.0, help="gradient-norm clip of G steps (0 = off; SeqGAN: 5.0)")
    num_negatives: int = param(2000, min=1, help="generated sequences per D training set (SeqGAN: 9,984)")
    pretrain_d_rounds: int = param(5, min=0, help="D pretraining rounds, fresh negatives each (SeqGAN: 50)")
    pretrain_d_epochs: int = param(1, min=1, help="D epochs per pretraining round (SeqGAN: 3)")
    mle_every: int = param(0, min=0, help="one MLE epoch after every N adversarial rounds (0 = never, as SeqGAN)")
    rollout_chunk_rows: int = param(1024, min=1, help="rollout rows decoded at once (bounds the (rows, V) "
                                                     "logits of a decoding step)")
    d_chunk_rows: int = param(2048, min=1, help="sequences per discriminator call when scoring rollouts")
    score_bf16: bool = param(False, help="score rollouts with D's matmuls in bfloat16 (~2x faster D scoring "
                                         "on CPUs with AVX512-BF16; rewards move by ~1e-3)")


def policy_gradient_loss(generator: nn.Module, samples: torch.Tensor, rewards: torch.Tensor,
                         mask: torch.Tensor) -> torch.Tensor:
    """REINFORCE: -mean over unmasked positions of log pi(y_t | y_<t) * reward_t; samples (B, T)."""
    logp = token_log_probs(generator, samples)                               # (B, T)
    weight = mask.to(logp.dtype)
    return -(logp * rewards * weight).sum() / weight.sum().clamp(min=1.0)



class SeqGAN:
    def __init__(self, ctx: TrainContext) -> None:
        self.ctx = ctx
        cfg = ctx.cfg
        self.adv = cfg.adversarial
        vocab = ctx.data.vocab
        self.eos_id, self.pad_id = vocab.eos_id, vocab.pad_id
        self.seq_len = ctx.data.seq_len
        self.generator = build_generator(cfg.generator, vocab.size, vocab.bos_id).to(ctx.device)
        # The rollout policy: a trailing copy of G, never trained by gradients.
        self.rollout = copy.deepcopy(self.generator).requires_grad_(False)
        self.discriminator = build_discriminator(cfg.discriminator, vocab.size).to(ctx.device)
        self.g_optimizer = torch.optim.Adam(self.generator.parameters(), lr=cfg.mle.lr)
        self.g_adv_optimizer = torch.optim.Adam(self.generator.parameters(), lr=self.adv.g_lr)
        self.d_optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=cfg.discriminator.lr)
        # Training forwards run through these (DDP wrappers under torchrun: gradients averaged across
        # ranks; the modules themselves in one process); sampling and scoring use the modules directly.
        self.g_train = ctx.ddp(self.generator)
        self.d_train = ctx.ddp(self.discriminator)

    def modules(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "rollout": self.rollout, "discriminator": self.discriminator}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.g_optimizer, "generator_adv": self.g_adv_optimizer,
                "discriminator": self.d_optimizer}

    def phases(self) -> list[Phase]:
        return [Phase("mle", self.ctx.cfg.mle.epochs, self.mle_iteration, unit="epoch", budget_key="mle.epochs"),
                Phase("pretrain_d", self.adv.pretrain_d_rounds, self.pretrain_d_round, unit="round",
                      budget_key="adversarial.pretrain_d_rounds"),
                Phase("adversarial", self.adv.rounds, self.adversarial_round, unit="round",
                      budget_key="adversarial.rounds")]

    # -- phases ----------------------------------------------------------------------------------

    def mle_iteration(self, epoch: int) -> dict[str, float]:
        mle = self.ctx.cfg.mle
        return mle_epoch(self.generator, self.g_optimizer, self.ctx.data.train, mle.batch_size,
                         mle.grad_clip, self.ctx.device, model=self.g_train)

    def pretrain_d_round(self, index: int) -> dict[str, float]:
        return self.train_discriminator(self.adv.pretrain_d_epochs)

    def adversarial_round(self, index: int) -> dict[str, float]:
        if index == 0:  # the rollout network starts as the pretrained generator (SeqGAN builds it here)
            self.rollout.load_state_dict(self.generator.state_dict())
        metrics = mean_metrics([self.generator_step() for _ in range(self.adv.g_steps)])
        update_rollout_network(self.rollout, self.generator, self.adv.rollout_update_rate)
        if self.adv.mle_every and (index + 1) % self.adv.mle_every == 0:
            metrics.update(self.mle_iteration(index))
        d_metrics = [self.train_discriminator(self.adv.d_epochs) for _ in range(self.adv.d_steps)]
        return {**metrics, **(d_metrics[-1] if d_metrics else {})}

    # -- steps -----------------------------------------------------------------------------------

    def rewards(self, samples: torch.Tensor, states: tuple[torch.Tensor, ...] | None
                ) -> tuple[torch.Tensor, dict[str, float]]:
        """Per-token rewards (B, T) for G's samples (0 after EOS), and what to log about them.

        `states` are G's states over `samples` when the rollout policy is G itself, else None.
        """
        policy = self.generator if self.adv.rollout_update_rate == 0.0 else self.rollout
        rewards = rollout_rewards(policy, self.discriminator, samples, rollouts=self.adv.rollouts,
                                  states=states, eos_id=self.eos_id, pad_id=self.pad_id,
                                  chunk_rows=self.adv.rollout_chunk_rows, d_chunk_rows=self.adv.d_chunk_rows,
                                  bf16=self.adv.score_bf16)
        mask = eos_mask(samples, self.eos_id)
        return rewards, {"reward": float(rewards.sum() / mask.sum()), "d_gen": float(rewards[:, -1].mean())}

    def generator_step(self) -> dict[str, float]:
        """One REINFORCE step on a fresh batch of G's samples."""
        gen = self.generator
        gen.eval()  # sample without dropout; the teacher-forced loss below runs in train mode
        samples, states = sample_with_states(gen, self.adv.batch_size, self.seq_len, eos_id=self.eos_id,
                                             pad_id=self.pad_id)
        gen.train()
        rewards, info = self.rewards(samples, states if self.adv.rollout_update_rate == 0.0 else None)
        # clone: tensors made under inference_mode cannot be saved for backward
        loss = self.generator_loss(samples.clone(), rewards.clone(), eos_mask(samples, self.eos_id))
        self.apply_generator_loss(loss)
        return {"g_loss": float(loss.detach()), **info}

    def generator_loss(self, samples: torch.Tensor, rewards: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """G's adversarial loss on its samples (B, T) given per-token rewards: REINFORCE (SeqGAN)."""
        return policy_gradient_loss(self.g_train, samples, rewards, mask)

    def apply_generator_loss(self, loss: torch.Tensor) -> None:
        """Backward, clip (`g_grad_clip`) and one step of G's adversarial optimiser."""
        self.g_adv_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.adv.g_grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.generator.parameters(), self.adv.g_grad_clip)
        self.g_adv_optimizer.step()

    def train_discriminator(self, epochs: int) -> dict[str, float]:
        """Fresh negatives, then `epochs` epochs of BCE on real vs generated; returns the last epoch's."""
        data = self.ctx.data.train
        n = self.adv.num_negatives
        fake = sample(self.generator, n, self.seq_len, eos_id=self.eos_id, pad_id=self.pad_id)
        real = data.tokens[torch.randperm(len(data))[:n]]
        cfg = self.ctx.cfg.discriminator
        return train_real_vs_generated(self.discriminator, self.d_optimizer, real, fake, epochs=epochs,
                                       batch_size=cfg.batch_size, l2=cfg.l2, forward=self.d_train,
                                       device=self.ctx.device)
