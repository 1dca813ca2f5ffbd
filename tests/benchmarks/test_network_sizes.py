"""benchmarks/network_sizes.py: parameters per network, a discriminator held inside another network counted as D."""

from __future__ import annotations

import sys
from pathlib import Path

from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks.network_sizes import count_parameters, network_sizes


class _WithInnerDiscriminator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(3, 4)             # 16 parameters
        self.discriminator = nn.Linear(4, 1)    # 5 parameters


def test_inner_discriminator_counts_as_discriminator():
    sizes = count_parameters({"generator": _WithInnerDiscriminator(), "critic": nn.Linear(2, 2)})
    assert sizes == {"generator": 16, "discriminator": 5, "critic": 6}


def test_sizes_of_a_resolved_config_split_the_leakgan_generator():
    """LeakGAN's generator module holds its discriminator: the sizes split it, and add up to the module."""
    from textgan.config import to_dict
    from textgan.gans.leakgan import LeakGAN
    from textgan.train import build_parser, resolve_config

    _, cfg, _ = resolve_config(build_parser().parse_args(["--config", "configs/tiny/leakgan.yaml"]))
    sizes = network_sizes(to_dict(cfg))
    whole = LeakGAN.build_sampler(cfg, 50, 0, 8)   # the tiny seeded oracle: 50 tokens, length 8
    assert sizes["generator"] + sizes["discriminator"] == sum(p.numel() for p in whole.parameters())
    assert sizes["discriminator"] == sum(p.numel() for p in whole.discriminator.parameters())
