"""SentiGAN (Wang & Wan, "SentiGAN: Generating Sentimental Texts via Mixture Adversarial Networks",
IJCAI 2018, doi:10.24963/ijcai.2018/618): K generators and one (K+1)-class discriminator.

What the paper specifies, and where it lives here:
- A mixture of K generators, G_i writing sentences of class i (`conditional.generator=per_class`,
  `PerClassGenerator`), each pretrained by MLE on its own class's sentences (the per-class routing of
  `conditional_mle_epoch` gives every G_i gradients from its class only).
- One multi-class discriminator D with K+1 outputs: classes 1..K are real sentences of that class, K+1
  is "generated" (`conditional.discriminator=multiclass`); loss: cross-entropy with real sentences of class i
  labelled i and every generator's samples labelled K+1.
- A *penalty-based* objective for G_i instead of SeqGAN's reward: G_i minimises the expected penalty
  L(G_i) = E[ sum_t G_i(y_t | Y_<t) V(Y_<t, y_t) ] with V = 1 - D_i(Y), the probability that the sentence
  is *not* a real sentence of class i; for a prefix, V is averaged over Monte Carlo completions by G_i
  (SeqGAN's rollout), for the full sentence V = 1 - D_i(Y). The loss is the penalty itself, weighted by
  the token's *probability* G_i(y_t | Y_<t), not its log-probability (`penalty_loss`; the authors' code,
  Nrgeup/SentiGAN `rewards_loss`, minimises sum_t G_i(y_t) V_t the same way). With log-probabilities it
  would be SeqGAN's REINFORCE with every reward shifted by -1, i.e. the conditional SeqGAN; the
  probability weight is what makes it a penalty. The `rewards` hook returns -V.
Everything else (phases, rollouts, rollout-network update, D rounds) is `ConditionalSeqGAN` / SeqGAN.

Deviations, all deliberate:
- The K generators share one Adam optimiser and one global gradient-norm clip (Adam is per-parameter,
  so only the clip couples them); G steps draw a balanced batch of labels, so each step updates every G_i.
  The authors' code uses RMSProp for the adversarial steps and sums the loss; here it is Adam and a mean
  over the unmasked tokens, as every policy-gradient model of this library.
- G_i starts its sentences from a zero LSTM state after MLE (the authors' released code draws a random
  initial state).
- `conditional.generator=prefix` (one shared generator reading a label prefix) is allowed as a cheaper
  variant; it is not the paper's model. Hyper-parameters default to this library's SeqGAN quick profile.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from textgan.config import param
from textgan.gans.conditional import ConditionalConfig
from textgan.gans.cseqgan import ConditionalSeqGAN
from textgan.gans.log_probs import token_log_probs
from textgan.rollout import eos_mask


@dataclass
class SentiGANConditionalConfig(ConditionalConfig):
    generator: str = param("per_class", choices=["per_class", "prefix"],
                           help="'per_class': K generators (SentiGAN); 'prefix': one shared generator (not the paper)")
    discriminator: str = param("multiclass", choices=["multiclass"],
                               help="SentiGAN's (K+1)-way discriminator (the penalty needs D_i)")


def penalty_loss(generator: torch.nn.Module, samples: torch.Tensor, penalties: torch.Tensor,
                 mask: torch.Tensor) -> torch.Tensor:
    """SentiGAN's objective: mean over unmasked positions of G(y_t | Y_<t) * V_t, samples (B, T).

    The probability (not its log) weights the penalty: minimising it lowers the probability of penalised
    tokens in proportion to how likely they are.
    """
    prob = token_log_probs(generator, samples).exp()                          # (B, T)
    weight = mask.to(prob.dtype)
    return (prob * penalties * weight).sum() / weight.sum().clamp(min=1.0)


class SentiGAN(ConditionalSeqGAN):
    def rewards(self, samples: torch.Tensor, states: tuple[torch.Tensor, ...] | None
                ) -> tuple[torch.Tensor, dict[str, float]]:
        """-V = D_i(Y) - 1 per token (0 after EOS): SentiGAN's penalty, as a negative reward."""
        probs, info = super().rewards(samples, states)       # (B, T) mean D_i over rollouts, 0 after EOS
        mask = eos_mask(samples, self.eos_id)
        penalty = (1.0 - probs) * mask
        return -penalty, {"penalty": float(penalty.sum() / mask.sum()), "d_gen": info["d_gen"]}

    def generator_loss(self, samples: torch.Tensor, rewards: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The penalty objective on the penalties V = -reward (`penalty_loss`), not REINFORCE."""
        return penalty_loss(self.g_train, samples, -rewards, mask)
