"""Gather-excite (Hu et al. 2018, arXiv:1810.12348, Section 3): context gathered over a spatial extent rescales
every position's channels.

The gather ξ_G aggregates each neighbourhood of the map to one value per channel; the excite ξ_E spreads the
gathered map back to the input's size (nearest-neighbour interpolation), passes it through a sigmoid and multiplies
the input by it. ``extent`` e is the factor by which the gather shrinks the map (2, 4 or 8) or ``"global"`` (one
value per channel for the whole map, SE's squeeze). Three forms (``gather``):

- ``"theta_minus"``, GE-θ⁻: parameter-free, an average pool: each of the ceil(H / e) x ceil(W / e) cells averages the
  (2e - 1) x (2e - 1) window centred on it (positions beyond the border are left out of the mean), the global form
  the mean of the map;
- ``"theta"``, GE-θ: log2(e) depthwise 3x3 convs of stride 2, each with BN and ReLU between them; the global form a
  single depthwise conv whose kernel is the whole map (``size``: a block built for one map size refuses others);
- ``"theta_plus"``, GE-θ⁺: GE-θ's gather followed by an SE-style excite: two 1x1 convs (with biases, ReLU between)
  from C to C x ``ratio`` (rounded half up; 1/16) and back, on every gathered cell.

A map that e does not divide is pooled to ceil(H / e) cells as above (the last covering fewer positions) and
stretched back by the nearest-neighbour interpolation, so every input size from 1 pixel up is taken; where e divides
the map, each position reads its own cell.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import fx, nn

from .activations import make_activation
from .conv_norm_act import ConvNormAct

GATHERS = ("theta_minus", "theta", "theta_plus")
EXTENTS = (2, 4, 8, "global")


def _spread(gathered: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """The gathered map stretched back to ``like``'s size (a leaf for torch.fx: the size is read at run time)."""
    return F.interpolate(gathered, size=like.shape[-2:], mode="nearest")


fx.wrap("_spread")


class GatherExcite(nn.Module):
    def __init__(self, channels: int, gather: str = "theta_minus", extent: int | str = "global",
                 ratio: float = 1 / 16, size: int | None = None, bn_eps: float = 1e-5):
        if gather not in GATHERS:
            raise ValueError(f"gather must be one of {', '.join(GATHERS)} (GE-θ⁻, GE-θ, GE-θ⁺), got {gather!r}")
        if isinstance(extent, bool) or extent not in EXTENTS:
            raise ValueError(f"extent must be one of {', '.join(map(str, EXTENTS))}, got {extent!r}")
        if gather != "theta_minus" and extent == "global" and (
                isinstance(size, bool) or not isinstance(size, int) or size < 1):
            raise ValueError(f"the global {gather} gather is a depthwise conv over the whole map: give the map's "
                             f"side as size (an integer >= 1), got size={size!r}")
        super().__init__()
        self.extent = extent
        self.size = size if gather != "theta_minus" and extent == "global" else None
        if gather == "theta_minus":
            self.gather = None
        elif extent == "global":
            self.gather = nn.Sequential(ConvNormAct(channels, channels, size, groups=channels, act=None,
                                                    bn_eps=bn_eps, padding=0))
        else:
            n = int(math.log2(extent))
            self.gather = nn.Sequential(*(ConvNormAct(channels, channels, 3, 2, channels, "relu" if i < n - 1 else None,
                                                      bn_eps) for i in range(n)))
        self.excite = None
        if gather == "theta_plus":
            if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 1:
                raise ValueError(f"the GE-θ⁺ excite ratio must be a number in (0, 1] (1/16 in the paper), "
                                 f"got {ratio!r}")
            reduced = int(channels * ratio + 0.5)
            if reduced < 1:
                raise ValueError(f"an excite ratio of {ratio:g} leaves {channels} x {ratio:g} < 1 channel; take a "
                                 f"ratio >= {1 / channels:g} at this width")
            self.excite = nn.Sequential(OrderedDict(fc1=nn.Conv2d(channels, reduced, 1), act=make_activation("relu"),
                                                    fc2=nn.Conv2d(reduced, channels, 1)))
        self.gate = make_activation("sigmoid")

    def extra_repr(self) -> str:
        return f"extent={self.extent!r}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from ..models.tracing import is_tracing  # here: models imports layers

        if self.size is not None and not is_tracing() and tuple(x.shape[-2:]) != (self.size, self.size):
            raise ValueError(f"this global gather was built for {self.size}x{self.size} maps, got "
                             f"{x.shape[-2]}x{x.shape[-1]}; build it for this input size")
        if self.gather is not None:
            gathered = self.gather(x)
        elif self.extent == "global":
            gathered = x.mean((2, 3), keepdim=True)
        else:
            k = 2 * self.extent - 1
            gathered = F.avg_pool2d(x, k, self.extent, self.extent - 1, count_include_pad=False)
        if self.excite is not None:
            gathered = self.excite(gathered)
        if self.extent != "global":
            gathered = _spread(gathered, x)
        return x * self.gate(gathered)
