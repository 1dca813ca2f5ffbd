"""PNG pictures of continuous samples: image grids and 2-D scatter plots (matplotlib, no pyplot state).

Written at every evaluation into a run's `samples/` and by `python -m textgan.sample` for image runs.
`Figure` + `FigureCanvasAgg` are used directly so no global backend is selected or changed.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def image_grid(images: torch.Tensor, columns: int | None = None, pad: int = 1, scale: int = 2) -> np.ndarray:
    """(N, 1, H, W) in [-1, 1] -> one (rows * (H + pad), cols * (W + pad)) uint8 array, `scale`x enlarged."""
    x = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)[:, 0].numpy()
    n, h, w = x.shape
    cols = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad), 64, dtype=np.uint8)  # dark grey frame
    for i in range(n):
        r, c = divmod(i, cols)
        grid[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = x[i]
    return np.kron(grid, np.ones((scale, scale), dtype=np.uint8))


def save_image_grid(images: torch.Tensor, path: str | Path, columns: int | None = None) -> Path:
    from matplotlib.image import imsave

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    imsave(path, image_grid(images, columns), cmap="gray", vmin=0, vmax=255)
    return path


def scatter_axes(ax, points: torch.Tensor, modes: torch.Tensor | None, title: str = "") -> None:
    pts = points.detach().float().cpu().numpy()
    ax.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.3, color="tab:blue", linewidths=0)
    if modes is not None:
        m = modes.cpu().numpy()
        ax.scatter(m[:, 0], m[:, 1], s=25, marker="x", color="tab:red")
        span = float(np.abs(m).max()) * 1.5
        ax.set_xlim(-span, span)
        ax.set_ylim(-span, span)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=8)


def save_scatter(points: torch.Tensor, path: str | Path, modes: torch.Tensor | None = None, title: str = "") -> Path:
    """A scatter plot of samples (N, 2) with the mixture's modes (K, 2) marked."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(4, 4), dpi=100)
    FigureCanvasAgg(fig)
    scatter_axes(fig.add_subplot(1, 1, 1), points, modes, title)
    fig.tight_layout()
    fig.savefig(path)
    return path
