"""The interface every lightnets model shares: stem -> stages -> [final conv] -> head.

Follows timm's names where they fit: ``forward_features``, ``forward_head(x,
pre_logits=False)``, ``reset_classifier``, ``get_classifier``, ``feature_info``,
``default_cfg``, ``num_features``. State-dict keys are stable: ``stem``, ``stages.N.M``,
``final_conv``, ``head`` and, only when a family is asked for them, ``aux_heads.K``.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, NamedTuple, Sequence

import torch
from torch import nn

from .builder import StageStack
from .heads import Head
from .tracing import is_tracing
from .weight_init import get_init

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# The largest input side ``create_model(resolution=...)`` and ``profile`` accept: dense tasks
# run these backbones at up to 1024x2048 (Cityscapes), where MobileNetV2's largest batch-1
# activation is already ~200 MB in fp32; at 100000 pixels a side it would be ~450 GB.
MAX_RESOLUTION = 2048


def make_default_cfg(
    in_chans: int,
    num_classes: int,
    input_size: int = 224,
    mean: Sequence[float] = IMAGENET_MEAN,
    std: Sequence[float] = IMAGENET_STD,
    interpolation: str = "bilinear",
    crop_pct: float = 0.875,
) -> dict[str, Any]:
    """The preprocessing a model expects (timm's ``default_cfg`` keys). The defaults are the
    ImageNet convention of the MobileNet papers' ports; a family passes its own (LeNet's
    32x32 MNIST statistics, Inception's 299 and mean/std of 0.5). Statistics given for
    another number of channels are adapted to ``in_chans``: one channel takes their average,
    more repeat them."""
    return {
        "input_size": (in_chans, input_size, input_size),
        "mean": _per_channel(mean, in_chans),
        "std": _per_channel(std, in_chans),
        "interpolation": interpolation,
        "crop_pct": crop_pct,
        "num_classes": num_classes,
    }


def _per_channel(stats: Sequence[float], in_chans: int) -> tuple[float, ...]:
    stats = tuple(stats)
    if len(stats) == in_chans:
        return stats
    if in_chans == 1:
        return (round(sum(stats) / len(stats), 4),)
    return stats * (in_chans // len(stats)) + stats[: in_chans % len(stats)]


def check_image_batch(x: torch.Tensor, in_chans: int, total_stride: int, min_input: int | None = None,
                      max_input: int | None = None) -> None:
    """Raise a clear error for an input a network with ``in_chans``, ``total_stride`` and
    smallest input side ``min_input`` (the total stride unless its convs and pools need more)
    cannot take, or one above ``max_input`` (a head whose kernel covers one size of final map)."""
    if x.dim() != 4:
        raise ValueError(f"expected a 4-D batch (N, C, H, W), got shape {tuple(x.shape)}")
    if x.shape[1] != in_chans:
        raise ValueError(f"model takes in_chans={in_chans}, got an input with {x.shape[1]} channels")
    if not x.is_floating_point():
        raise ValueError(
            f"model takes a floating-point batch, got dtype {x.dtype}; convert it to float and normalise it as "
            "the model expects: (x.float() / 255 - mean) / std with mean and std from model.default_cfg, or "
            "per image with lightnets.data.eval_transform(lightnets.data.Preprocessing.from_model("
            "model.default_cfg, model.in_chans))"
        )
    smallest = min_input or total_stride
    if min(x.shape[2], x.shape[3]) < smallest:
        raise ValueError(f"input {x.shape[2]}x{x.shape[3]} is smaller than the network's "
                         f"{describe_min_input(total_stride, smallest)}; use at least {smallest}x{smallest}")
    if max_input is not None and max(x.shape[2], x.shape[3]) > max_input:
        raise ValueError(f"input {x.shape[2]}x{x.shape[3]} is larger than the network's largest input "
                         f"{max_input}x{max_input} (its head's kernel covers the final map of that size); use at most "
                         f"{max_input}x{max_input}")


def describe_min_input(total_stride: int, min_input: int) -> str:
    """What bounds a network's input side from below, in words: its total stride, or the
    larger size its unpadded convs and pools need."""
    if min_input == total_stride:
        return f"total stride {total_stride}"
    return f"smallest input {min_input}x{min_input} (its unpadded convs and pools need it)"


def feature_map(x: torch.Tensor | tuple[torch.Tensor, ...]) -> torch.Tensor:
    """A stage's output as a feature map: the tensor itself or, where the stages pass on a pair (NASNet's cells read
    the outputs of the two cells before them), the pair's last tensor."""
    return x[-1] if isinstance(x, tuple) else x


def run_stages(x: torch.Tensor, stages: nn.Sequential, taps: Iterable[int]) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Run ``stages`` on ``x``: the last stage's feature map and those of the stages in ``taps``."""
    taps = set(taps)
    maps = []
    for i, stage in enumerate(stages):
        x = stage(x)
        if i in taps:
            maps.append(feature_map(x))
    return feature_map(x), maps


class AuxOutput(NamedTuple):
    """A training-mode forward of a model built with auxiliary heads: the main logits and
    one tensor of auxiliary logits per aux head, in stage order. Unpacks as
    ``logits, aux_logits = model(x)``; the training loss adds each aux head's loss times the
    model's ``aux_weight`` (GoogLeNet 0.3, Inception v3 0.4)."""

    logits: torch.Tensor
    aux_logits: list[torch.Tensor]


