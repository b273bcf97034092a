"""The optimizer a recipe names and its learning-rate schedule, stepped once per iteration.

The schedule is built from torch's own schedulers: :class:`~torch.optim.lr_scheduler.LinearLR`
for the warm-up, then :class:`~torch.optim.lr_scheduler.StepLR` (TF's staircase
``exponential_decay``: times ``decay_rate`` every ``decay_epochs``) or
:class:`~torch.optim.lr_scheduler.CosineAnnealingLR` (to 0 at the last iteration), joined by
:class:`~torch.optim.lr_scheduler.SequentialLR`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, LRScheduler, SequentialLR, StepLR

from .param_groups import param_groups
from .recipes import Recipe
from .rmsprop_tf import RMSpropTF

REFERENCE_BATCH = 256  # recipes give the learning rate for this many images per step
MAX_WARMUP_SHARE = 0.2  # warm-up never takes more than this share of a run


def scaled_lr(recipe: Recipe, batch_size: int) -> float:
    """The recipe's peak learning rate scaled linearly to ``batch_size`` (Goyal et al.)."""
    return recipe.lr * batch_size / REFERENCE_BATCH


def build_optimizer(model: nn.Module, recipe: Recipe, lr: float) -> torch.optim.Optimizer:
    """The recipe's optimizer over ``model``'s trainable parameters, at peak rate ``lr``."""
    groups = param_groups(model, recipe.weight_decay, recipe.no_decay_dw_bn_bias)
    if recipe.optimizer == "rmsprop_tf":
        return RMSpropTF(groups, lr=lr, alpha=recipe.rmsprop_decay, eps=recipe.rmsprop_eps,
                         momentum=recipe.momentum)
    return torch.optim.SGD(groups, lr=lr, momentum=recipe.momentum, nesterov=True)


@dataclass(frozen=True)
class Schedule:
    """Iteration counts of a run's learning-rate schedule."""

    total_iters: int
    warmup_iters: int
    iters_per_epoch: int

    @property
    def warmup_epochs(self) -> float:
        return self.warmup_iters / self.iters_per_epoch


def plan_schedule(recipe: Recipe, iters_per_epoch: int, epochs: int) -> Schedule:
    """Iteration counts for ``epochs`` epochs; the recipe's warm-up is capped at a fifth of
    the run, so that a short run still spends most of its steps at and after the peak."""
    total = iters_per_epoch * epochs
    warmup = min(round(recipe.warmup_epochs * iters_per_epoch), int(total * MAX_WARMUP_SHARE))
    return Schedule(total_iters=total, warmup_iters=warmup, iters_per_epoch=iters_per_epoch)


def build_scheduler(optimizer: torch.optim.Optimizer, recipe: Recipe, schedule: Schedule) -> LRScheduler:
    """Warm-up from ``lr / (warmup + 1)`` to the peak, then the recipe's decay; call
    ``step()`` after every optimizer step."""
    if recipe.decay == "cosine":
        decay = CosineAnnealingLR(optimizer, T_max=schedule.total_iters - schedule.warmup_iters, eta_min=0.0)
    else:
        step_size = max(1, round(recipe.decay_epochs * schedule.iters_per_epoch))
        decay = StepLR(optimizer, step_size=step_size, gamma=recipe.decay_rate)
    if schedule.warmup_iters == 0:
        return decay
    warmup = LinearLR(optimizer, start_factor=1 / (schedule.warmup_iters + 1), end_factor=1.0,
                      total_iters=schedule.warmup_iters)
    return SequentialLR(optimizer, [warmup, decay], milestones=[schedule.warmup_iters])
