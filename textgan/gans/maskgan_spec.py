"""Registry entry of MaskGAN (in-filling with an actor-critic GAN, arXiv 1801.07736)."""

from textgan.gans.maskgan import SECTIONS, MaskGAN
from textgan.gans.maskmle import DEFAULTS, check_infill_kind
from textgan.registry import ModelSpec, register

register(ModelSpec(
    name="maskgan",
    algorithm=MaskGAN,
    sections=dict(SECTIONS),
    defaults=dict(DEFAULTS),
    description="in-filling seq2seq GAN: per-token log D rewards, REINFORCE with a critic baseline",
    paper="MaskGAN, Fedus, Goodfellow & Dai 2018, arXiv:1801.07736",
    check_config=check_infill_kind,
))
