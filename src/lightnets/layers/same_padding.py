"""TensorFlow's "SAME" padding, for weights trained in TensorFlow (the EfficientNet, MixNet, MnasNet and
MobileNetV3 releases, as timm ports them: ``tf_*``).

TF pads a conv so that its output has ceil(size / stride) pixels, the total padding is
``max((ceil(size / stride) - 1) * stride + (k - 1) * dilation + 1 - size, 0)``, and it puts the odd pixel of
that total *after* the image (bottom, right). PyTorch pads ``k // 2`` on both sides. The two agree at stride 1
(odd kernels), and at stride 2 when the input is odd; at stride 2 on an even input TF pads one pixel less before,
so symmetric padding shifts every stride-2 layer of a TF-trained network by a pixel and silently costs accuracy.

:func:`padded_conv` gives a plain ``nn.Conv2d`` with the symmetric padding where that equals TF's (stride 1), and
:class:`Conv2dSame` where the split depends on the input size: it computes the pads from the input's shape in
``forward`` (one ``F.pad``), so a model takes any input size, traces and exports; the weights keep a plain conv's
keys. :func:`padded_pool` does the same for pools (NASNet's cells): TF's SAME average pool divides each window by
the image pixels in it, never counting the padding.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

PADDINGS = ("symmetric", "same")  # a model's padding option: PyTorch's k // 2, or TF's "SAME"


def check_padding(padding: str) -> str:
    if padding not in PADDINGS:
        raise ValueError(f"padding must be one of {', '.join(map(repr, PADDINGS))} ('same': TensorFlow's SAME "
                         f"padding, for weights trained in TensorFlow), got {padding!r}")
    return padding


def same_pads(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TF's SAME padding of one dimension: (before, after)."""
    out = -(-size // stride)  # ceil
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def is_static(kernel: int, stride: int, dilation: int = 1) -> bool:
    """Whether SAME padding is the same at every input size: stride 1 with an odd dilated kernel (``k // 2``
    a side)."""
    return stride == 1 and (dilation * (kernel - 1)) % 2 == 0


class Conv2dSame(nn.Conv2d):
    """``nn.Conv2d`` with TF's SAME padding computed from each input's size."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "padding": 0})

    def extra_repr(self) -> str:
        return super().extra_repr() + ", padding=SAME"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        top, bottom = same_pads(x.shape[-2], kh, sh, dh)
        left, right = same_pads(x.shape[-1], kw, sw, dw)
        return super().forward(F.pad(x, (left, right, top, bottom)))


def padded_conv(in_chs: int, out_chs: int, kernel_size: int | tuple[int, int], stride: int = 1,
                padding: str = "symmetric", dilation: int = 1, groups: int = 1, bias: bool = True) -> nn.Conv2d:
    """A conv of odd kernels padded by ``padding``: a plain ``nn.Conv2d`` with ``dilation * (k - 1) // 2`` a side
    (``"symmetric"``, and TF's SAME where that is static), else :class:`Conv2dSame`."""
    check_padding(padding)
    ks = (kernel_size,) * 2 if isinstance(kernel_size, int) else tuple(kernel_size)
    if padding == "symmetric" or all(is_static(k, stride, dilation) for k in ks):
        return nn.Conv2d(in_chs, out_chs, kernel_size, stride, tuple(dilation * (k - 1) // 2 for k in ks), dilation,
                         groups=groups, bias=bias)
    return Conv2dSame(in_chs, out_chs, kernel_size, stride, dilation=dilation, groups=groups, bias=bias)


class Pool2dSame(nn.Module):
    """A max or average pool with TF's SAME padding computed from each input's size: a max pool pads with -inf,
    an average pool divides each window's sum by the number of image pixels in it (TF's count; padding pixels
    never count)."""

    def __init__(self, kind: str, kernel_size: int, stride: int):
        super().__init__()
        self.kind, self.kernel_size, self.stride = kind, kernel_size, stride

    def extra_repr(self) -> str:
        return f"{self.kind}, kernel_size={self.kernel_size}, stride={self.stride}, padding=SAME"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, s = self.kernel_size, self.stride
        pads = (*same_pads(x.shape[-1], k, s), *same_pads(x.shape[-2], k, s))
        if self.kind == "max":
            return F.max_pool2d(F.pad(x, pads, value=float("-inf")), k, s)
        counts = F.avg_pool2d(F.pad(torch.ones_like(x[:1, :1]), pads), k, s)
        return F.avg_pool2d(F.pad(x, pads), k, s) / counts


def padded_pool(kind: str, kernel_size: int, stride: int = 1, padding: str = "symmetric") -> nn.Module:
    """A ``kind`` ("max" or "avg") pool of an odd kernel padded by ``padding``: PyTorch's pool with ``k // 2`` a side
    (an average over the image pixels only, ``count_include_pad=False``, as TF counts), and TF's SAME where that is
    static, else :class:`Pool2dSame`."""
    check_padding(padding)
    if kind not in ("max", "avg"):
        raise ValueError(f"a pool is 'max' or 'avg', got {kind!r}")
    if padding == "same" and not is_static(kernel_size, stride):
        return Pool2dSame(kind, kernel_size, stride)
    if kind == "max":
        return nn.MaxPool2d(kernel_size, stride, kernel_size // 2)
    return nn.AvgPool2d(kernel_size, stride, kernel_size // 2, count_include_pad=False)
