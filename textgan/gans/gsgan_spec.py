"""Registry entry of GSGAN (LSTM generator trained through Gumbel-softmax relaxations)."""

from dataclasses import dataclass

from textgan.config import param
from textgan.gans.gsgan import GSGAN, GSGANAdversarialConfig, GSGANMLEConfig
from textgan.nn import DiscriminatorConfig
from textgan.registry import ModelSpec, register


@dataclass
class GSGANDiscriminatorConfig(DiscriminatorConfig):
    # SeqGAN's CNN carries an L2 term on its output layer (0.2); GSGAN's objective has none
    l2: float = param(0.0, min=0.0, help="L2 weight on the output layer (GSGAN: none; SeqGAN's CNN: 0.2)")

register(ModelSpec(
    name="gsgan",
    algorithm=GSGAN,
    sections={"mle": GSGANMLEConfig, "discriminator": GSGANDiscriminatorConfig, "adversarial": GSGANAdversarialConfig},
    description="LSTM generator trained through Gumbel-softmax relaxations against a discriminator reading "
                "soft one-hots",
    paper="GSGAN, Kusner & Hernandez-Lobato 2016, arXiv:1611.04051",
))
