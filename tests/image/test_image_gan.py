"""The shared image-GAN algorithm: one training round of every registered continuous model (each loss /
penalty / spectral-norm combination) on points and on digits, conditional networks, and the config
sections that make the registrations differ only in defaults."""

from __future__ import annotations

import math

import pytest
import torch

from textgan.config import ConfigError, set_value
from textgan.data.sources import DataConfig, load_data
from textgan.errors import UserError
from textgan.gans.base import TrainContext
from textgan.image.gan import GANConfig, ImageGAN
from textgan.image.nets import DCGANGenerator, MLPGenerator
from textgan.losses import get_gan_loss
from textgan.registry import all_models, get_model, make_config

IMAGE_MODELS = sorted(n for n, s in all_models().items() if s.algorithm is ImageGAN)


@pytest.fixture(scope="module")
def datasets():
    return {"ring8": load_data(DataConfig(name="ring8", max_train=512)),
            "digits": load_data(DataConfig(name="digits", max_train=256))}


def build(name: str, data, **overrides):
    spec = get_model(name)
    cfg = make_config(spec)
    cfg.data.name = data.name
    cfg.gan.steps, cfg.gan.batch_size = 2, 8
    cfg.nets.hidden, cfg.nets.channels, cfg.nets.z_dim = 16, 4, 4
    for key, value in overrides.items():
        section, field = key.split("__")
        setattr(getattr(cfg, section), field, value)
    torch.manual_seed(0)
    return ImageGAN(TrainContext(cfg, data, torch.device("cpu")))


def test_all_issue_models_are_registered_on_one_algorithm():
    assert {"gan", "dcgan", "wgan_gp", "lsgan", "hinge_sn", "dragan"} <= set(IMAGE_MODELS)
    for name in IMAGE_MODELS:
        spec = get_model(name)
        assert spec.data_kinds == ("points", "images") and set(spec.sections) == {"gan", "nets"}
        assert set(spec.sections["gan"].__dataclass_fields__) == set(GANConfig.__dataclass_fields__)
    defaults = {n: make_config(get_model(n)).gan for n in IMAGE_MODELS}
    assert (defaults["wgan_gp"].loss, defaults["wgan_gp"].penalty, defaults["wgan_gp"].d_steps) == \
        ("wasserstein", "wgan_gp", 5)
    assert (defaults["hinge_sn"].loss, defaults["hinge_sn"].spectral_norm) == ("hinge", True)
    assert (defaults["lsgan"].loss, defaults["dragan"].penalty) == ("lsgan", "dragan")
    assert defaults["dcgan"].loss == defaults["gan"].loss == "standard"


@pytest.mark.parametrize("data_name", ["ring8", "digits"])
@pytest.mark.parametrize("name", IMAGE_MODELS)
def test_one_round_of_each_loss_updates_both_networks(name, data_name, datasets):
    algo = build(name, datasets[data_name])
    before = {k: [p.detach().clone() for p in m.parameters()] for k, m in algo.modules().items()}
    out = algo.round(0)
    assert {"d_loss", "g_loss"} <= set(out) and all(torch.isfinite(torch.tensor(v)) for v in out.values())
    assert ("penalty" in out) == (algo.cfg.penalty != "none")
    for key, module in algo.modules().items():
        changed = any(not a.equal(b) for a, b in zip(before[key], module.parameters()))
        assert changed, f"{key} of {name} did not change"


def test_networks_follow_the_data_kind(datasets):
    assert isinstance(build("gan", datasets["ring8"]).generator, MLPGenerator)
    g = build("dcgan", datasets["digits"]).generator
    assert isinstance(g, DCGANGenerator) and any(isinstance(m, torch.nn.BatchNorm2d) for m in g.modules())
    assert not any(isinstance(m, torch.nn.MaxPool2d) for m in g.modules())


def test_dcgan_nets_start_from_the_papers_init_and_the_mlps_from_pytorchs(datasets):
    def weights(module, kinds):
        return torch.cat([m.weight.detach().flatten() for m in module.modules() if isinstance(m, kinds)])

    convs = (torch.nn.Linear, torch.nn.Conv2d, torch.nn.ConvTranspose2d)
    algo = build("dcgan", datasets["digits"], nets__channels=16)
    for net in (algo.generator, algo.discriminator):
        w = weights(net, convs)
        assert abs(w.mean().item()) < 2e-3 and w.std().item() == pytest.approx(0.02, rel=0.05)
        assert all(m.bias is None or not m.bias.any() for m in net.modules() if isinstance(m, convs))
    scales = weights(algo.generator, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d))
    assert scales.mean().item() == pytest.approx(1.0, abs=5e-3) and scales.std().item() == pytest.approx(0.02, rel=0.1)
    # init_std=0 keeps PyTorch's defaults: uniform, bounded by 1 / sqrt(fan_in), far wider than 0.02 here
    default = weights(build("dcgan", datasets["digits"], nets__channels=16, nets__init_std=0.0).discriminator, convs)
    assert default.std().item() > 0.03 and weights(build("gan", datasets["ring8"]).generator, convs).std() > 0.05


