"""Standard convolution vs depthwise separable convolution, counted layer by layer.

The seeds' worked example: a D x D x M input, N output channels, k x k kernels. A
standard conv costs D^2 * N * M * k^2 MACs; depthwise (D^2 * M * k^2) plus pointwise
(D^2 * M * N) costs a fraction 1/N + 1/k^2 of it. Both sides are built as real layers
and counted by :func:`profile`, so the example checks the counter itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from .profile import profile


@dataclass(frozen=True)
class ConvCost:
    standard_params: int
    standard_macs: int
    depthwise_params: int
    depthwise_macs: int
    pointwise_params: int
    pointwise_macs: int

    @property
    def separable_params(self) -> int:
        return self.depthwise_params + self.pointwise_params

    @property
    def separable_macs(self) -> int:
        return self.depthwise_macs + self.pointwise_macs

    @property
    def ratio(self) -> float:
        return self.separable_macs / self.standard_macs


def conv_cost(height: int, width: int, in_chs: int, out_chs: int, kernel: int, stride: int = 1) -> ConvCost:
    for label, v in (("height", height), ("width", width), ("in channels", in_chs),
                     ("out channels", out_chs), ("kernel", kernel), ("stride", stride)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{label} must be a positive integer, got {v!r}")
    pad = kernel // 2
    standard = nn.Conv2d(in_chs, out_chs, kernel, stride, pad, bias=False)
    separable = nn.Sequential(
        nn.Conv2d(in_chs, in_chs, kernel, stride, pad, groups=in_chs, bias=False),
        nn.Conv2d(in_chs, out_chs, 1, bias=False),
    )
    std = profile(standard, (in_chs, height, width))
    dw, pw = profile(separable, (in_chs, height, width)).rows
    return ConvCost(std.params, std.macs, dw.params, dw.macs, pw.params, pw.macs)
