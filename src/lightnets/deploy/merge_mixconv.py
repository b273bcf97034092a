"""MixConv's kernel groups as one convolution, for inference: fewer, larger kernels for the runtime to run.

A MixConv splits its channels, convolves each group apart and concatenates: in an exported graph that is a slice per
group, a conv per group and a concat. Two rewrites compute exactly the same outputs with one conv:

- ``"pointwise"``: groups of 1x1 convs with equal in and out splits (MixNet's grouped expansions and projections) are
  one grouped 1x1 conv (``groups = n``), its weight the groups' weights stacked;
- ``"all"``: also each depthwise MixConv becomes one depthwise conv with the largest kernel, every group's kernel
  zero-padded to it at the centre. Every group's window is centred on the same pixel under symmetric and TF SAME
  padding alike, so the outputs are the same; the MACs grow to the largest kernel's (a 3x3 group becomes an 11x11
  one), which is the price of one kernel launch instead of n.

Which is faster is the runtime's business: ``benchmarks/mixconv_export.py`` measures both against the MixConv graph.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from ..layers.mixconv import MixConv
from ..layers.same_padding import Conv2dSame, padded_conv

MERGES = ("pointwise", "all")


def merge_mixconv(model: nn.Module, merge: str = "pointwise") -> tuple[nn.Module, int]:
    """A copy of ``model`` (eval mode) with its MixConvs merged by ``merge``, and how many were merged."""
    if merge not in MERGES:
        raise ValueError(f"merge must be one of {', '.join(MERGES)}, got {merge!r}")
    result = copy.deepcopy(model).eval()
    merged = 0
    for name, module in list(result.named_modules()):
        if isinstance(module, MixConv):
            conv = _merged(module, merge)
            if conv is not None:
                parent, _, child = name.rpartition(".")
                setattr(result.get_submodule(parent) if parent else result, child, conv)
                merged += 1
    return result, merged


def _merged(mix: MixConv, merge: str) -> nn.Module | None:
    convs = list(mix)
    depthwise = all(c.groups == c.in_channels == c.out_channels for c in convs)
    # stride 1 SAME is the symmetric k // 2, a plain conv
    padding = "same" if any(isinstance(c, Conv2dSame) for c in convs) else "symmetric"
    stride, dilation = convs[0].stride[0], convs[0].dilation[0]
    weight = None
    if all(c.kernel_size == (1, 1) for c in convs) and not depthwise and len(set(mix.in_splits)) == 1 \
            and len({c.out_channels for c in convs}) == 1:
        groups, kernel = len(convs), 1
        weight = torch.cat([c.weight for c in convs])
    elif depthwise and merge == "all":
        kernel = max(c.kernel_size[0] for c in convs)
        groups = mix.in_channels
        weight = torch.cat([nn.functional.pad(c.weight, [(kernel - c.kernel_size[0]) // 2] * 4) for c in convs])
    if weight is None:
        return None
    conv = padded_conv(mix.in_channels, mix.out_channels, kernel, stride, padding, dilation, groups, bias=False)
    with torch.no_grad():
        conv.weight.copy_(weight)
    return conv
