"""The synthetic-oracle benchmark of SeqGAN (Yu et al. 2017, arXiv 1609.05473).

The oracle is an LSTM language model of fixed random weights (vocab 5000, emb 32, hidden 32, start
token 0, zero initial state, no EOS or padding). It samples the train and test corpora and scores
generated text: NLL-oracle = mean per-token negative log-likelihood of samples under the oracle.

Its equations are exactly those of `torch.nn.LSTM` (gates i, f, g, o; no peepholes), so the oracle is
an `LSTMGenerator` whose weights come either from the SeqGAN paper's `target_params.npz` (15 arrays in
the order of SeqGAN's `target_lstm.py`: E, Wi, Ui, bi, Wf, Uf, bf, Wog, Uog, bog, Wc, Uc, bc, Wo, bo;
row-vector convention, so matrices are transposed here) or from a seeded N(0, 1) draw of the same shape.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from textgan.errors import UserError
from textgan.nn.lstm_generator import LSTMGenerator

PARAM_NAMES = ["E", "Wi", "Ui", "bi", "Wf", "Uf", "bf", "Wog", "Uog", "bog", "Wc", "Uc", "bc", "Wo", "bo"]
SEQGAN_PARAMS = Path("seqgan_oracle") / "target_params.npz"


def _new_oracle(vocab_size: int, emb_dim: int, hidden_dim: int) -> LSTMGenerator:
    oracle = LSTMGenerator(vocab_size, emb_dim, hidden_dim, bos_id=0, init_std=None)
    oracle.requires_grad_(False)
    return oracle.eval()


def oracle_from_arrays(p: dict[str, np.ndarray]) -> LSTMGenerator:
    """Build the oracle from SeqGAN's named parameter arrays."""
    vocab_size, emb_dim = p["E"].shape
    hidden_dim = p["Ui"].shape[0]
    oracle = _new_oracle(vocab_size, emb_dim, hidden_dim)
    t = {k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in p.items()}
    with torch.no_grad():
        oracle.embedding.weight.copy_(t["E"])
        # torch.nn.LSTM stacks gates as (input, forget, cell candidate, output).
        oracle.lstm.weight_ih_l0.copy_(torch.cat([t["Wi"], t["Wf"], t["Wc"], t["Wog"]], dim=1).T)
        oracle.lstm.weight_hh_l0.copy_(torch.cat([t["Ui"], t["Uf"], t["Uc"], t["Uog"]], dim=1).T)
        oracle.lstm.bias_ih_l0.copy_(torch.cat([t["bi"], t["bf"], t["bc"], t["bog"]]))
        oracle.lstm.bias_hh_l0.zero_()
        oracle.output.weight.copy_(t["Wo"].T)
        oracle.output.bias.copy_(t["bo"])
    return oracle


def load_seqgan_oracle(path: Path) -> LSTMGenerator:
    """The SeqGAN paper's oracle from `target_params.npz` (keys param_00 .. param_14)."""
    try:
        with np.load(path) as npz:
            arrays = [npz[f"param_{i:02d}"] for i in range(len(PARAM_NAMES))]
    except (OSError, KeyError, ValueError) as err:
        raise UserError(f"cannot read oracle parameters '{path}' ({err}); "
                        "re-download with: python -m textgan.data download seqgan_oracle") from None
    return oracle_from_arrays(dict(zip(PARAM_NAMES, arrays)))


def seeded_oracle(vocab_size: int = 5000, emb_dim: int = 32, hidden_dim: int = 32,
                  seed: int = 0) -> LSTMGenerator:
    """An oracle of the SeqGAN shape with every parameter drawn from N(0, 1) (SeqGAN's init)."""
    g = torch.Generator().manual_seed(seed)
    h = hidden_dim

    def n(*shape):
        return torch.randn(*shape, generator=g).numpy()

    arrays = {"E": n(vocab_size, emb_dim), "Wo": n(h, vocab_size), "bo": n(vocab_size)}
    for gate in ("i", "f", "og", "c"):
        arrays[f"W{gate}"] = n(emb_dim, h)
        arrays[f"U{gate}"] = n(h, h)
        arrays[f"b{gate}"] = n(h)
    return oracle_from_arrays(arrays)
