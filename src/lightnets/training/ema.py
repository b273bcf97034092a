"""An exponential moving average of a model's weights, as the MobileNet papers evaluate.

Built from torch's :class:`~torch.optim.swa_utils.AveragedModel` (``use_buffers=True``, so
BatchNorm's running statistics are averaged with the weights) and
:func:`~torch.optim.swa_utils.get_ema_multi_avg_fn`. The decay follows TF's
``ExponentialMovingAverage(decay, num_updates)``, which the authors' code uses: after
``n`` updates it is ``min(decay, (1 + n) / (10 + n))``, so the average follows the weights
closely early on instead of staying near the random initialisation for the first
~10,000 steps that a fixed 0.9999 would need.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


def tf_ema_multi_avg_fn(decay: float) -> Callable:
    """``multi_avg_fn`` for AveragedModel: torch's EMA update at TF's warmed-up decay."""

    def update(ema_params: list[torch.Tensor], params: list[torch.Tensor], num_averaged: torch.Tensor) -> None:
        n = int(num_averaged)
        get_ema_multi_avg_fn(min(decay, (1 + n) / (10 + n)))(ema_params, params, num_averaged)

    return update


def create_ema(model: nn.Module, decay: float) -> AveragedModel:
    """An EMA of ``model`` (a deep copy); call ``update_parameters(model)`` after each step."""
    return AveragedModel(model, multi_avg_fn=tf_ema_multi_avg_fn(decay), use_buffers=True)
