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


# What ``small_input=True`` does to a family: the first two of its downsamplings (the stem's
# and the next one) keep the resolution, so a 32x32 image ends at 4x4 (total stride 8), as
# the CIFAR forms of these networks do (ResNet, arXiv:1512.03385 section 4.2; DenseNet,
# arXiv:1608.06993 section 3), instead of the 1x1 map the ImageNet strides leave.
SMALL_INPUT_KEPT = 2
SMALL_INPUT_CFG = {"input_size": 32, "crop_pct": 1.0}  # default_cfg of the small-input form


def check_small_input(small_input: bool) -> bool:
    if not isinstance(small_input, bool):
        raise ValueError(f"small_input must be True or False, got {small_input!r}")
    return small_input


class Downsamplings:
    """The strides a builder asks for, in network order, with its first ``kept``
    downsamplings (strides above 1) turned into stride 1: ``strides =
    Downsamplings.for_input(small_input)``, then ``stride=strides(2)`` wherever the paper's table strides."""

    def __init__(self, kept: int):
        self.left = kept

    @classmethod
    def for_input(cls, small_input: bool) -> Downsamplings:
        """The strides of a builder's ``small_input`` form (validated), or its table's own."""
        return cls(SMALL_INPUT_KEPT if check_small_input(small_input) else 0)

    def __call__(self, stride: int) -> int:
        if stride > 1 and self.left > 0:
            self.left -= 1
            return 1
        return stride


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
