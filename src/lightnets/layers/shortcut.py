"""The shortcut connection of a residual block (He et al. 2015, arXiv:1512.03385, Section 3.2, Eqns. (1)-(2)).

``y = F(x) + x`` where the block keeps the shape; where it changes the width or the resolution, ``y = F(x) + W_s x``
with the projection ``W_s`` a 1x1 convolution of the block's stride followed by BN (Section 3.3; option B of
Section 4.1: projections only where the dimensions increase). torchvision and timm build the same projection and
call it ``downsample``.
"""

from __future__ import annotations

from .conv_norm_act import ConvNormAct


def projection_shortcut(in_chs: int, out_chs: int, stride: int = 1, bn_eps: float = 1e-5) -> ConvNormAct | None:
    """The projection ``W_s`` (1x1 conv + BN, linear) for a block from ``in_chs`` to ``out_chs`` at ``stride``;
    ``None`` where the identity fits."""
    if stride == 1 and in_chs == out_chs:
        return None
    return ConvNormAct(in_chs, out_chs, 1, stride, act=None, bn_eps=bn_eps)
