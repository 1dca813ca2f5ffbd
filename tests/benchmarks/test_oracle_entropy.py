"""benchmarks/oracle_entropy.py: the oracle's NLL of its own samples, the floor of NLL-oracle."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, where `benchmarks` lives

from benchmarks.oracle_entropy import main, measure, own_sample_nll
from textgan.data.oracle import seeded_oracle
from textgan.metrics.nll import nll_oracle


def test_own_samples_score_below_uniform_tokens_and_log_vocab():
    """The oracle's own samples are its most likely text: they score below random tokens and below log V."""
    oracle = seeded_oracle(vocab_size=50, emb_dim=4, hidden_dim=4)
    own = own_sample_nll(oracle, seq_len=6, num=400, seed=1)
    uniform = nll_oracle(oracle, torch.randint(0, 50, (400, 6), generator=torch.Generator().manual_seed(2)))
    assert own < uniform
    assert own < math.log(50)


def test_same_seed_same_number():
    oracle = seeded_oracle(vocab_size=30, emb_dim=4, hidden_dim=4)
    assert own_sample_nll(oracle, 5, 64, seed=3) == own_sample_nll(oracle, 5, 64, seed=3)


def test_without_seqgan_params_the_seeded_oracle_is_named(tmp_path):
    result = measure([3], 20, data_dir=str(tmp_path))
    assert result["oracle"].startswith("seeded")
    assert set(result["nll_own_samples"]) == {"3"}


def test_cli_writes_json(tmp_path, capsys):
    out = tmp_path / "entropy.json"
    assert main(["--lengths", "2", "4", "--num", "10", "--data-dir", str(tmp_path), "--out", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written == json.loads(capsys.readouterr().out)
    assert set(written["nll_own_samples"]) == {"2", "4"}
