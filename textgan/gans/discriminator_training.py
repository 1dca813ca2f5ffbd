"""Training a binary real-vs-generated sequence discriminator (SeqGAN, Yu et al. 2017, arXiv 1609.05473).

SeqGAN, MaliGAN and LeakGAN train D the same way: a set of real sequences (label 1) and a set of fresh
generated ones (label 0), shuffled together, `epochs` passes of binary cross-entropy in mini-batches,
plus D's own L2 term (`l2_penalty()`) where the discriminator defines one. The models differ only in how
they draw the negatives, so they build the two sets and call `train_real_vs_generated`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


def train_real_vs_generated(discriminator: nn.Module, optimizer: torch.optim.Optimizer, real: torch.Tensor,
                            fake: torch.Tensor, *, epochs: int, batch_size: int, l2: float = 0.0,
                            forward: Callable[[torch.Tensor], torch.Tensor] | None = None,
                            device: torch.device | str = "cpu") -> dict[str, float]:
    """`epochs` epochs of BCE on real (N_r, T) vs fake (N_f, T) ids; returns the last epoch's loss and accuracy.

    `forward`: what the training forward pass runs through when not the discriminator itself (its DDP
    wrapper under torchrun, so gradients are averaged across processes).
    """
    tokens = torch.cat([real, fake]).to(device)                                   # (N, T)
    labels = torch.cat([torch.ones(len(real)), torch.zeros(len(fake))]).to(device)  # 1 = real
    forward = forward or discriminator
    penalty = getattr(discriminator, "l2_penalty", None) if l2 > 0 else None
    discriminator.train()
    total_loss = torch.zeros((), dtype=torch.float64, device=device)
    correct = torch.zeros((), dtype=torch.long, device=device)
    for _ in range(epochs):
        order = torch.randperm(len(tokens), device=device)
        total_loss.zero_()
        correct.zero_()
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            logits = forward(tokens[idx])                                         # (b,)
            loss = F.binary_cross_entropy_with_logits(logits, labels[idx])
            if penalty is not None:
                loss = loss + l2 * penalty()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total_loss += loss.detach().double() * len(idx)
            correct += ((logits.detach() > 0) == (labels[idx] > 0.5)).sum()
    return {"d_loss": float(total_loss) / len(tokens), "d_acc": float(correct) / len(tokens)}
