"""EfficientNet (Tan and Le 2019, arXiv:1905.11946): B0 as its Table 1, B1-B7 by compound scaling, and Lite0-4.

Compound scaling (Section 3.3) grows depth by alpha**phi, width by beta**phi and resolution by gamma**phi with
alpha = 1.2, beta = 1.1, gamma = 1.15 (:func:`compound_scaling`). The released B1-B7 do not take those powers: they
take hand-rounded coefficients (:data:`COEFFICIENTS`, from the authors' ``efficientnet_builder.py``), which is what
lightnets builds for ``phi`` 0-7; another network takes ``width_coefficient`` and ``depth_coefficient`` given. Depth
rounds up (ceil(n * d) per stage), widths to multiples of 8. Each B-n has its own resolution and dropout; its
evaluation crop is TF's, ``res / (res + 32)`` (224 of 256).

Blocks are MBConv with SE (a quarter of the block's input width, sigmoid gate, swish) and stochastic depth ramped
linearly to ``drop_path_rate`` (0.2) over the blocks.

**Lite** (tensorflow/tpu models/official/efficientnet/lite): the mobile form: ReLU6 instead of swish, no SE, and
under scaling the stem (32), the head (1280) and the first and last stages' repeats stay fixed.
"""

from __future__ import annotations

from dataclasses import replace

from .base import LightNet
from .builder import model_builder
from .mbconv_net import MBConvArchitecture, MBConvRow as Row, build_mbconv_net, check_multiplier, mbconv_table
from .paper_table import PaperTable

# Table 1: EfficientNet-B0
B0 = MBConvArchitecture(32, (
    (Row(1, 3, 1, 1, 16, se=0.25),),
    (Row(2, 3, 2, 6, 24, se=0.25),),
    (Row(2, 5, 2, 6, 40, se=0.25),),
    (Row(3, 3, 2, 6, 80, se=0.25),),
    (Row(3, 5, 1, 6, 112, se=0.25),),
    (Row(4, 5, 2, 6, 192, se=0.25),),
    (Row(1, 3, 1, 6, 320, se=0.25),),
), head=1280, act="swish", fix_head=False)
LITE = replace(B0, stages=tuple(tuple(replace(row, se=0.0) for row in rows) for rows in B0.stages), act="relu6",
               fix_head=True, fix_stem=True, fix_first_last=True)

# phi -> (width, depth, resolution, dropout), as released
COEFFICIENTS = {
    0: (1.0, 1.0, 224, 0.2), 1: (1.0, 1.1, 240, 0.2), 2: (1.1, 1.2, 260, 0.3), 3: (1.2, 1.4, 300, 0.3),
    4: (1.4, 1.8, 380, 0.4), 5: (1.6, 2.2, 456, 0.4), 6: (1.8, 2.6, 528, 0.5), 7: (2.0, 3.1, 600, 0.5),
}
LITE_COEFFICIENTS = {
    0: (1.0, 1.0, 224, 0.2), 1: (1.0, 1.1, 240, 0.2), 2: (1.1, 1.2, 260, 0.3), 3: (1.2, 1.4, 280, 0.3),
    4: (1.4, 1.8, 300, 0.3),
}
ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15  # Section 3.3: depth, width, resolution per unit of phi
CROP_PADDING = 32  # TF's evaluation crop: resize to res + 32, centre-crop res


def compound_scaling(phi: float) -> tuple[float, float, float]:
    """The paper's rule, (depth, width, resolution multiplier) = (alpha**phi, beta**phi, gamma**phi); the released
    coefficients round these by hand (B1 takes depth 1.1, not 1.2)."""
    return ALPHA ** phi, BETA ** phi, GAMMA ** phi


def coefficients(phi: int | None, lite: bool, width_coefficient: float | None,
                 depth_coefficient: float | None) -> tuple[float, float, int, float]:
    """(width, depth, resolution, dropout) of the B-``phi`` (Lite-``phi``) network, or of the explicit ones."""
    table = LITE_COEFFICIENTS if lite else COEFFICIENTS
    name = "EfficientNet-Lite" if lite else "EfficientNet-B"
    explicit = (width_coefficient, depth_coefficient)
    if phi is None:
        if None in explicit:
            raise ValueError("phi=None needs both width_coefficient and depth_coefficient")
        width, depth = (check_multiplier(v, what) for v, what in zip(explicit, ("width_coefficient",
                                                                                "depth_coefficient")))
        return width, depth, 224, 0.2
    if explicit != (None, None):
        raise ValueError(f"width_coefficient and depth_coefficient replace phi's released coefficients: pass them "
                         f"with phi=None, got phi={phi!r}")
    if phi not in table or isinstance(phi, bool):
        depth, width, res = compound_scaling(phi) if isinstance(phi, (int, float)) else (0, 0, 0)
        rule = (f"; the paper's rule would give depth {depth:.3g}, width {width:.3g}, resolution {224 * res:.0f}"
                if depth else "")
        raise ValueError(f"{name}{phi!r} has no released coefficients (phi is {min(table)}-{max(table)}); pass "
                         f"phi=None with width_coefficient and depth_coefficient{rule}")
    return table[phi]


@model_builder
def efficientnet(
    *,
    phi: int | None = 0,
    lite: bool = False,
    width_coefficient: float | None = None,
    depth_coefficient: float | None = None,
    num_classes: int = 1000,
    in_chans: int = 3,
    width: float = 1.0,
    drop_rate: float | None = None,
    drop_path_rate: float = 0.2,
    bn_eps: float = 1e-3,
    padding: str = "symmetric",
    small_input: bool = False,
    widths: dict | None = None,
) -> LightNet:
    """EfficientNet-B``phi`` (``lite=True``: Lite``phi``) with the released coefficients, or with
    ``width_coefficient`` and ``depth_coefficient`` (``phi=None``). ``width`` multiplies the width coefficient;
    ``drop_rate`` defaults to the released dropout; ``padding="same"`` for TF-trained weights. ``widths``: per-layer
    channel counts (:mod:`.mbconv_net`)."""
    if not isinstance(lite, bool):
        raise ValueError(f"lite must be True or False, got {lite!r}")
    w, d, resolution, dropout = coefficients(phi, lite, width_coefficient, depth_coefficient)
    cfg = {"input_size": resolution, "interpolation": "bicubic",
           "crop_pct": round(resolution / (resolution + CROP_PADDING), 3)}
    return build_mbconv_net(LITE if lite else B0, num_classes=num_classes, in_chans=in_chans, width=w * width,
                            depth=d, drop_rate=dropout if drop_rate is None else drop_rate,
                            drop_path_rate=drop_path_rate, bn_eps=bn_eps, padding=padding, small_input=small_input,
                            family="efficientnet", widths=widths, default_cfg=cfg)


def efficientnet_table(model: LightNet) -> PaperTable:
    config = model.config
    name = f"EfficientNet-{'Lite' if config['lite'] else 'B'}{config['phi'] if config['phi'] is not None else ''}"
    depth = coefficients(config["phi"], config["lite"], config["width_coefficient"], config["depth_coefficient"])[1]
    return mbconv_table(model, LITE if config["lite"] else B0, depth, f"{name} in the layout of arXiv:1905.11946, "
                        f"Table 1")
