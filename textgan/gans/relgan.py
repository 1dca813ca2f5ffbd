"""RelGAN (Nie, Narodytska & Patel, ICLR 2019, "RelGAN: Relational Generative Adversarial Networks for
Text Generation", https://openreview.net/forum?id=rJedV3R5tm): a relational-memory generator trained
through Gumbel-softmax relaxations against a multi-representation CNN discriminator with the
relativistic standard loss.

The training itself is the shared Gumbel-softmax phase (`textgan/gans/gumbel_gan.py`); this module
holds RelGAN's defaults:
- generator: kind `relational_memory` (`textgan/nn/relational_memory.py`; 1 slot, 2 heads of 256,
  embedding 32; the quick profile's heads are 32 units);
- discriminator: kind `relgan` (`textgan/nn/relgan_discriminator.py`; 64 representations of a
  64-unit embedding, widths 2..5 x 300 filters; the quick profile: 16 representations, 64 filters);
- MLE pretraining with Adam 1e-2, clip 5 (RelGAN: 150 epochs; the quick default here is 5);
- adversarial: RSGAN loss, Adam 1e-4 for G and D, 1 G and 5 D updates per step, batch 64, beta rising
  exponentially to beta_max (RelGAN's oracle runs: 2..100 over N = 5000 with 3000 steps; COCO: 100 or
  1000 over 2000 steps), the sampled token fed back as the next input (as RelGAN's code).

Not implemented from the paper's code: the optional spectral norm in D, the learning-rate decay
option, and the `log_pg`-trained temperature variant (RelGAN's runs use fixed schedules).
"""

from __future__ import annotations

from dataclasses import dataclass

from textgan.config import param
from textgan.gans.gumbel_gan import GumbelAdversarialConfig, GumbelGAN
from textgan.gans.mle import MLEConfig

# RelGAN's defaults for keys of the shared `generator` section (registered as ModelSpec.defaults): its
# relational-memory generator, with heads of 32 units in the quick profile (RelGAN: 256, the section's
# own default, which configs/paper/relgan_oracle.yaml sets).
GENERATOR_DEFAULTS = {"generator.kind": "relational_memory", "generator.emb_dim": 32,
                      "generator.relational.head_size": 32}


@dataclass
class RelGANMLEConfig(MLEConfig):
    epochs: int = param(5, min=0, help="MLE pretraining epochs of G (RelGAN: 150; 5 is the quick profile)")
    lr: float = param(0.01, min=0.0, min_exclusive=True, help="Adam learning rate (RelGAN: 1e-2)")


@dataclass
class RelGANAdversarialConfig(GumbelAdversarialConfig):
    """RelGAN's values are GumbelAdversarialConfig's defaults; kept as its own class for the registry."""


class RelGAN(GumbelGAN):
    """RelGAN: `GumbelGAN` with RelGAN's networks and defaults (all of them config)."""
