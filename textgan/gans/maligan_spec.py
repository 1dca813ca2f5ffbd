"""Registry entry of MaliGAN (SeqGAN's training with normalised importance-weight rewards; basic and full)."""

from textgan.gans.maligan import MaliGAN, MaliGANConfig
from textgan.gans.seqgan import AdversarialConfig, PretrainMLEConfig
from textgan.nn import DiscriminatorConfig
from textgan.registry import ModelSpec, register

register(ModelSpec(
    name="maligan",
    algorithm=MaliGAN,
    sections={"mle": PretrainMLEConfig, "discriminator": DiscriminatorConfig, "adversarial": AdversarialConfig,
              "maligan": MaliGANConfig},
    description="SeqGAN's training with normalised importance weights D/(1-D) as rewards",
    paper="MaliGAN, Che et al. 2017, arXiv:1702.07983",
    variant_keys=("maligan.reward", "maligan.mixed_terms"),
))
