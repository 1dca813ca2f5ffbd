"""Tests of textgan.gans.mle: the masked teacher-forcing loss, one real training step, and the MLE algorithm."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from textgan.data.corpus import Corpus
from textgan.data.sources import DataBundle
from textgan.data.vocab import IdVocab
from textgan.gans.base import TrainContext
from textgan.gans.mle import MLE, mle_epoch, mle_loss
from textgan.nn import LSTMGenerator
from textgan.registry import get_model, make_config

V = 12


def batch():
    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(3, V, (6, 9), generator=g)
    lengths = torch.tensor([9, 5, 1, 7, 3, 9])
    tokens[torch.arange(9)[None, :] >= lengths[:, None]] = 0  # padding
    return tokens, lengths


def gen():
    torch.manual_seed(0)
    return LSTMGenerator(V, 8, 8, bos_id=1)


def test_loss_is_mean_nll_over_real_positions():
    g, (tokens, lengths) = gen(), batch()
    loss = mle_loss(g, tokens, lengths)
    logp = torch.log_softmax(g(tokens), dim=-1).gather(-1, tokens[..., None])[..., 0]
    per_row = [-logp[i, :n].sum() for i, n in enumerate(lengths.tolist())]
    torch.testing.assert_close(loss, torch.stack(per_row).sum() / lengths.sum())
    assert math.isclose(loss.item(), math.log(V), rel_tol=0.2)  # a fresh model is near uniform


def test_loss_ignores_padding():
    g, (tokens, lengths) = gen(), batch()
    changed = tokens.clone()
    pad = torch.arange(9)[None, :] >= lengths[:, None]
    changed[pad] = torch.randint(0, V, (int(pad.sum()),), generator=torch.Generator().manual_seed(1))
    assert not torch.equal(changed, tokens)
    assert torch.equal(mle_loss(g, changed, lengths), mle_loss(g, tokens, lengths))


def test_one_step_lowers_the_loss_on_the_same_batch():
    g, (tokens, lengths) = gen(), batch()
    opt = torch.optim.Adam(g.parameters(), lr=0.01)
    before = mle_loss(g, tokens, lengths)
    opt.zero_grad()
    before.backward()
    opt.step()
    after = mle_loss(g, tokens, lengths)
    assert after.item() < before.item()


def test_mle_epoch_learns_a_repeated_corpus():
    g, (tokens, lengths) = gen(), batch()
    corpus = Corpus(tokens.repeat(4, 1), lengths.repeat(4))
    opt = torch.optim.Adam(g.parameters(), lr=0.02)
    losses = [mle_epoch(g, opt, corpus, 8, 5.0, torch.device("cpu"))["mle_loss"] for _ in range(10)]
    assert losses[-1] < losses[0] - 0.5 and all(math.isfinite(x) for x in losses)


def test_mle_algorithm_hooks():
    cfg = make_config(get_model("mle"))
    cfg.mle.epochs, cfg.mle.batch_size = 3, 8
    cfg.generator.emb_dim = cfg.generator.hidden_dim = 8
    tokens, lengths = batch()
    data = DataBundle("toy", Corpus(tokens, lengths), None, IdVocab(V, bos_id=1))
    algo = MLE(TrainContext(cfg, data, torch.device("cpu")))
    assert set(algo.modules()) == set(algo.optimizers()) == {"generator"}
    assert algo.generator.output.out_features == V and algo.generator.bos_id == 1
    (phase,) = algo.phases()
    assert (phase.name, phase.iterations, phase.unit) == ("mle", 3, "epoch")
    out = phase.run(0)
    assert set(out) == {"mle_loss"} and math.isfinite(out["mle_loss"])
    assert F.softmax(algo.generator(tokens), -1).shape == (6, 9, V)
