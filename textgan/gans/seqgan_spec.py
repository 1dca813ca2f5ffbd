"""Registry entry of SeqGAN (kept apart from `seqgan.py`, like `mle_spec.py`, so MaliGAN imports it cleanly)."""

from textgan.gans.seqgan import AdversarialConfig, PretrainMLEConfig, SeqGAN
from textgan.nn import DiscriminatorConfig
from textgan.registry import ModelSpec, register

register(ModelSpec(
    name="seqgan",
    algorithm=SeqGAN,
    sections={"mle": PretrainMLEConfig, "discriminator": DiscriminatorConfig, "adversarial": AdversarialConfig},
    description="policy gradient with Monte Carlo rollout rewards from a CNN discriminator",
    paper="SeqGAN, Yu et al. 2017, arXiv:1609.05473",
))
