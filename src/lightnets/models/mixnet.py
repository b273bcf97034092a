"""MixNet (Tan and Le 2019, arXiv:1907.09595, Figure 8): MnasNet's search space with MixConv.

Depthwise layers mix kernel sizes 3-11 over channel groups (:mod:`lightnets.layers.mixconv`, equal split), and many
expansion and projection 1x1 convs are split into two groups; the early stages take ReLU, the later swish with SE
(ratio of the block input). **S** and **M** are searched; **L** is M at width 1.3. A stage holds several rows, each
(n, k, s, e, c, se, act, expand_groups, project_groups), as the released models list them. Stem and head (1536)
keep their widths under a multiplier. Under a depth multiplier each stage's total of repeats is rounded up for S and
to the nearest for M and L (so L, M at width 1.3, too), as timm's ``mixnet_s`` and ``mixnet_m/l`` scale them.
"""

from __future__ import annotations

from .base import LightNet
from .builder import model_builder
from .mbconv_net import MBConvArchitecture, MBConvRow as Row, build_mbconv_net, mbconv_table
from .paper_table import PaperTable

SW = "swish"
S = MBConvArchitecture(16, (
    (Row(1, 3, 1, 1, 16),),
    (Row(1, 3, 2, 6, 24, expand_groups=2, project_groups=2), Row(1, 3, 1, 3, 24, expand_groups=2, project_groups=2)),
    (Row(1, (3, 5, 7), 2, 6, 40, 0.5, SW), Row(3, (3, 5), 1, 6, 40, 0.5, SW, 2, 2)),
    (Row(1, (3, 5, 7), 2, 6, 80, 0.25, SW, 1, 2), Row(2, (3, 5), 1, 6, 80, 0.25, SW, 1, 2)),
    (Row(1, (3, 5, 7), 1, 6, 120, 0.5, SW, 2, 2), Row(2, (3, 5, 7, 9), 1, 3, 120, 0.5, SW, 2, 2)),
    (Row(1, (3, 5, 7, 9, 11), 2, 6, 200, 0.5, SW), Row(2, (3, 5, 7, 9), 1, 6, 200, 0.5, SW, 1, 2)),
), head=1536, act="relu")
M = MBConvArchitecture(24, (
    (Row(1, 3, 1, 1, 24),),
    (Row(1, (3, 5, 7), 2, 6, 32, expand_groups=2, project_groups=2),
     Row(1, 3, 1, 3, 32, expand_groups=2, project_groups=2)),
    (Row(1, (3, 5, 7, 9), 2, 6, 40, 0.5, SW), Row(3, (3, 5), 1, 6, 40, 0.5, SW, 2, 2)),
    (Row(1, (3, 5, 7), 2, 6, 80, 0.25, SW), Row(3, (3, 5, 7, 9), 1, 6, 80, 0.25, SW, 2, 2)),
    (Row(1, 3, 1, 6, 120, 0.5, SW), Row(3, (3, 5, 7, 9), 1, 3, 120, 0.5, SW, 2, 2)),
    (Row(1, (3, 5, 7, 9), 2, 6, 200, 0.5, SW), Row(3, (3, 5, 7, 9), 1, 6, 200, 0.5, SW, 1, 2)),
), head=1536, act="relu", depth_rounding="round")
SIZES = {"s": (S, 1.0), "m": (M, 1.0), "l": (M, 1.3)}  # size -> (architecture, its width)


@model_builder
def mixnet(
    *,
    size: str = "s",
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    depth: float = 1.0,
    drop_rate: float = 0.2,
    drop_path_rate: float = 0.0,
    bn_eps: float = 1e-5,
    padding: str = "symmetric",
    small_input: bool = False,
    widths: dict | None = None,
) -> LightNet:
    """MixNet-S, -M or -L; ``width`` multiplies the size's own width (L: 1.3), ``depth`` the repeats.
    ``widths``: per-layer channel counts (:mod:`.mbconv_net`)."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, got {size!r}")
    arch, size_width = SIZES[size]
    return build_mbconv_net(arch, num_classes=num_classes, in_chans=in_chans, width=size_width * width,
                            depth=depth, drop_rate=drop_rate, drop_path_rate=drop_path_rate, bn_eps=bn_eps,
                            padding=padding, small_input=small_input, family="mixnet", widths=widths)


def mixnet_table(model: LightNet) -> PaperTable:
    config = model.config
    return mbconv_table(model, SIZES[config["size"]][0], config["depth"],
                        f"MixNet-{config['size'].upper()} (arXiv:1907.09595), Figure 8")