class LightNet(nn.Module):
    """A classification network assembled from a stem, stages and a head.

    ``stages`` is the builder's :class:`~lightnets.models.builder.StageStack`, which gives
    the stage modules, ``feature_info`` and ``total_stride``. ``head`` is one of the shared
    pieces in :mod:`lightnets.models.heads`. ``aux_heads`` maps a stage index to an
    :class:`~lightnets.models.heads.AuxHead` fed with that stage's output: a family builds
    them only when asked (``aux_logits=True``); they add to the training output only,
    which is then an :class:`AuxOutput`; ``forward`` returns one tensor otherwise and always
    in eval mode. ``aux_weight`` is the weight of each aux head's loss in training.
    ``min_input`` is the smallest input side the network takes, when its unpadded convs and
    pools need more than the total stride (Inception v3: 75); ``max_input`` the largest, for a head
    built for one size of final map (MobileFaceNet's GDConv: 112). ``init`` names the family's weight init
    (:data:`~lightnets.models.weight_init.INITS`); ``default_cfg`` holds the family's
    preprocessing, as :func:`make_default_cfg`'s keyword arguments (ImageNet at 224 when
    not given).
    """

    def __init__(
        self,
        stem: nn.Module,
        stages: StageStack,
        head: Head,
        *,
        in_chans: int,
        init: str,
        final_conv: nn.Module | None = None,
        aux_heads: Mapping[int, Head] | None = None,
        aux_weight: float = 0.3,
        default_cfg: Mapping[str, Any] | None = None,
        min_input: int | None = None,
        max_input: int | None = None,
    ):
        super().__init__()
        self._init = get_init(init)
        self.stem = stem
        self.stages = nn.Sequential(*stages.stages)
        self.final_conv = final_conv
        self.head = head
        taps = sorted(aux_heads or {})
        if any(not 0 <= i < len(self.stages) for i in taps):
            raise ValueError(f"aux heads sit on stages {taps}, but the network has stages 0..{len(self.stages) - 1}")
        if any(aux_heads[i].num_classes != head.num_classes for i in taps):
            raise ValueError(f"aux heads must classify into the head's {head.num_classes} classes, got "
                             f"{[aux_heads[i].num_classes for i in taps]}")
        self.aux_heads = nn.ModuleList(aux_heads[i] for i in taps) if taps else None
        self.aux_stages = tuple(taps)
        if isinstance(aux_weight, bool) or not isinstance(aux_weight, (int, float)) or not 0 <= aux_weight <= 1:
            raise ValueError(f"aux_weight must be a number from 0 to 1, got {aux_weight!r}")
        self.aux_weight = float(aux_weight)
        self.in_chans = in_chans
        self.feature_info = [dict(info) for info in stages.feature_info]
        self.total_stride = stages.stride
        if min_input is not None and (isinstance(min_input, bool) or not isinstance(min_input, int)
                                      or min_input < self.total_stride):
            raise ValueError(f"min_input must be an integer >= the total stride {self.total_stride}, got {min_input!r}")
        self.min_input = min_input or self.total_stride
        if max_input is not None and (isinstance(max_input, bool) or not isinstance(max_input, int)
                                      or max_input < self.min_input):
            raise ValueError(f"max_input must be an integer >= min_input {self.min_input}, got {max_input!r}")
        self.max_input = max_input
        self.num_features = head.num_features
        self.num_classes = head.num_classes
        self.config: dict[str, Any] = {"num_classes": self.num_classes, "in_chans": in_chans}
        self.default_cfg = make_default_cfg(in_chans, self.num_classes, **(default_cfg or {}))
        if not any(p.is_meta for p in self.parameters()):  # a meta-device build (shapes only) draws no values
            self._init(self)

    def check_input(self, x: torch.Tensor) -> None:
        """Raise a clear error for an input this network cannot take."""
        check_image_batch(x, self.in_chans, self.total_stride, self.min_input, self.max_input)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        if not is_tracing():
            self.check_input(x)
        x = feature_map(self.stages(self.stem(x)))
        return x if self.final_conv is None else self.final_conv(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        return self.head(x, pre_logits=pre_logits)

    def forward(self, x: torch.Tensor) -> torch.Tensor | AuxOutput:
        if self.aux_heads is None or not self.training:
            return self.forward_head(self.forward_features(x))
        if not is_tracing():
            self.check_input(x)
        x, taps = run_stages(self.stem(x), self.stages, self.aux_stages)
        x = x if self.final_conv is None else self.final_conv(x)
        return AuxOutput(self.forward_head(x), [head(t) for head, t in zip(self.aux_heads, taps)])

    def get_classifier(self) -> nn.Module:
        return self.head.fc

    def reset_classifier(self, num_classes: int) -> None:
        """A new classifier (and new aux classifiers) for ``num_classes``, initialised by the
        family's scheme; 0 removes it and the head outputs its ``num_features`` features."""
        for head in (self.head, *(self.aux_heads or ())):
            head.reset(num_classes)
            self._init(head.fc)
        self.num_classes = num_classes
        self.config["num_classes"] = num_classes
        self.default_cfg["num_classes"] = num_classes
