"""The survey's convolution tricks as numbers: what each replaces, and what it saves.

Each trick is a baseline layer and the cheaper construction the networks use instead, both
built as real layers on the same H x W x C input with N output channels (stride 1, "same"
padding, no bias, so that only the trick moves the numbers) and counted by
:func:`~lightnets.analysis.profile`: parameters, multiply-adds, memory traffic (fp32 bytes
read and written) and the receptive field (1 + the sum of (k - 1) over a stack of stride-1
convs), and timed on this CPU.

- two 3x3 for a 5x5 (VGG, Simonyan & Zisserman 2014, Sec. 2.3; Inception v3, Szegedy et
  al. 2015, Sec. 3.1): the same 5x5 field with 2 x 9 / 25 of the weights when C = N;
- 1x7 then 7x1 for a 7x7 (Inception v3, Sec. 3.2): 14 / 49;
- a 1x1 bottleneck to b channels before the 3x3 (GoogLeNet, Szegedy et al. 2014, Sec. 4;
  ResNet's bottleneck, He et al. 2015, Sec. 4.1);
- group convolution with g groups (AlexNet's two towers; ResNeXt): 1 / g;
- depthwise separable (MobileNetV1, Sec. 3.1): 1 / N + 1 / k^2;
- channel shuffle between grouped 1x1 convs (ShuffleNet, Sec. 3.1): no MACs, only traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from torch import nn

from ..layers.channel_shuffle import ChannelShuffle


@dataclass(frozen=True)
class Layout:
    """One construction: its label and the convs it stacks, as (in, out, (kh, kw), groups)."""

    label: str
    convs: tuple[tuple[int, int, tuple[int, int], int], ...]
    shuffle: int = 0  # channel-shuffle groups after the first conv (0: none)

    def build(self) -> nn.Module:
        layers: list[nn.Module] = []
        for i, (cin, cout, (kh, kw), groups) in enumerate(self.convs):
            layers.append(nn.Conv2d(cin, cout, (kh, kw), padding=(kh // 2, kw // 2), groups=groups, bias=False))
            if i == 0 and self.shuffle:
                layers.append(ChannelShuffle(self.shuffle, cout))
        return nn.Sequential(*layers)

    @property
    def receptive_field(self) -> tuple[int, int]:
        return (1 + sum(k[0] - 1 for _, _, k, _ in self.convs), 1 + sum(k[1] - 1 for _, _, k, _ in self.convs))


@dataclass(frozen=True)
class ConvTrick:
    name: str
    source: str
    layouts: Callable[[int, int, int, int], tuple[Layout, ...]]  # (C, N, groups, bottleneck) -> baseline first


def _k(k: int) -> tuple[int, int]:
    return (k, k)


TRICKS = (
    ConvTrick("two 3x3 for a 5x5", "VGG Sec. 2.3; Inception v3 Sec. 3.1", lambda c, n, g, b: (
        Layout("5x5 conv", ((c, n, _k(5), 1),)),
        Layout("3x3 conv, 3x3 conv", ((c, n, _k(3), 1), (n, n, _k(3), 1))))),
    ConvTrick("1x7 + 7x1 for a 7x7", "Inception v3 Sec. 3.2", lambda c, n, g, b: (
        Layout("7x7 conv", ((c, n, _k(7), 1),)),
        Layout("1x7 conv, 7x1 conv", ((c, n, (1, 7), 1), (n, n, (7, 1), 1))))),
    ConvTrick("1x1 bottleneck before a 3x3", "GoogLeNet Sec. 4; ResNet Sec. 4.1", lambda c, n, g, b: (
        Layout("3x3 conv", ((c, n, _k(3), 1),)),
        Layout(f"1x1 conv to {b}, 3x3 conv", ((c, b, _k(1), 1), (b, n, _k(3), 1))))),
    ConvTrick("group convolution", "AlexNet Sec. 3.5; ResNeXt Sec. 3.3", lambda c, n, g, b: (
        Layout("3x3 conv", ((c, n, _k(3), 1),)),
        Layout(f"3x3 conv, {g} groups", ((c, n, _k(3), g),)))),
    ConvTrick("depthwise separable", "MobileNetV1 Sec. 3.1", lambda c, n, g, b: (
        Layout("3x3 conv", ((c, n, _k(3), 1),)),
        Layout("3x3 depthwise, 1x1 pointwise", ((c, c, _k(3), c), (c, n, _k(1), 1))))),
    ConvTrick("channel shuffle", "ShuffleNet Sec. 3.1", lambda c, n, g, b: (
        Layout("1x1 conv, 1x1 conv", ((c, n, _k(1), 1), (n, n, _k(1), 1))),
        Layout(f"1x1 conv {g} groups, 1x1 conv {g} groups", ((c, n, _k(1), g), (n, n, _k(1), g))),
        Layout(f"1x1 conv {g} groups, shuffle, 1x1 conv {g} groups", ((c, n, _k(1), g), (n, n, _k(1), g)), g))),
)


@dataclass(frozen=True)
class TrickRow:
    trick: str
    source: str
    layout: str
    params: int
    macs: int
    traffic: int  # bytes read + written at fp32, batch 1
    receptive_field: tuple[int, int]
    median_ms: float | None  # batch 1 on this CPU; None when not timed

    def to_dict(self) -> dict:
        return {"trick": self.trick, "source": self.source, "layout": self.layout, "params": self.params,
                "macs": self.macs, "traffic": self.traffic, "receptive_field": list(self.receptive_field),
                "median_ms": self.median_ms}


def conv_tricks(height: int, width: int, in_chs: int, out_chs: int, *, groups: int = 4,
                bottleneck: int | None = None, runs: int = 20, threads: int | None = 1) -> list[TrickRow]:
    """Every trick of :data:`TRICKS` on an ``height`` x ``width`` x ``in_chs`` input to ``out_chs``
    channels; the bottleneck width defaults to ``in_chs // 4`` (ResNet's 256 -> 64), ``runs=0``
    counts without timing."""
    from ..analysis import profile
    from ..bench.latency import time_calls

    bottleneck = max(1, in_chs // 4) if bottleneck is None else bottleneck
    for label, v in (("height", height), ("width", width), ("in channels", in_chs), ("out channels", out_chs),
                     ("groups", groups), ("bottleneck", bottleneck)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{label} must be a positive integer, got {v!r}")
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 0:
        raise ValueError(f"runs must be an integer >= 0 (0: count only), got {runs!r}")
    if in_chs % groups or out_chs % groups:
        raise ValueError(f"groups={groups} must divide both the input channels ({in_chs}) and the output "
                         f"channels ({out_chs})")
    import torch

    x = torch.randn(1, in_chs, height, width)
    rows = []
    for trick in TRICKS:
        for layout in trick.layouts(in_chs, out_chs, groups, bottleneck):
            module = layout.build().eval()
            counted = profile(module, (in_chs, height, width))
            ms = None
            if runs:
                with torch.inference_mode():
                    ms = time_calls(module, x, threads=threads, warmup=3, runs=runs).median_ms
            rows.append(TrickRow(trick.name, trick.source, layout.label, counted.params, counted.macs,
                                 counted.traffic, layout.receptive_field, ms))
    return rows