def test_conditional_generator_follows_the_label(datasets):
    algo = build("dcgan", datasets["digits"], nets__conditional=True)
    assert algo.generator.num_classes == 10 and algo.discriminator.num_classes == 10
    assert torch.isfinite(torch.tensor(algo.round(0)["d_loss"]))
    g = algo.generator.eval()
    z = torch.randn(1, g.z_dim).expand(2, -1)
    with torch.no_grad():
        a, b = g(z, torch.tensor([1, 7]))
    assert a.shape == (1, 16, 16) and not torch.allclose(a, b)  # same z, different digit: different image
    with pytest.raises(ValueError, match="labels"):
        g(z, None)


def test_relativistic_loss_reads_real_outputs(datasets):
    algo = build("gan", datasets["ring8"], gan__loss="rsgan")
    # G's loss recomputed from D's outputs on the real and fake batches the step draws (same seed, same
    # draws: a real batch, then z); a finite check alone passed with D's real outputs replaced by its fake
    # ones, where the relativistic G loss is the constant log 2
    _, rsgan_g = get_gan_loss("rsgan")
    torch.manual_seed(1)
    real, labels = algo.real_batch()
    with torch.no_grad():
        expected = rsgan_g(algo.discriminator(real, labels), algo.discriminator(algo.fake_batch(labels), labels))
    torch.manual_seed(1)
    got = algo.g_step()
    torch.testing.assert_close(got, expected)
    assert abs(float(got) - math.log(2)) > 1e-3


def test_text_data_is_refused_with_a_user_error(datasets):
    spec = get_model("wgan_gp")
    cfg = make_config(spec)

    class TextLike:
        name, kind = "oracle", "oracle"

    with pytest.raises(UserError, match="continuous data"):
        ImageGAN(TrainContext(cfg, TextLike(), torch.device("cpu")))


def test_linear_lr_decay_follows_the_generator_updates(datasets):
    algo = build("wgan_gp", datasets["ring8"], gan__iterations=2, gan__lr_decay="linear")
    assert algo.lr_factor(0, 0) == 1.0 and algo.lr_factor(1, 0) == 0.5 and algo.lr_factor(1, 1) == 0.25
    algo.round(1)  # the second (last) round: its last update ran at a quarter of the base rates
    assert algo.opt_g.param_groups[0]["lr"] == pytest.approx(0.25 * algo.cfg.lr_g)
    assert algo.opt_d.param_groups[0]["lr"] == pytest.approx(0.25 * algo.cfg.lr_d)
    constant = build("wgan_gp", datasets["ring8"], gan__iterations=2)
    constant.round(1)
    assert constant.lr_factor(1, 1) == 1.0 and constant.opt_g.param_groups[0]["lr"] == constant.cfg.lr_g


def test_lr_decay_is_range_checked():
    cfg = make_config(get_model("wgan_gp"))
    with pytest.raises(ConfigError, match="lr_decay"):
        set_value(cfg, "gan.lr_decay", "cosine")


def test_dragan_scale_sets_the_perturbation_of_real_data(datasets, monkeypatch):
    import textgan.image.gan as image_gan

    scales = []
    real_penalty = image_gan.dragan_penalty
    monkeypatch.setattr(image_gan, "dragan_penalty",
                        lambda critic, real, scale: scales.append(scale) or real_penalty(critic, real, scale=scale))
    build("dragan", datasets["ring8"], gan__dragan_scale=0.05, gan__steps=1).round(0)
    build("dragan", datasets["ring8"], gan__steps=1).round(0)
    assert scales == [0.05, 0.5]  # the mixture's narrow modes need a smaller one than the paper's default


@pytest.mark.parametrize("name, betas", [("gan", (0.5, 0.999)), ("wgan_gp", (0.5, 0.9)), ("dragan", (0.5, 0.9))])
def test_adam_betas_follow_the_models_defaults(name, betas, datasets):
    algo = build(name, datasets["ring8"])
    assert [g["betas"] for g in algo.opt_g.param_groups] == [betas]
    assert [g["betas"] for g in algo.opt_d.param_groups] == [betas]


def test_adam_betas_are_set_by_gan_beta1_and_beta2(datasets):
    algo = build("wgan_gp", datasets["ring8"], gan__beta1=0.3, gan__beta2=0.95)
    assert algo.opt_g.param_groups[0]["betas"] == algo.opt_d.param_groups[0]["betas"] == (0.3, 0.95)
    # and D's optimiser steps with them: after one step Adam's moments are (1 - beta1) g and (1 - beta2) g^2
    algo.d_step()
    for p in algo.discriminator.parameters():
        state = algo.opt_d.state[p]
        torch.testing.assert_close(state["exp_avg"], 0.7 * p.grad)
        torch.testing.assert_close(state["exp_avg_sq"], 0.05 * p.grad.square())
    with pytest.raises(ConfigError, match="gan.beta2"):
        set_value(make_config(get_model("wgan_gp")), "gan.beta2", 1.0)
