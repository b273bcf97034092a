"""Inverted residual with linear bottleneck (MobileNetV2 Table 1; MobileNetV3 "bneck").

1x1 expansion to a wide space (skipped when the expanded width equals the input), k x k
depthwise conv, optional squeeze-and-excite on the expanded features, then a *linear*
1x1 projection back to a narrow bottleneck: no activation there, because ReLU in a
low-dimensional space destroys information. The shortcut joins the narrow bottlenecks
when stride is 1 and input and output widths match.

A network with per-layer widths (``widths=``, as NetAdapt or a search leaves it) keeps its
architecture's topology, not what its new widths happen to allow: ``expand`` and
``shortcut`` then say whether the block has the expansion conv and the shortcut, and a
shortcut needs stride 1 and equal widths.

The searched networks built on this block (MnasNet, EfficientNet, MixNet) add, as options: a tuple of kernel
sizes for a MixConv depthwise layer and ``expand_groups`` / ``project_groups`` for MixNet's grouped 1x1 convs
(:mod:`.mixconv`), the SE layer's own activation (``se_act``: EfficientNet's swish), stochastic depth on the
residual branch (``drop_path``: the probability of dropping it for a sample in training, Huang et al. 2016,
arXiv:1603.09382; torchvision's ``StochasticDepth``, identity in eval) and TF's SAME padding (``padding="same"``).
For dense prediction, ``dilation`` spaces the depthwise conv's taps (atrous convolution, DeepLabv3 arXiv:1706.05587,
where a backbone's output stride is reduced: :mod:`lightnets.models.output_stride`).
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.ops import StochasticDepth

from .conv_norm_act import ConvNormAct
from .mixconv import MixConv
from .same_padding import check_padding
from .squeeze_excite import SqueezeExcite


class InvertedResidual(nn.Module):
    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        expanded_chs: int,
        kernel_size: int | tuple[int, ...] = 3,
        stride: int = 1,
        act: str = "relu6",
        se_reduced: int | None = None,
        se_gate: str = "hard_sigmoid",
        bn_eps: float = 1e-5,
        expand: bool | None = None,
        shortcut: bool | None = None,
        *,
        se_act: str = "relu",
        drop_path: float = 0.0,
        padding: str = "symmetric",
        expand_groups: int = 1,
        project_groups: int = 1,
        dilation: int = 1,
    ):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        if isinstance(drop_path, bool) or not isinstance(drop_path, (int, float)) or not 0 <= drop_path < 1:
            raise ValueError(f"drop_path must be a probability in [0, 1), got {drop_path!r}")
        check_padding(padding)
        for name, groups in (("expand_groups", expand_groups), ("project_groups", project_groups)):
            if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
                raise ValueError(f"{name} must be an integer >= 1 (MixNet's 1x1 convs in groups), got {groups!r}")
        expand = expanded_chs != in_chs if expand is None else expand
        shortcut = stride == 1 and in_chs == out_chs if shortcut is None else shortcut
        if not expand and expanded_chs != in_chs:
            raise ValueError(f"a block without its expansion conv keeps its input width: expanded {expanded_chs} "
                             f"!= input {in_chs}")
        if shortcut and not (stride == 1 and in_chs == out_chs):
            raise ValueError(f"a shortcut needs stride 1 and equal widths, got stride {stride}, {in_chs} -> {out_chs}")
        kernels = (kernel_size,) if isinstance(kernel_size, int) else tuple(kernel_size)
        if dilation != 1 and len(kernels) > 1:
            raise ValueError(f"dilation={dilation!r} applies to a single-kernel depthwise conv, not to MixConv's "
                             f"kernels {kernels}")

        def conv(cin: int, cout: int, ks: tuple[int, ...], s: int, depthwise: bool, conv_act: str | None):
            if len(ks) == 1:
                return ConvNormAct(cin, cout, ks[0], s, groups=cin if depthwise else 1, act=conv_act, bn_eps=bn_eps,
                                   padding=padding, dilation=dilation if depthwise else 1)
            return ConvNormAct(cin, cout, act=conv_act, bn_eps=bn_eps,
                               conv=MixConv(cin, cout, ks, s, depthwise=depthwise, padding=padding))

        self.expand = conv(in_chs, expanded_chs, (1,) * expand_groups, 1, False, act) if expand else None
        self.dw = conv(expanded_chs, expanded_chs, kernels, stride, True, act)
        self.se = SqueezeExcite(expanded_chs, se_reduced, act=se_act, gate=se_gate) if se_reduced else None
        self.project = conv(expanded_chs, out_chs, (1,) * project_groups, 1, False, None)
        self.has_shortcut = shortcut
        self.drop_path = StochasticDepth(drop_path, "row") if shortcut and drop_path else None

    def extra_repr(self) -> str:
        return f"shortcut={self.has_shortcut}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x if self.expand is None else self.expand(x)
        out = self.dw(out)
        if self.se is not None:
            out = self.se(out)
        out = self.project(out)
        if self.drop_path is not None:
            out = self.drop_path(out)
        return x + out if self.has_shortcut else out
