"""Scale-out with `torchrun`: process-group set-up, DDP wrapping, data sharding and rank-aware helpers.

`python -m textgan.train ...` is one process (`Distributed()`: rank 0 of 1, every helper a no-op).
Under `torchrun --nproc_per_node=N -m textgan.train ...` the environment names this process's rank,
and `init_distributed` joins the process group (gloo on CPU, nccl on CUDA, one GPU per local rank).
Then:
- algorithms route their *training* forwards through `ctx.ddp(module)` (a `DistributedDataParallel`
  wrapper), so gradients are averaged across ranks and every rank keeps identical weights; the
  gradients of any other trained parameter (a model that does not use `ctx.ddp`) are averaged by
  `GradientAverager` just before its optimiser steps — the same arithmetic, without DDP's overlap of
  communication and backward;
- each rank trains on its own shard of the training corpus (`shard`) with its own RNG streams
  (`rank_seed`), so each rank draws its own batches, samples and rollouts;
- rank 0 alone evaluates, logs and writes checkpoints; the others wait at a barrier.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from textgan.data.corpus import Corpus
from textgan.errors import UserError


@dataclass
class Distributed:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    ddp_params: set[int] = field(default_factory=set, repr=False)  # ids of parameters DDP averages

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def wrap(self, module: nn.Module) -> nn.Module:
        """`module` itself in one process; a DDP wrapper (same parameters) under torchrun."""
        if not self.enabled:
            return module
        from torch.nn.parallel import DistributedDataParallel

        device_ids = [self.local_rank] if next(module.parameters()).is_cuda else None
        wrapped = DistributedDataParallel(module, device_ids=device_ids)
        self.ddp_params.update(id(p) for p in module.parameters())
        return wrapped

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def any(self, flag: bool) -> bool:
        """True on every rank when `flag` is true on any rank (so all ranks take the same branch)."""
        if not self.enabled:
            return flag
        t = torch.tensor([int(flag)], device=self._device())
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item())

    def gather(self, obj: Any) -> list[Any]:
        """Every rank's `obj` (picklable, in-memory only: never read from disk), in rank order."""
        if not self.enabled:
            return [obj]
        out: list[Any] = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def _device(self) -> torch.device:
        return torch.device("cuda", self.local_rank) if dist.get_backend() == "nccl" else torch.device("cpu")


class GradientAverager:
    """Before each optimiser step, average across ranks the gradients that no DDP wrapper averaged.

    One flat all-reduce per step. Every rank must step its optimisers in the same order, which the
    shared loop guarantees as long as each rank runs the same number of batches (`shard`).
    """

    def __init__(self, d: Distributed, optimizers: dict[str, torch.optim.Optimizer]) -> None:
        self.d = d
        self.optimizers = optimizers
        self.handles = []

    def __enter__(self) -> GradientAverager:
        if self.d.enabled:
            self.handles = [opt.register_step_pre_hook(self._hook) for opt in self.optimizers.values()]
        return self

    def __exit__(self, *exc) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def _hook(self, optimizer: torch.optim.Optimizer, args, kwargs) -> None:
        params = [p for group in optimizer.param_groups for p in group["params"]
                  if p.requires_grad and id(p) not in self.d.ddp_params]
        if not params:
            return
        # a parameter without a gradient on this rank contributes zeros (and stays without one here)
        flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in params])
        dist.all_reduce(flat)
        flat /= self.d.world_size
        offset = 0
        for p in params:
            n = p.numel()
            if p.grad is not None:
                p.grad.copy_(flat[offset:offset + n].view_as(p.grad))
            offset += n


def init_distributed(device_name: str, timeout_s: float = 7200.0) -> tuple[Distributed, str]:
    """Join the torchrun process group if there is one; returns (Distributed, device name to use).

    `timeout_s` bounds every collective, the barrier where the other ranks wait while rank 0 evaluates and
    writes a checkpoint included: torch's defaults (10 minutes for NCCL, 30 for gloo) are shorter than a
    paper-scale evaluation (10,000 samples, BLEU, FED), which would end a healthy run as a hung one.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Distributed(), device_name
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = device_name == "cuda" or (device_name == "auto" and torch.cuda.is_available())
    if use_cuda:
        if torch.cuda.device_count() <= local:
            raise UserError(f"local rank {local} has no GPU ({torch.cuda.device_count()} visible); lower "
                            "--nproc_per_node or pass train.device=cpu")
        torch.cuda.set_device(local)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo", timeout=timedelta(seconds=timeout_s))
    return Distributed(rank, world, local), f"cuda:{local}" if use_cuda else "cpu"


def shutdown(d: Distributed) -> None:
    if d.enabled and dist.is_initialized():
        dist.destroy_process_group()


def rank_seed(seed: int, rank: int) -> int:
    """The training seed of one rank: distinct per rank, reproducible from (seed, rank)."""
    return seed + 1_000_003 * rank


def shard(corpus: Corpus, d: Distributed) -> Corpus:
    """Rank r's rows r, r + N, r + 2N, ... of `corpus`, cut to the same length on every rank.

    Equal shards matter: every rank must run the same number of DDP steps, or the gradient
    all-reduce of the rank with one batch more would wait forever.
    """
    if not d.enabled:
        return corpus
    per_rank = len(corpus) // d.world_size
    if per_rank == 0:
        raise UserError(f"the training corpus has {len(corpus)} sentences, fewer than the {d.world_size} "
                        "processes; use fewer processes (--nproc_per_node)")
    idx = torch.arange(d.rank, per_rank * d.world_size, d.world_size)
    return Corpus(corpus.tokens[idx], corpus.lengths[idx])


def weights_digest(modules: dict[str, nn.Module]) -> str:
    """sha256 of every network's weights (to check that ranks hold identical weights)."""
    h = hashlib.sha256()
    for name, module in sorted(modules.items()):
        for key, value in module.state_dict().items():
            h.update(f"{name}.{key}".encode())
            h.update(value.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()
