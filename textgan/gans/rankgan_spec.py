"""Registry entry of RankGAN (Lin et al. 2017, arXiv 1705.11001): SeqGAN's training with a ranker's rewards."""

from textgan.gans.rankgan import RankGAN, RankGANConfig
from textgan.gans.seqgan import AdversarialConfig, PretrainMLEConfig
from textgan.nn import DiscriminatorConfig
from textgan.registry import ModelSpec, register

register(ModelSpec(
    name="rankgan",
    algorithm=RankGAN,
    sections={"mle": PretrainMLEConfig, "discriminator": DiscriminatorConfig, "adversarial": AdversarialConfig,
              "rankgan": RankGANConfig},
    description="policy gradient with rollout rewards from a ranker (cosine relevance to references)",
    paper="RankGAN, Lin et al. 2017, arXiv:1705.11001",
))
