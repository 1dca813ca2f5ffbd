"""Registry entry of SentiGAN (`sentigan`)."""

from textgan.gans.sentigan import SentiGAN, SentiGANConditionalConfig
from textgan.gans.seqgan import AdversarialConfig, PretrainMLEConfig
from textgan.nn import DiscriminatorConfig
from textgan.registry import ModelSpec, register

register(ModelSpec(
    name="sentigan",
    algorithm=SentiGAN,
    sections={"mle": PretrainMLEConfig, "discriminator": DiscriminatorConfig, "adversarial": AdversarialConfig,
              "conditional": SentiGANConditionalConfig},
    description="K class generators against a (K+1)-class discriminator, penalty-based policy gradient",
    paper="SentiGAN, Wang & Wan, IJCAI 2018, doi:10.24963/ijcai.2018/618",
    data_kinds=("text",),
    needs_labels=True,
    # its only discriminator, multiclass ((K+1)-way softmax over the text features), has no label embedding
    # or mixing layer: the sizes of the cgan discriminator's (ConditionalDiscriminator) would be set for nothing
    unread_keys=dict.fromkeys(["conditional.label_dim", "conditional.hidden_dim"],
                              "sizes of the cgan discriminator; SentiGAN's is multiclass"),
))
