"""MnasNet (Tan et al. 2018, arXiv:1807.11626): the networks platform-aware search found for a Pixel phone.

- **A1** (Figure 7): the paper's headline model, SE (ratio 0.25 of the block input) in three stages;
- **B1**: the search without SE, the model torchvision ships as ``mnasnet1_0`` (its ``mnasnet0_5`` ... ``1_3`` are
  B1 at those widths);
- **small**: the released small model (the MnasNet README's 2.0M parameters / 68M multiply-adds).

All take ReLU; the head keeps 1280 channels under a width multiplier, as the released models do. Rows are
(n, k, s, e, c, se): repeats, kernel, stride of the first, expansion, output channels, SE ratio.
"""

from __future__ import annotations

from .base import LightNet
from .builder import model_builder
from .mbconv_net import MBConvArchitecture, MBConvRow as Row, build_mbconv_net, mbconv_table
from .paper_table import PaperTable

A1 = MBConvArchitecture(32, (
    (Row(1, 3, 1, 1, 16),),
    (Row(2, 3, 2, 6, 24),),
    (Row(3, 5, 2, 3, 40, se=0.25),),
    (Row(4, 3, 2, 6, 80),),
    (Row(2, 3, 1, 6, 112, se=0.25),),
    (Row(3, 5, 2, 6, 160, se=0.25),),
    (Row(1, 3, 1, 6, 320),),
), head=1280, act="relu")
B1 = MBConvArchitecture(32, (
    (Row(1, 3, 1, 1, 16),),
    (Row(3, 3, 2, 3, 24),),
    (Row(3, 5, 2, 3, 40),),
    (Row(3, 5, 2, 6, 80),),
    (Row(2, 3, 1, 6, 96),),
    (Row(4, 5, 2, 6, 192),),
    (Row(1, 3, 1, 6, 320),),
), head=1280, act="relu")
SMALL = MBConvArchitecture(8, (
    (Row(1, 3, 1, 1, 8),),
    (Row(1, 3, 2, 3, 16),),
    (Row(2, 3, 2, 6, 16),),
    (Row(4, 5, 2, 6, 32, se=0.25),),
    (Row(3, 3, 1, 6, 32, se=0.25),),
    (Row(3, 5, 2, 6, 88, se=0.25),),
    (Row(1, 3, 1, 6, 144),),
), head=1280, act="relu")
ARCHITECTURES = {"a1": A1, "b1": B1, "small": SMALL}
PAPER = {"a1": "MnasNet-A1 (arXiv:1807.11626), Figure 7", "b1": "MnasNet-B1 (arXiv:1807.11626, without SE)",
         "small": "MnasNet-small (tensorflow/tpu models/official/mnasnet)"}


@model_builder
def mnasnet(
    *,
    variant: str = "a1",
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    drop_rate: float = 0.2,
    drop_path_rate: float = 0.0,
    bn_eps: float = 1e-5,
    padding: str = "symmetric",
    small_input: bool = False,
    widths: dict | None = None,
) -> LightNet:
    """MnasNet ``variant`` (a1, b1, small); ``padding="same"`` for weights trained in TensorFlow;
    ``small_input`` keeps the stem and the first stride-2 stage at stride 1 (total stride 8, for 32x32).
    ``widths``: per-layer channel counts (:mod:`.mbconv_net`)."""
    if variant not in ARCHITECTURES:
        raise ValueError(f"variant must be one of {', '.join(ARCHITECTURES)}, got {variant!r}")
    return build_mbconv_net(ARCHITECTURES[variant], num_classes=num_classes, in_chans=in_chans, width=width, depth=1.0,
                            drop_rate=drop_rate, drop_path_rate=drop_path_rate, bn_eps=bn_eps, padding=padding,
                            small_input=small_input, family="mnasnet", widths=widths)


def mnasnet_table(model: LightNet) -> PaperTable:
    return mbconv_table(model, ARCHITECTURES[model.config["variant"]], 1.0, PAPER[model.config["variant"]])
