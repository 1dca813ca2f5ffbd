"""Registry entries of the continuous GANs: one algorithm (`ImageGAN`), registrations differing only in the
defaults of their `gan` config section. Importing this module also registers the data sources
(ring8, grid25, digits) through `textgan.image.data`. It also declares which config keys these models never
read (`UNREAD_KEYS`), and which nets.* keys the networks of each kind of data read (`check_nets_keys`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from textgan.config import ConfigError
from textgan.config_help import as_override
from textgan.data.sources import expected_kind
from textgan.image import data as _data  # noqa: F401  (registers ring8, grid25, digits)
from textgan.image.gan import ImageGAN, config_with_defaults
from textgan.image.nets import NetConfig
from textgan.registry import ModelSpec, get_model, make_config, register

DATA_KINDS = ("points", "images")

# Keys of the shared sections these models never read (ModelSpec.unread_keys) -> why. What they do read: data.name
# and data.max_train (the loaders of textgan/image/data.py), eval.num_samples and eval.seed (ContinuousEvaluator),
# every train.* key (textgan/train.py and the shared loop). The loaders ignore the rest of data.* (a nonzero
# data.valid_size only made load_data refuse the data), G and D come from nets.*, and the text evaluator's keys
# (NLL-test, temperature, BLEU, classifier) have no counterpart here. --show-config hides these keys and setting
# one is an error (tests/image/test_image_cli.py pins the keys that remain).
UNREAD_KEYS = {
    "generator": "continuous GANs build G and D from nets.*",
    **dict.fromkeys(["data.test", "data.encoding", "data.tokenize", "data.lowercase", "data.normalize",
                     "data.max_len", "data.max_auto_len", "data.min_freq", "data.max_vocab", "data.valid_size",
                     "data.labels", "data.class_files", "data.test_fraction", "data.split_seed",
                     "data.drop_longer", "data.oracle"],
                    "ring8, grid25 and digits are built in, with fixed splits"),
    **dict.fromkeys(["eval.num_test", "eval.temperature", "eval.bleu", "eval.bleu_max_n", "eval.classifier"],
                    "continuous runs are scored by mode coverage or FD"),
}

# nets.* keys the networks of each kind of data read (`build_networks`): the MLPs of the 2-D mixtures have no
# channels and keep PyTorch's init; the DCGAN convnets of the images have no hidden width or layer count. Which
# kind a run has is told by its data set, not by the model, so this is a rule across keys (`check_nets_keys`, the
# specs' check_config), as textgan/data/key_scope.py is for the data.* keys of text data, not an unread_keys entry.
NETS_READ = {"points": ("z_dim", "hidden", "layers", "conditional"),
             "images": ("z_dim", "channels", "conditional", "init_std")}
NETS_OF = {"points": "MLP nets", "images": "DCGAN convnets"}
# values of a key the nets do not read that ask for what they do anyway, so they pass: nets.init_std=0 is
# PyTorch's default init, which the MLPs keep (and what the config of a run saved before nets.init_std existed
# reads as: such a ring8 run must still resume)
NETS_AS_BUILT = {"points": {"init_std": 0.0}}


def check_nets_keys(cfg: Any) -> None:
    """Refuse nets.* keys set away from their default that the networks of the run's data never read
    (nets.channels on ring8, nets.hidden on digits): without this they would be ignored, silently. A key at its
    default passes (a run's saved config.yaml holds every key), and so does a value of `NETS_AS_BUILT`. Data
    these models refuse (the oracle, text) or of unknown kind is left to that refusal."""
    kind = expected_kind(cfg.data)
    if kind not in NETS_READ:
        return
    defaults, as_built = make_config(get_model(cfg.model)).nets, NETS_AS_BUILT.get(kind, {})
    unread = []
    for f in dataclasses.fields(cfg.nets):
        value = getattr(cfg.nets, f.name)
        if f.name in NETS_READ[kind] or value == getattr(defaults, f.name) \
                or (f.name in as_built and value == as_built[f.name]):
            continue
        unread.append(f.name)
    if unread:
        one = len(unread) == 1
        named = (f"config key 'nets.{unread[0]}' is" if one
                 else "config keys " + ", ".join(f"'nets.{k}'" for k in unread) + " are")
        back = ", ".join(f"nets.{k}={as_override(getattr(defaults, k))}" for k in unread)
        raise ConfigError(f"{named} not read on {kind} data '{cfg.data.name}' (its {NETS_OF[kind]} read only "
                          f"{', '.join(f'nets.{k}' for k in NETS_READ[kind])}); remove {'it' if one else 'them'}, "
                          f"or set {'it' if one else 'them'} to the default ({back})")


# the gradient penalty's settings, read only with a penalty (ImageGAN.penalty)
PENALTY_KEYS = {"gan.dragan_scale": ("gan.penalty", ("dragan",)),
                "gan.penalty_weight": ("gan.penalty", ("wgan_gp", "dragan"))}

# Shared keys these models read differently from the text models: what `--show-config` says of them.
KEY_HELP = {
    "data.name": "ring8 or grid25 (2-D Gaussian mixtures), digits (8x8 images); the default, oracle, is refused",
    "data.max_train": "use only the first N training points or images (0 = all)",
    "train.best_phases": "phases whose best evaluation is kept: these models have one, adversarial (set "
                         "train.best_phases=[adversarial] to use train.best_metric)",
}


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
                       description=_description, paper=_paper, data_kinds=DATA_KINDS, unread_keys=UNREAD_KEYS,
                       key_help=KEY_HELP, check_settings=check_nets_keys, read_only_when=PENALTY_KEYS))
