"""Registry entry of the conditional MLE baseline (`cgan_mle`)."""

from textgan.gans.cgan_mle import ConditionalMLE
from textgan.gans.conditional import ConditionalConfig
from textgan.gans.mle import MLEConfig
from textgan.registry import ModelSpec, register

register(ModelSpec(
    name="cgan_mle",
    algorithm=ConditionalMLE,
    sections={"mle": MLEConfig, "conditional": ConditionalConfig},
    description="class-conditional MLE baseline (label-conditioned generator, teacher forcing)",
    paper="conditioning as in CGAN, Mirza & Osindero 2014, arXiv:1411.1784; MLE of SeqGAN, arXiv:1609.05473",
    data_kinds=("text",),
    needs_labels=True,
    # the `conditional` section is the adversarial models' (cseqgan): of it, teacher forcing reads only
    # conditional.generator (build_conditional_g); the discriminator's keys would be set for nothing
    unread_keys=dict.fromkeys(["conditional.discriminator", "conditional.label_dim", "conditional.hidden_dim"],
                              "cgan_mle trains no discriminator"),
))
