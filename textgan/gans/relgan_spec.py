"""Registry entry of RelGAN (relational-memory G, multi-representation D, Gumbel-softmax, RSGAN loss)."""

from textgan.gans.relgan import GENERATOR_DEFAULTS, RelGAN, RelGANAdversarialConfig, RelGANMLEConfig
from textgan.nn.relgan_discriminator import RelGANDiscriminatorConfig
from textgan.registry import ModelSpec, register

register(ModelSpec(
    name="relgan",
    algorithm=RelGAN,
    sections={"mle": RelGANMLEConfig,
              "discriminator": RelGANDiscriminatorConfig, "adversarial": RelGANAdversarialConfig},
    description="relational-memory generator trained through Gumbel-softmax against a multi-representation "
                "CNN discriminator (RSGAN loss)",
    defaults=GENERATOR_DEFAULTS,
    paper="RelGAN, Nie et al., ICLR 2019, https://openreview.net/forum?id=rJedV3R5tm",
))
