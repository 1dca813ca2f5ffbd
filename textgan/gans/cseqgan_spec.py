"""Registry entry of conditional SeqGAN (`cseqgan`)."""

from textgan.gans.conditional import ConditionalConfig
from textgan.gans.cseqgan import ConditionalSeqGAN
from textgan.gans.seqgan import AdversarialConfig, PretrainMLEConfig
from textgan.nn import DiscriminatorConfig
from textgan.registry import ModelSpec, register

register(ModelSpec(
    name="cseqgan",
    algorithm=ConditionalSeqGAN,
    sections={"mle": PretrainMLEConfig, "discriminator": DiscriminatorConfig, "adversarial": AdversarialConfig,
              "conditional": ConditionalConfig},
    description="SeqGAN with a class-conditional generator and discriminator (class-conditional rollouts)",
    paper="SeqGAN, Yu et al. 2017, arXiv:1609.05473, conditioned as CGAN, Mirza & Osindero 2014, arXiv:1411.1784",
    data_kinds=("text",),
    needs_labels=True,
    # the label embedding and mixing layer exist in the cgan discriminator only (nn/conditional_discriminator.py)
    read_only_when=dict.fromkeys(["conditional.label_dim", "conditional.hidden_dim"],
                                 ("conditional.discriminator", ("cgan",))),
))
