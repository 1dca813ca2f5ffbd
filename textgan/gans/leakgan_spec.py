"""Registry entry of LeakGAN (Guo et al. 2018, arXiv 1709.08624): hierarchical manager / worker generator
guided by the discriminator's leaked features."""

from textgan.gans.leakgan import LeakGAN, check_generator_knobs
from textgan.gans.leakgan_config import LeakGANAdversarialConfig, LeakGANConfig, LeakGANPretrainConfig
from textgan.nn import DiscriminatorConfig
from textgan.registry import ModelSpec, register

register(ModelSpec(
    name="leakgan",
    algorithm=LeakGAN,
    sections={"leakgan": LeakGANConfig, "pretrain": LeakGANPretrainConfig, "discriminator": DiscriminatorConfig,
              "adversarial": LeakGANAdversarialConfig},
    description="manager / worker generator guided by the discriminator's leaked features",
    paper="LeakGAN, Guo et al. 2018, arXiv:1709.08624",
    check_config=check_generator_knobs,
))
