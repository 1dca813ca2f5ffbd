"""`dropout_off(module)`: a forward pass in training mode with every dropout switched off.

Why not `module.eval()`: a policy gradient scores sampled tokens under the policy they were drawn from, which
(as the samplers run in eval mode) has no dropout; but cuDNN refuses the backward pass of an RNN whose forward
ran in eval mode ("cudnn RNN backward can only be called in training mode"). Zeroing the dropout rates keeps
the module in training mode and computes the eval-mode function (the library's generators hold no batch norm).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def dropout_off(module: nn.Module) -> Iterator[nn.Module]:
    """Within the block, every `nn.Dropout*` and every RNN's inter-layer dropout in `module` is 0; restored
    afterwards (also on an exception)."""
    saved = [(m, "p", m.p) for m in module.modules() if isinstance(m, nn.modules.dropout._DropoutNd)]
    saved += [(m, "dropout", m.dropout) for m in module.modules() if isinstance(m, nn.RNNBase)]
    try:
        for m, attr, _ in saved:
            setattr(m, attr, 0.0)
        yield module
    finally:
        for m, attr, value in saved:
            setattr(m, attr, value)
