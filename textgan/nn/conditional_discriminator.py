"""Class-conditional discriminators over any discriminator body that offers `features(x) -> (B, F)`.

One module, three ways to bring the class label y into the discriminator (`conditional.discriminator`):
- `cgan` — CGAN (Mirza & Osindero 2014, arXiv 1411.1784): y is an *input*. A label embedding is
  concatenated to the text features and a hidden ReLU layer mixes the two before the real/fake logit
  (a hidden layer is needed: a linear layer over [h; e_y] could only add a per-class bias). Trained on
  real (x, y) pairs against generated (G(y), y) pairs.
- `aux` — auxiliary classifier (AC-GAN, Odena et al. 2017, arXiv 1610.09585): shared features, a real/fake
  head and an extra K-way class head. (Not CatGAN's category-aware D, Liu et al., AAAI 2020, arXiv
  1911.06641, which is a per-category classifier trained with a relativistic loss; CatGAN is not
  implemented.) Loss: real/fake BCE plus class cross-entropy on real and generated rows (AC-GAN's L_S + L_C).
- `multiclass` — SentiGAN's discriminator (Wang & Wan, IJCAI 2018): one (K+1)-way softmax, classes
  0..K-1 = real sentence of that class, K = generated. Cross-entropy with fake rows labelled K.

`forward(x, y) -> logit (B,)` is the same for all three: sigmoid(logit) is D's probability that x is a
*real sentence of class y* — cgan: its output; aux: D(real) * p(y | x); multiclass: p_y(x), SentiGAN's
D_i(Y). Rewards and rollouts (`textgan/rollout.py`, through `cseqgan.class_score`, which passes per-row
labels) read only this. `loss(forward(x, y, raw=True), y, is_real) -> (loss, correct)` is each mode's
training objective on a mixed mini-batch.
The body's own output layer (and its `l2_penalty`) is unused; no L2 is applied to the new heads.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from textgan.errors import UserError

MODES = ("cgan", "aux", "multiclass")


def _logit_from_logprob(logp: torch.Tensor) -> torch.Tensor:
    """log p -> log(p / (1 - p)), stable for p near 0 and 1."""
    logp = logp.clamp(max=-1e-7)
    return logp - torch.log(-torch.expm1(logp))


class ConditionalDiscriminator(nn.Module):
    def __init__(self, body: nn.Module, num_classes: int, mode: str = "cgan", label_dim: int = 16,
                 hidden_dim: int = 64, dropout: float = 0.25) -> None:
        super().__init__()
        if mode not in MODES:
            raise UserError(f"config key 'conditional.discriminator' must be one of {', '.join(MODES)}; got {mode!r}")
        if not hasattr(body, "features") or not hasattr(body, "output"):
            raise UserError("conditional discriminators need a discriminator kind with features() (e.g. cnn)")
        self.body = body
        # the body's own real/fake output layer is replaced by the heads below; frozen (kept, so checkpoints
        # keep their keys) because DDP waits for a gradient of every trainable parameter
        body.output.requires_grad_(False)
        self.mode = mode
        self.num_classes = num_classes
        features = body.output.in_features
        self.dropout = nn.Dropout(dropout)
        if mode == "cgan":
            self.label_embedding = nn.Embedding(num_classes, label_dim)
            self.hidden = nn.Linear(features + label_dim, hidden_dim)
            self.head = nn.Linear(hidden_dim, 1)
        elif mode == "aux":
            self.head = nn.Linear(features, 1)
            self.class_head = nn.Linear(features, num_classes)
        else:
            self.head = nn.Linear(features, num_classes + 1)

    def _outputs(self, inputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.dropout(self.body.features(inputs))                       # (B, F)
        if self.mode == "cgan":
            mixed = torch.relu(self.hidden(torch.cat([h, self.label_embedding(labels)], dim=1)))
            return self.head(self.dropout(mixed))                          # (B, 1)
        if self.mode == "aux":
            return torch.cat([self.head(h), self.class_head(h)], dim=1)    # (B, 1 + K)
        return self.head(h)                                                # (B, K + 1)

    def forward(self, inputs: torch.Tensor, labels: torch.Tensor, raw: bool = False) -> torch.Tensor:
        """Ids (B, T) or soft one-hots (B, T, V), labels (B,) -> logit of 'real sentence of class y' (B,).

        `raw=True` returns the mode's head outputs instead ((B, 1), (B, 1 + K) or (B, K + 1)), what `loss`
        takes: training calls forward, not a private method, so a DDP wrapper sees it and averages D's
        gradients across processes.
        """
        out = self._outputs(inputs, labels)
        if raw:
            return out
        if self.mode == "cgan":
            return out[:, 0]
        if self.mode == "aux":
            logp = F.logsigmoid(out[:, 0]) + F.log_softmax(out[:, 1:], dim=1).gather(1, labels[:, None])[:, 0]
        else:
            logp = F.log_softmax(out, dim=1).gather(1, labels[:, None])[:, 0]
        return _logit_from_logprob(logp)

    def loss(self, out: torch.Tensor, labels: torch.Tensor, is_real: torch.Tensor
             ) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean training loss, number of rows judged correctly) of a mini-batch's raw outputs
        (`forward(..., raw=True)`); is_real (B,) bool."""
        target = is_real.to(out.dtype)
        if self.mode == "cgan":
            return F.binary_cross_entropy_with_logits(out[:, 0], target), ((out[:, 0] > 0) == is_real).sum()
        if self.mode == "aux":
            loss = F.binary_cross_entropy_with_logits(out[:, 0], target) + F.cross_entropy(out[:, 1:], labels)
            return loss, ((out[:, 0] > 0) == is_real).sum()
        classes = torch.where(is_real, labels, torch.full_like(labels, self.num_classes))
        return F.cross_entropy(out, classes), (out.argmax(dim=1) == classes).sum()
