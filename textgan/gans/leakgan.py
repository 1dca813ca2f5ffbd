"""LeakGAN (Guo et al., AAAI 2018, arXiv 1709.08624): adversarial training with leaked D features.

The generator (textgan/nn/leakgan_generator.py) is a MANAGER / WORKER pair reading the CNN
discriminator's feature vector of the partial sequence at every step. Phases (through the shared loop):

1. `mle` (supervised pretraining, section `pretrain`; named like every model's pretraining phase so
   run records and benchmarks find the pretrained generator) — rounds of: D on `pretrain.d_steps`
   fresh negative sets (BCE, real vs generated), then `pretrain.g_epochs` supervised epochs of G on
   real text: the WORKER by MLE, the MANAGER by
   -cos(f_{t+c} - f_t, g_t) (its goals learn the direction real text moves in D's feature space).
   D comes first in each round because the manager's target is D's features; interleaving D and G
   pretraining is the reference code's schedule (the paper does not give one).
2. `adversarial` — rounds of: `g_steps` policy-gradient steps, one supervised epoch every
   `adversarial.mle_every` rounds (the paper's interleaved training), then D on fresh negatives.
   A step samples a batch, estimates per-token values with Monte Carlo rollouts of G itself (the
   shared batched rollouts of textgan/rollout.py: LeakGAN's state, leaked features included, goes
   through the ordinary step protocol), rescales them by rank (bootstrapped rescaled activation), and
   updates the MANAGER by -Q_t cos(f_{t+c} - f_t, g_t) and the WORKER by REINFORCE with the intrinsic
   reward (textgan/gans/leakgan_rewards.py). Each module has its own Adam and gradient clip.

Deviations and choices (docs/leakgan.md has the full list): per-token rollouts (the reference code rolls
out once per window of c tokens); losses are means over the unmasked positions; D's negatives are
sampled at `leakgan.sample_temperature` (the reference code's generation temperature); no learning-rate
decay (the reference code decays it by 0.96 every 200 / 30 steps).
"""

from __future__ import annotations

import torch
from torch import nn

from textgan.config import ConfigError
from textgan.gans.base import Phase, TrainContext, mean_metrics
from textgan.gans.discriminator_training import train_real_vs_generated
from textgan.gans.leakgan_rewards import carry_final_value, manager_loss, rescaled_activation, worker_loss
from textgan.gans.log_probs import gather_log_probs
from textgan.nn import build_discriminator
from textgan.nn.leakgan_generator import LeakGANGenerator
from textgan.rollout import eos_mask, rollout_rewards
from textgan.sampling import sample, sample_with_states


def _clip_step(params: list[nn.Parameter], optimizer: torch.optim.Optimizer, clip: float) -> None:
    if clip > 0:
        torch.nn.utils.clip_grad_norm_(params, clip)
    optimizer.step()


def check_generator_knobs(cfg) -> None:
    """Refuse generator settings LeakGAN cannot honour (its registry rule, `ModelSpec.check_config`): the
    generator section sizes the worker, and its other knobs have no LeakGAN meaning."""
    g = cfg.generator
    knobs = (("kind", g.kind, "lstm"), ("num_layers", g.num_layers, 1), ("dropout", g.dropout, 0.0))
    for key, value, allowed in knobs:
        if value != allowed:
            raise ConfigError(f"config key 'generator.{key}' must be {allowed!r} for leakgan (its worker and "
                              f"manager are single-layer LSTMs without dropout); got {value!r}")


