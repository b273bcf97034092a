"""What every family's builder shares: stage bookkeeping and the config a checkpoint stores.

A builder reads its table row by row and appends blocks to a :class:`StageStack`, which
tracks the channels and the total stride the next block sees and groups blocks into one
``nn.Sequential`` per stage, so ``feature_info`` comes out of the same loop that builds the
network. :func:`model_builder` records the keyword arguments a builder was called with
(defaults filled in) as ``model.config``, which is exactly what
:func:`~lightnets.models.create_model_from_config` needs to rebuild it.
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, Callable

from torch import nn

if TYPE_CHECKING:
    from .base import LightNet


def first_stride(n: int, s: int) -> tuple[int, ...]:
    """The strides of the papers' "n, s" rows: n repeats, the first with stride s, the rest 1."""
    return (s,) + (1,) * (n - 1)


class StageStack:
    """The body of a network as it is built: blocks grouped into stages, with the channels
    and total stride after each stage.

    ``chs`` and ``stride`` start as the stem's output; :meth:`add` appends a block that
    takes ``chs`` channels (read it when building the block) and gives ``out_chs`` at
    ``stride``; :meth:`end_stage` closes the current stage and records its ``feature_info``
    entry (timm's keys: ``module``, ``num_chs``, ``reduction``).
    """

    def __init__(self, chs: int, stride: int):
        self.chs, self.stride = chs, stride
        self.stages: list[nn.Sequential] = []
        self.feature_info: list[dict[str, Any]] = []
        self._blocks: list[nn.Module] = []

    def add(self, block: nn.Module, out_chs: int, stride: int = 1) -> None:
        self._blocks.append(block)
        self.chs, self.stride = out_chs, self.stride * stride

    def end_stage(self) -> None:
        if not self._blocks:
            raise ValueError(f"stage {len(self.stages)} has no blocks")
        self.feature_info.append({"module": f"stages.{len(self.stages)}", "num_chs": self.chs,
                                  "reduction": self.stride})
        self.stages.append(nn.Sequential(*self._blocks))
        self._blocks = []


def model_builder(builder: Callable[..., LightNet]) -> Callable[..., LightNet]:
    """Decorate a keyword-only family builder so that the model it returns carries its
    config: the builder's name and every keyword argument, defaults included. Arguments are
    plain values (numbers, strings, booleans), so the config is JSON as well as a dict."""
    signature = inspect.signature(builder)

    @functools.wraps(builder)
    def build(**kwargs: Any) -> LightNet:
        bound = signature.bind(**kwargs)
        bound.apply_defaults()
        model = builder(**bound.arguments)
        model.config = {"name": builder.__name__, **bound.arguments}
        return model

    return build
