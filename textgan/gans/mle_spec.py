"""Registry entry of the MLE baseline (kept apart from `mle.py` so the shared MLE pieces import cleanly)."""

from textgan.gans.mle import MLE, MLEConfig
from textgan.registry import ModelSpec, register

register(ModelSpec(
    name="mle",
    algorithm=MLE,
    sections={"mle": MLEConfig},
    description="maximum-likelihood baseline (teacher forcing)",
    paper="the MLE baseline of SeqGAN, Yu et al. 2017, arXiv:1609.05473",
))
