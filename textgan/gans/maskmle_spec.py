"""Registry entry of MaskMLE, the maximum-likelihood in-filling baseline of MaskGAN (arXiv 1801.07736)."""

from textgan.gans.maskmle import DEFAULTS, SECTIONS, MaskMLE, check_infill_kind
from textgan.registry import ModelSpec, register

register(ModelSpec(
    name="maskmle",
    algorithm=MaskMLE,
    sections=dict(SECTIONS),
    defaults=dict(DEFAULTS),
    description="in-filling seq2seq generator trained by masked teacher forcing (MaskGAN's MLE baseline)",
    paper="MaskGAN, Fedus, Goodfellow & Dai 2018, arXiv:1801.07736",
    check_config=check_infill_kind,
))
