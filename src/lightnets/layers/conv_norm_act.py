"""Convolution, BatchNorm and an activation: the unit every network here is made of.

Two orders: post-activation conv -> BN -> act (every network since BN-Inception) and
pre-activation BN -> act -> conv (pre-activation ResNet, He et al. 2016, arXiv:1603.05027;
DenseNet's "BN-ReLU-Conv" composite function). Without BN the conv carries a bias, as in
the networks that came before BatchNorm (LeNet, AlexNet, VGG, SqueezeNet).
"""

from __future__ import annotations

import math

from torch import nn

from .activations import make_activation
from .same_padding import padded_conv


class ConvNormAct(nn.Sequential):
    """A k x k convolution, BatchNorm (``norm=True``) and an activation (``None`` = linear).

    ``groups == in_chs`` gives a depthwise convolution. ``kernel_size`` is an int or a
    ``(kh, kw)`` pair (Inception v3's factorised 1x7 and 7x1). Padding is ``k // 2`` per
    side unless given (an int or a pair), so that stride 1 keeps the spatial size and
    stride 2 halves it (rounded up); ``dilation`` spaces the kernel's taps (padding then
    ``(dilation * (k - 1) + 1) // 2``, SKNet's dilated 3x3 branches; ``"symmetric"`` says the same);
    ``padding="same"`` is TensorFlow's (:mod:`.same_padding`). ``conv`` replaces the ``nn.Conv2d`` by a prebuilt
    convolution (:class:`~lightnets.layers.mixconv.MixConv`) from ``in_chs`` to ``out_chs``, which then holds the
    kernel, stride, groups, padding and bias. The conv has a bias exactly when there is no BN,
    unless ``bias`` says otherwise (a bias right before BN is cancelled by BN's mean
    subtraction). ``pre_act=True`` puts BN and the activation before the conv; BN then
    normalises the ``in_chs`` input channels.

    Submodules are ``conv``, ``bn`` (absent without norm) and ``act``; registration order is
    execution order, so state-dict keys read ``conv.weight``, ``bn.running_mean``.
    """

    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        kernel_size: int | tuple[int, int] = 3,
        stride: int = 1,
        groups: int = 1,
        act: str | None = "relu",
        bn_eps: float = 1e-5,
        *,
        norm: bool = True,
        bias: bool | None = None,
        padding: int | tuple[int, int] | str | None = None,
        pre_act: bool = False,
        dilation: int = 1,
        conv: nn.Module | None = None,
    ):
        check_bn_eps(bn_eps)
        if conv is not None:
            super().__init__()
            self._add(conv, in_chs, out_chs, norm, bn_eps, act, pre_act)
            return
        if in_chs % groups or out_chs % groups:
            raise ValueError(
                f"groups={groups} must divide both in_chs={in_chs} and out_chs={out_chs}"
            )
        if padding not in (None, "symmetric", "same") and not _is_size(padding, 0):
            raise ValueError(f"padding must be an integer >= 0 or a pair of them (None or 'symmetric': kernel_size // "
                             f"2), or 'same' (TensorFlow's), got {padding!r}")
        if not _is_size(kernel_size, 1):
            raise ValueError(f"kernel_size must be an integer >= 1 or a pair of them, got {kernel_size!r}")
        if not _is_size(dilation, 1):
            raise ValueError(f"dilation must be an integer >= 1 or a pair of them, got {dilation!r}")
        if padding in (None, "symmetric"):  # "same" is resolved by padded_conv
            ks = (kernel_size,) * 2 if isinstance(kernel_size, int) else kernel_size
            ds = (dilation,) * 2 if isinstance(dilation, int) else dilation
            padding = tuple((d * (k - 1) + 1) // 2 for k, d in zip(ks, ds))  # k // 2 undilated
            padding = padding[0] if isinstance(kernel_size, int) and isinstance(dilation, int) else padding
        super().__init__()
        bias = not norm if bias is None else bias
        if padding == "same":
            conv = padded_conv(in_chs, out_chs, kernel_size, stride, "same", dilation, groups, bias)
        else:
            conv = nn.Conv2d(in_chs, out_chs, kernel_size, stride, padding, dilation, groups=groups, bias=bias)
        self._add(conv, in_chs, out_chs, norm, bn_eps, act, pre_act)

    def _add(self, conv: nn.Module, in_chs: int, out_chs: int, norm: bool, bn_eps: float, act: str | None,
             pre_act: bool) -> None:
        """Register the layers in execution order."""
        if not pre_act:
            self.conv = conv
        if norm:
            self.bn = nn.BatchNorm2d(in_chs if pre_act else out_chs, eps=bn_eps)
        self.act = make_activation(act, in_chs if pre_act else out_chs)
        if pre_act:
            self.conv = conv


def _is_size(value, smallest: int) -> bool:
    """An integer >= ``smallest``, or a pair of them."""
    values = value if isinstance(value, tuple) and len(value) == 2 else (value,)
    return all(not isinstance(v, bool) and isinstance(v, int) and v >= smallest for v in values)


def check_bn_eps(bn_eps: float) -> None:
    """BatchNorm divides by sqrt(var + eps): eps must be a finite number > 0."""
    if isinstance(bn_eps, bool) or not isinstance(bn_eps, (int, float)) or not (0 < bn_eps and math.isfinite(bn_eps)):
        raise ValueError(f"bn_eps must be a finite number > 0 (BatchNorm's epsilon: 1e-5 is PyTorch's default, "
                         f"1e-3 TensorFlow's), got {bn_eps!r}")