class LeakGAN:
    def __init__(self, ctx: TrainContext) -> None:
        self.ctx = ctx
        cfg = ctx.cfg
        self.lk, self.pre, self.adv = cfg.leakgan, cfg.pretrain, cfg.adversarial
        vocab = ctx.data.vocab
        self.eos_id, self.pad_id = vocab.eos_id, vocab.pad_id
        self.seq_len = ctx.data.seq_len
        self.generator = self.build_sampler(cfg, vocab.size, vocab.bos_id, self.seq_len).to(ctx.device)
        self.discriminator = self.generator.discriminator   # one network: D's weights live in G's checkpoint
        gen = self.generator
        self.worker_opt = torch.optim.Adam(gen.worker_parameters(), lr=self.pre.lr)
        self.manager_opt = torch.optim.Adam(gen.manager_parameters(), lr=self.pre.lr)
        self.worker_adv_opt = torch.optim.Adam(gen.worker_parameters(), lr=self.adv.g_lr)
        self.manager_adv_opt = torch.optim.Adam(gen.manager_parameters(), lr=self.adv.g_lr)
        self.d_opt = torch.optim.Adam(self.discriminator.parameters(), lr=cfg.discriminator.lr)
        if self.lk.d_real == "oracle" and ctx.data.oracle is None:
            raise ConfigError("config key 'leakgan.d_real' is 'oracle', but the data has no oracle to sample "
                              f"from ({ctx.data.name!r}); use leakgan.d_real=train or --data oracle")

    @staticmethod
    def build_sampler(cfg, vocab_size: int, bos_id: int, seq_len: int) -> LeakGANGenerator:
        """The generator (with its discriminator inside) from a run's config; `textgan.runs.load_run` uses it."""
        check_generator_knobs(cfg)
        g, lk = cfg.generator, cfg.leakgan
        disc = build_discriminator(cfg.discriminator, vocab_size)
        return LeakGANGenerator(vocab_size, disc, seq_len, emb_dim=g.emb_dim, hidden_dim=g.hidden_dim,
                                manager_dim=lk.manager_dim, goal_dim=lk.goal_dim, window=lk.window,
                                bos_id=bos_id, init_std=g.init_std or None)

    def modules(self) -> dict[str, nn.Module]:
        return {"generator": self.generator}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"worker": self.worker_opt, "manager": self.manager_opt, "worker_adv": self.worker_adv_opt,
                "manager_adv": self.manager_adv_opt, "discriminator": self.d_opt}

    def phases(self) -> list[Phase]:
        return [Phase("mle", self.pre.rounds, self.pretrain_round, unit="round", budget_key="pretrain.rounds"),
                Phase("adversarial", self.adv.rounds, self.adversarial_round, unit="round",
                      budget_key="adversarial.rounds")]

    # -- phases ----------------------------------------------------------------------------------

    def pretrain_round(self, index: int) -> dict[str, float]:
        d_metrics = [self.train_discriminator(self.pre.d_epochs) for _ in range(self.pre.d_steps)]
        g_metrics = [self.supervised_epoch() for _ in range(self.pre.g_epochs)]
        return {**(g_metrics[-1] if g_metrics else {}), **(d_metrics[-1] if d_metrics else {})}

    def adversarial_round(self, index: int) -> dict[str, float]:
        metrics = mean_metrics([self.generator_step() for _ in range(self.adv.g_steps)])
        if self.adv.mle_every and (index + 1) % self.adv.mle_every == 0:
            metrics.update(self.supervised_epoch())
        d_metrics = [self.train_discriminator(self.adv.d_epochs) for _ in range(self.adv.d_steps)]
        return {**metrics, **(d_metrics[-1] if d_metrics else {})}

    # -- steps -----------------------------------------------------------------------------------

    def supervised_epoch(self) -> dict[str, float]:
        """One pass over the real data: worker by MLE, manager towards real feature changes."""
        gen, pre, dev = self.generator, self.pre, self.ctx.device
        gen.train()
        totals = torch.zeros(2, dtype=torch.float64, device=dev)  # on the device: no per-batch GPU sync
        batches = 0
        for tokens, lengths in self.ctx.data.train.batches(pre.batch_size, shuffle=True):
            tokens, lengths = tokens.to(dev), lengths.to(dev)
            mask = torch.arange(tokens.shape[1], device=dev)[None, :] < lengths[:, None]     # (B, T)
            out = gen.unroll(tokens)
            w_loss = -(gather_log_probs(out.logits, tokens) * mask).sum() / mask.sum().clamp(min=1)
            m_loss = manager_loss(out, self.lk.window, mask)
            self.worker_opt.zero_grad(set_to_none=True)
            self.manager_opt.zero_grad(set_to_none=True)
            (w_loss + m_loss).backward()    # disjoint parameters: each loss reaches only its own module
            _clip_step(gen.worker_parameters(), self.worker_opt, pre.grad_clip)
            _clip_step(gen.manager_parameters(), self.manager_opt, pre.grad_clip)
            totals += torch.stack([w_loss.detach(), m_loss.detach()]).double()
            batches += 1
        w, m = (totals / max(batches, 1)).tolist()
        return {"mle_loss": w, "manager_cos": -m}

    def generator_step(self) -> dict[str, float]:
        """One policy-gradient step of manager and worker on a fresh batch of G's samples."""
        gen, adv, lk = self.generator, self.adv, self.lk
        gen.eval()
        samples, states = sample_with_states(gen, adv.batch_size, self.seq_len, temperature=adv.temperature,
                                             eos_id=self.eos_id, pad_id=self.pad_id)
        values = rollout_rewards(gen, self.discriminator, samples, rollouts=adv.rollouts, states=states,
                                 eos_id=self.eos_id, pad_id=self.pad_id, chunk_rows=adv.rollout_chunk_rows,
                                 d_chunk_rows=adv.d_chunk_rows,
                                 temperature=adv.temperature)                         # (B, T) mean D(real)
        # clone: tensors made under inference_mode cannot be saved for backward
        samples, values = samples.clone(), values.clone()
        mask = eos_mask(samples, self.eos_id)
        rescaled = rescaled_activation(carry_final_value(values, mask), lk.delta)  # all B rows in every column
        gen.train()
        out = gen.unroll(samples)
        m_loss = manager_loss(out, lk.window, mask, rescaled)  # a window past EOS: the finished sequence's value
        w_loss, intrinsic = worker_loss(out, samples, lk.window, mask, rescaled * mask, lk.worker_extrinsic,
                                        temperature=adv.temperature)
        self.worker_adv_opt.zero_grad(set_to_none=True)
        self.manager_adv_opt.zero_grad(set_to_none=True)
        (w_loss + m_loss).backward()
        _clip_step(gen.worker_parameters(), self.worker_adv_opt, adv.g_grad_clip)
        _clip_step(gen.manager_parameters(), self.manager_adv_opt, adv.g_grad_clip)
        return {"manager_loss": float(m_loss.detach()), "worker_loss": float(w_loss.detach()),
                "intrinsic": float((intrinsic * mask).sum() / mask.sum()),
                "reward": float((values * mask).sum() / mask.sum()),
                # D(Y): the value at each sequence's last real token (EOS or position T - 1)
                "d_gen": float(values.gather(1, mask.sum(dim=1, keepdim=True) - 1).mean())}

    def train_discriminator(self, epochs: int) -> dict[str, float]:
        """Fresh negatives (at the generation temperature), then `epochs` epochs of BCE, real vs generated."""
        data = self.ctx.data.train
        n = self.adv.num_negatives
        fake = sample(self.generator, n, self.seq_len, temperature=self.lk.sample_temperature,
                      eos_id=self.eos_id, pad_id=self.pad_id)
        if self.lk.d_real == "oracle":
            # the reference code's positives: fresh oracle samples at T = 1, the way the training set was drawn
            # (the oracle stays where the data put it, the CPU; the negatives are on the training device)
            real = sample(self.ctx.data.oracle, n, self.seq_len, eos_id=self.eos_id,
                          pad_id=self.pad_id).to(fake.device)
        else:
            real = data.tokens[torch.randperm(len(data))[:n]]
        cfg = self.ctx.cfg.discriminator
        return train_real_vs_generated(self.discriminator, self.d_opt, real, fake, epochs=epochs,
                                       batch_size=cfg.batch_size, l2=cfg.l2, device=self.ctx.device)
