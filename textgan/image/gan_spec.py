"""Registry entries of the continuous GANs: one algorithm (`ImageGAN`), registrations differing only in the
defaults of their `gan` config section. Importing this module also registers the data sources
(ring8, grid25, digits) through `textgan.image.data`.
"""

from __future__ import annotations

from textgan.image import data as _data  # noqa: F401  (registers ring8, grid25, digits)
from textgan.image.gan import ImageGAN, config_with_defaults
from textgan.image.nets import NetConfig
from textgan.registry import ModelSpec, register

DATA_KINDS = ("points", "images")


# name -> (description, paper, GANConfig defaults)
MODELS = {
    "gan": ("GAN, non-saturating loss (MLP nets for 2-D data, DCGAN nets for images)",
            "Goodfellow et al. 2014, arXiv:1406.2661", {}),
    "dcgan": ("DCGAN: standard non-saturating loss, conv G with batch norm, LeakyReLU D",
              "Radford et al. 2016, arXiv:1511.06434", {}),
    "wgan_gp": ("Wasserstein critic with gradient penalty, 5 critic steps",
                "Gulrajani et al. 2017, arXiv:1704.00028",
                {"loss": "wasserstein", "penalty": "wgan_gp", "d_steps": 5, "lr_g": 1e-4, "lr_d": 1e-4,
                 "beta2": 0.9}),
    "lsgan": ("least squares GAN (a=0, b=c=1)", "Mao et al. 2017, arXiv:1611.04076", {"loss": "lsgan"}),
    "hinge_sn": ("hinge loss with a spectrally normalised discriminator",
                 "Miyato et al. 2018, arXiv:1802.05957", {"loss": "hinge", "spectral_norm": True}),
    "dragan": ("standard loss + DRAGAN gradient penalty around the real data",
               "Kodali et al. 2017, arXiv:1705.07215",
               {"penalty": "dragan", "lr_g": 1e-4, "lr_d": 1e-4, "beta2": 0.9}),
}

for _name, (_description, _paper, _defaults) in MODELS.items():
    _section = config_with_defaults(f"{_name.title().replace('_', '')}Config", **_defaults)
    register(ModelSpec(name=_name, algorithm=ImageGAN, sections={"gan": _section, "nets": NetConfig},
                       description=_description, paper=_paper, data_kinds=DATA_KINDS))
