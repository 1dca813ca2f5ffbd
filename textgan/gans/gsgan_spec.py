"""Registry entry of GSGAN (LSTM generator trained through Gumbel-softmax relaxations)."""

from textgan.gans.gsgan import GSGAN, GSGANAdversarialConfig, GSGANMLEConfig
from textgan.nn import DiscriminatorConfig
from textgan.registry import ModelSpec, register

register(ModelSpec(
    name="gsgan",
    algorithm=GSGAN,
    sections={"mle": GSGANMLEConfig, "discriminator": DiscriminatorConfig, "adversarial": GSGANAdversarialConfig},
    description="LSTM generator trained through Gumbel-softmax relaxations against a discriminator reading "
                "soft one-hots",
    paper="GSGAN, Kusner & Hernandez-Lobato 2016, arXiv:1611.04051",
))
