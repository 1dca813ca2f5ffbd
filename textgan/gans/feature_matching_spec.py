"""Registry entry of TextGAN (Zhang et al. 2017, arXiv 1706.03850): adversarial feature matching with kernel MMD."""

from textgan.gans.feature_matching import FeatureMatchingConfig, TextGAN, TextGANConfig, check_textgan_config
from textgan.gans.seqgan import PretrainMLEConfig
from textgan.nn import DiscriminatorConfig
from textgan.registry import ModelSpec, register

register(ModelSpec(
    name="textgan",
    algorithm=TextGAN,
    sections={"mle": PretrainMLEConfig, "discriminator": DiscriminatorConfig, "adversarial": FeatureMatchingConfig,
              "textgan": TextGANConfig},
    description="soft-argmax LSTM matching a CNN's sentence features by kernel MMD (+ D's z reconstruction)",
    paper="TextGAN, Zhang et al. 2017, arXiv:1706.03850",
    check_config=check_textgan_config,
))
