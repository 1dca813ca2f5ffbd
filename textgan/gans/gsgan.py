"""GSGAN (Kusner & Hernandez-Lobato 2016, arXiv 1611.04051, "GANs for sequences of discrete elements with
the Gumbel-softmax distribution"): an LSTM generator whose Gumbel-softmax outputs are fed back as its
next inputs and read directly by the discriminator, so the generator is trained by backpropagation
through the relaxed samples, with the inverse temperature annealed upwards during training.

The training is the shared Gumbel-softmax phase (`textgan/gans/gumbel_gan.py`); GSGAN's defaults here:
the LSTM generator (`generator.kind=lstm`), the standard (non-saturating) GAN loss, the relaxed one-hot
fed back as the next input (`feedback: soft`), beta rising exponentially from 1 to 10.

Deviations from the paper, all config-changeable: the paper's discriminator is an LSTM, ours is the
project's CNN + highway discriminator reading soft one-hots (`discriminator.kind=cnn`; the paper's
experiments are a small context-free grammar, not text benchmarks); the paper samples the generator's
initial hidden state from noise, ours starts from zeros after MLE pretraining (as every model here);
its exact annealing schedule is not given, so the schedule is RelGAN's `exp` (`adversarial.beta_max`,
`adversarial.temperature_schedule`).
"""

from __future__ import annotations

from dataclasses import dataclass

from textgan.config import param
from textgan.gans.gumbel_gan import GumbelAdversarialConfig, GumbelGAN
from textgan.gans.mle import MLEConfig
from textgan.losses import GAN_LOSSES


@dataclass
class GSGANMLEConfig(MLEConfig):
    epochs: int = param(10, min=0, help="MLE pretraining epochs of G (quick profile)")


@dataclass
class GSGANAdversarialConfig(GumbelAdversarialConfig):
    loss: str = param("standard", choices=list(GAN_LOSSES), help="GAN loss from textgan/losses.py "
                                                                  "(GSGAN: standard)")
    d_steps: int = param(1, min=0, help="discriminator updates per step")
    beta_max: float = param(10.0, min=1.0, help="final inverse temperature beta = 1 / tau")
    feedback: str = param("soft", choices=["soft", "hard"],
                          help="next input of G: 'soft' = the relaxed one-hot (GSGAN), 'hard' = the token")


class GSGAN(GumbelGAN):
    """GSGAN: `GumbelGAN` with an LSTM generator, soft feedback and the standard GAN loss."""
