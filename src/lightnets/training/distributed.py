"""Data-parallel training across processes started by ``torchrun``.

``torchrun --nproc_per_node=N -m lightnets.cli train ...`` sets ``WORLD_SIZE``, ``RANK`` and
``LOCAL_RANK``; :func:`setup` joins the process group (``nccl`` on GPUs, ``gloo`` on CPUs)
and picks this process's device. Each process trains on its own shard of every epoch
(:class:`~torch.utils.data.distributed.DistributedSampler`); gradients are averaged by
:class:`~torch.nn.parallel.DistributedDataParallel`; only rank 0 writes files and prints.

BatchNorm. Each process normalises with the statistics of its own part of the batch, as
plain DDP does; torch's :class:`~torch.nn.SyncBatchNorm` would share them, but in this
torch it refuses CPU tensors ("SyncBatchNorm expected input tensor to be on GPU"), and a
hand-written CPU version is more than this project should carry. Running statistics are
not broadcast from rank 0 at every step (``broadcast_buffers=False``); before each
evaluation :func:`average_bn_stats` sets every process's running mean and variance to
their average over processes, so that every rank evaluates (and rank 0 saves) one model.
With BatchNorm frozen (``freeze_bn``: running statistics used, not batch statistics) N
processes compute the gradient one process computes on the whole batch (up to
floating-point rounding), as long as the model draws no random numbers (dropout 0).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Dataset, DistributedSampler, Subset

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class Context:
    """This process's place in the run: rank, world size and device."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    initialized_here: bool

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def resolve_device(device: str, local_rank: int) -> torch.device:
    """``auto``: this process's GPU if there is one, else the CPU."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("device 'cuda' asked for, but torch sees no CUDA GPU; use device 'cpu' or 'auto'")
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def setup(device: str = "auto") -> Context:
    """Join the torchrun process group if this process was started by torchrun (or one is
    already initialised); a single-process context otherwise."""
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    resolved = resolve_device(device, local_rank)
    initialized_here = False
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        if resolved.type == "cuda":
            torch.cuda.set_device(resolved)
        dist.init_process_group("nccl" if resolved.type == "cuda" else "gloo")
        initialized_here = True
    if dist.is_initialized():
        return Context(dist.get_rank(), dist.get_world_size(), local_rank, resolved, initialized_here)
    return Context(0, 1, 0, resolved, False)


def teardown(ctx: Context) -> None:
    """Leave the process group if :func:`setup` joined it."""
    if ctx.initialized_here and dist.is_initialized():
        dist.destroy_process_group()


def wrap(model: nn.Module, ctx: Context) -> nn.Module:
    """``model`` in DistributedDataParallel when there is more than one process."""
    if not ctx.distributed:
        return model
    device_ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=device_ids, broadcast_buffers=False)


def train_sampler(dataset: Dataset, ctx: Context, seed: int) -> DistributedSampler:
    """Shuffles with ``seed + epoch`` (call ``set_epoch``) and deals rank ``r`` the indices
    ``r, r + N, ...`` of each permutation: a global batch holds the same images whatever N."""
    return DistributedSampler(dataset, num_replicas=ctx.world_size, rank=ctx.rank, shuffle=True, seed=seed)


def eval_shard(dataset: Dataset, ctx: Context) -> Dataset:
    """This rank's share of an evaluation set, without the padding DistributedSampler adds
    (a padded image would be counted twice)."""
    if not ctx.distributed:
        return dataset
    return Subset(dataset, range(ctx.rank, len(dataset), ctx.world_size))


def all_reduce_sum(tensor: torch.Tensor) -> None:
    """Sum ``tensor`` over processes, in place (nothing to do in a single process)."""
    if dist.is_initialized() and dist.get_world_size() > 1:
        dist.all_reduce(tensor)


def any_rank(flag: bool, ctx: Context) -> bool:
    """True on every process when ``flag`` is true on any: one decision for all."""
    value = torch.tensor(float(flag), device=ctx.device)
    all_reduce_sum(value)
    return bool(value.item())


def average_bn_stats(model: nn.Module) -> None:
    """Set every BatchNorm's running mean and variance to their mean over processes."""
    if not (dist.is_initialized() and dist.get_world_size() > 1):
        return
    world = dist.get_world_size()
    for module in model.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            for stat in (module.running_mean, module.running_var):
                dist.all_reduce(stat)
                stat.div_(world)


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()
