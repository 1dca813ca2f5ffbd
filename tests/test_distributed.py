"""Unit tests of textgan.distributed without a process group: the single-process defaults are no-ops,
shards are disjoint and equal in length, per-rank seeds differ, weight digests see every tensor.
(The real two-process runs are in tests/test_ddp.py, marked slow.)"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from textgan.data.corpus import Corpus
from textgan.distributed import Distributed, GradientAverager, rank_seed, shard, weights_digest
from textgan.errors import UserError


def corpus(n: int) -> Corpus:
    return Corpus(torch.arange(n)[:, None].repeat(1, 3), torch.full((n,), 3))


def test_single_process_is_a_no_op():
    d = Distributed()
    module = nn.Linear(2, 2)
    assert not d.enabled and d.is_main and d.wrap(module) is module
    assert d.any(True) and not d.any(False) and d.gather("x") == ["x"]
    c = corpus(5)
    assert shard(c, d) is c
    opt = torch.optim.SGD(module.parameters(), lr=0.1)
    with GradientAverager(d, {"m": opt}) as avg:
        assert avg.handles == []  # nothing hooked in one process


def test_shards_are_disjoint_equal_and_cover_all_but_a_remainder():
    c = corpus(11)
    parts = [shard(c, Distributed(rank, 3)) for rank in range(3)]
    assert [len(p) for p in parts] == [3, 3, 3]
    rows = torch.cat([p.tokens[:, 0] for p in parts])
    assert len(set(rows.tolist())) == 9 and set(rows.tolist()) <= set(range(11))
    with pytest.raises(UserError, match="fewer than the 4 processes"):
        shard(corpus(3), Distributed(0, 4))


def test_rank_seeds_and_digests():
    assert len({rank_seed(0, r) for r in range(8)}) == 8 and rank_seed(5, 0) == 5
    torch.manual_seed(0)
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    assert weights_digest({"g": a}) != weights_digest({"g": b})
    b.load_state_dict(a.state_dict())
    assert weights_digest({"g": a}) == weights_digest({"g": b})
    with torch.no_grad():
        b.bias[1] += 1e-7
    assert weights_digest({"g": a}) != weights_digest({"g": b})


def test_the_process_group_waits_as_long_as_configured(monkeypatch):
    import datetime

    import textgan.distributed as distributed

    seen = {}
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: False)
    monkeypatch.setattr(distributed.dist, "init_process_group",
                        lambda backend, **kw: seen.update(backend=backend, **kw))
    d, device = distributed.init_distributed("cpu", timeout_s=5400)
    assert (d.rank, d.world_size, device) == (1, 2, "cpu")
    assert seen == {"backend": "gloo", "timeout": datetime.timedelta(minutes=90)}
