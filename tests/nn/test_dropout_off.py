"""textgan/nn/dropout_off.py: training mode with the eval-mode function, rates restored afterwards."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from textgan.nn.dropout_off import dropout_off


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.drop = nn.Dropout(0.5)
        self.lstm = nn.LSTM(4, 4, num_layers=2, dropout=0.5, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lstm(self.drop(x))[0]


def test_the_forward_is_the_eval_mode_one_in_training_mode_and_the_rates_come_back():
    torch.manual_seed(0)
    net, x = _Net(), torch.randn(3, 5, 4)
    with torch.no_grad():
        expected = net.eval()(x)
    net.train()
    with dropout_off(net):
        assert net.training
        out = net(x)
        out.sum().backward()  # a training-mode graph: what cuDNN's RNN backward requires
    torch.testing.assert_close(out, expected)
    assert (net.drop.p, net.lstm.dropout) == (0.5, 0.5)
    with pytest.raises(RuntimeError), dropout_off(net):
        raise RuntimeError("inside")
    assert (net.drop.p, net.lstm.dropout) == (0.5, 0.5)
