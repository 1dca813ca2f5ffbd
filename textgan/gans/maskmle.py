"""MaskMLE: maximum-likelihood training of MaskGAN's in-filling generator (the MaskGAN paper's baseline).

MaskGAN (Fedus, Goodfellow & Dai 2018, arXiv 1801.07736) pretrains its seq2seq generator by teacher
forcing on masked sequences and compares against that model ("MaskMLE"). Each epoch draws a fresh mask
per sentence (`textgan/masking.py`, scheme and present rate from the `mask` section) and minimises the
NLL of the real tokens at the masked positions (EOS included, padding never), given m(x) and the true
prefix. Present positions carry no loss: the in-filling decoder copies them.

`maskmle_epoch` and `batch_masks` are the pieces MaskGAN reuses for its pretraining phase. Every
evaluation also reports `infill_nll_test`: the masked-position NLL of the first `mask.eval_num`
test sentences under fixed-seed masks (comparable across epochs and models), and `infill_nll_valid`, the
same on the validation split when `data.valid_size` holds one out.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from textgan.config import SEED_MAX, ConfigError, param
from textgan.data.corpus import Corpus
from textgan.gans.base import Phase, TrainContext
from textgan.gans.mle import MLEConfig, supervised_epoch
from textgan.infill import masked_nll
from textgan.masking import MaskConfig, make_mask
from textgan.metrics.infill import infill_nll
from textgan.nn import build_generator, generator_has


@dataclass
class MaskEvalConfig(MaskConfig):
    """The `mask` section: the masking scheme, and the fixed test masks of the per-epoch in-filling NLL."""

    eval_num: int = param(500, min=0, help="test (and validation) sentences of the per-epoch infill_nll_test "
                                           "(infill_nll_valid) (0 = off)")
    eval_seed: int = param(1234, min=0, max=SEED_MAX,
                           help="seed of the masks of infill_nll_test and of in-filling evaluation")


def check_infill_generator(gen: nn.Module, cfg) -> None:
    """Refuse a generator that cannot fill in blanks: it needs the in-filling encoder-decoder's `encode` and
    `mask_id` (a capability, not a kind name, so a registered in-filling kind passes too)."""
    if not hasattr(gen, "encode") or not hasattr(gen, "mask_id"):
        raise infill_kind_error(cfg)


def check_infill_kind(cfg) -> None:
    """The in-filling models' registry rule (`ModelSpec.check_config`, run before any data loads): a generator
    kind that declares it cannot fill in blanks is refused; one that declares nothing is checked when built."""
    if generator_has(cfg.generator.kind, "infill") is False:
        raise infill_kind_error(cfg)


def infill_kind_error(cfg) -> ConfigError:
    return ConfigError(f"config key 'generator.kind' must be 'seq2seq' for {cfg.model} (an in-filling "
                       f"encoder-decoder); got {cfg.generator.kind!r}")


def build_infill_generator(ctx: TrainContext) -> nn.Module:
    """The run's generator, checked to be an in-filling one, with its all-masked length set from the data."""
    vocab = ctx.data.vocab
    gen = build_generator(ctx.cfg.generator, vocab.size, vocab.bos_id)
    check_infill_generator(gen, ctx.cfg)
    gen.max_len.fill_(ctx.data.seq_len)
    return gen.to(ctx.device)


def batch_masks(lengths: torch.Tensor, seq_len: int, cfg: MaskConfig, has_eos: bool,
                rng: torch.Generator | None = None) -> torch.Tensor:
    return make_mask(lengths, seq_len, cfg.scheme, cfg.present_rate, has_eos=has_eos, rng=rng)


def maskmle_epoch(generator: nn.Module, optimizer: torch.optim.Optimizer, corpus: Corpus, mask_cfg: MaskConfig,
                  batch_size: int, grad_clip: float, has_eos: bool, device: torch.device) -> dict[str, float]:
    """One pass of masked teacher forcing over `corpus` with fresh masks (global RNG); mean loss."""
    generator.train()

    def losses():
        for tokens, lengths in corpus.batches(batch_size, shuffle=True):
            present = batch_masks(lengths, corpus.seq_len, mask_cfg, has_eos)
            nll, count = masked_nll(generator, tokens.to(device), lengths.to(device), present.to(device))
            yield nll / count.clamp(min=1)

    return supervised_epoch(losses(), optimizer, generator.parameters(), grad_clip)


class MaskMLE:
    """The in-filling generator trained by masked teacher forcing alone."""

    def __init__(self, ctx: TrainContext) -> None:
        self.ctx = ctx
        self.generator = build_infill_generator(ctx)
        self.has_eos = ctx.data.vocab.eos_id is not None
        self.optimizer = torch.optim.Adam(self.generator.parameters(), lr=ctx.cfg.mle.lr)

    def modules(self) -> dict[str, nn.Module]:
        return {"generator": self.generator}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.optimizer}

    def mle_iteration(self, epoch: int) -> dict[str, float]:
        cfg = self.ctx.cfg
        metrics = maskmle_epoch(self.generator, self.optimizer, self.ctx.data.train, cfg.mask, cfg.mle.batch_size,
                                cfg.mle.grad_clip, self.has_eos, self.ctx.device)
        return metrics

    def evaluation_metrics(self) -> dict[str, float]:
        """Added to every evaluation (the loop calls it): `infill_nll_test`, and `infill_nll_valid` on the
        validation split (`data.valid_size`), which `train.best_metric` can select on."""
        mask, data = self.ctx.cfg.mask, self.ctx.data
        out = {}
        for name, corpus in (("test", data.test), ("valid", data.valid)):
            if mask.eval_num and corpus is not None and len(corpus) > 0:
                out[f"infill_nll_{name}"] = infill_nll(self.generator, corpus, mask.scheme, mask.present_rate,
                                                       self.has_eos, mask.eval_num, mask.eval_seed)
        return out

    def phases(self) -> list[Phase]:
        return [Phase("mle", self.ctx.cfg.mle.epochs, self.mle_iteration, unit="epoch", budget_key="mle.epochs")]


SECTIONS = {"mle": MLEConfig, "mask": MaskEvalConfig}
# the registry entry's defaults for shared keys: the in-filling models need the seq2seq generator
DEFAULTS = {"generator.kind": "seq2seq"}
