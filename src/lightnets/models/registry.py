"""Model registry: ``create_model(name, ...)`` and ``list_models(pattern)``.

Each entry is a builder plus a preset of variant values; variants are data passed as
keyword arguments, never parsed out of the name. A model's ``config`` (its registered name
and every builder argument, recorded by :func:`~lightnets.models.builder.model_builder`)
rebuilds it exactly through :func:`create_model_from_config`.
"""

from __future__ import annotations

import difflib
import fnmatch
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from ..layers import SENET_REDUCTION
from .alexnet import alexnet
from .base import MAX_RESOLUTION, LightNet, describe_min_input
from .bn_inception import bn_inception
from .densenet import densenet, densenet_table
from .dpn import dpn, dpn_table
from .efficientnet import COEFFICIENTS, LITE_COEFFICIENTS, efficientnet, efficientnet_table
from .features import FeatureNet
from .googlenet import googlenet
from .inception_v3 import inception_v3
from .inception_v4 import inception_resnet_v2, inception_v4
from .lenet import lenet5
from .mobilefacenet import mobilefacenet, mobilefacenet_table
from .mobilenet_v1 import mobilenet_v1, mobilenet_v1_table
from .mobilenet_v2 import mobilenet_v2, mobilenet_v2_table
from .mixnet import SIZES as MIXNET_SIZES, mixnet, mixnet_table
from .mnasnet import mnasnet, mnasnet_table
from .mobilenet_v3 import mobilenet_v3, mobilenet_v3_table
from .nasnet import nasnet_a
from .nin import nin
from .paper_table import PaperTable
from .res2net import res2net
from .resnet import ATTENTION_OPTIONS as RESNET_ATTENTION_OPTIONS, resnet, resnet_table
from .shufflenet_v1 import OUTPUT_CHANNELS, shufflenet_v1, shufflenet_v1_table
from .shufflenet_v2 import WIDTHS as SHUFFLENET_V2_WIDTHS, shufflenet_v2, shufflenet_v2_table
from .squeezenet import squeezenet
from .vgg import vgg
from .xception import xception


@dataclass(frozen=True)
class Entry:
    builder: Callable[..., LightNet]
    preset: dict[str, Any] = field(default_factory=dict)
    paper: str = ""
    table: Callable[[LightNet], PaperTable] | None = None  # the paper's architecture table (lightnets table)


RESNET, WIDE_RESNET = "ResNet, arXiv:1512.03385", "Wide ResNet, arXiv:1605.07146"
SHUFFLENET_V1, SHUFFLENET_V2 = "ShuffleNet V1, arXiv:1707.01083", "ShuffleNet V2, arXiv:1807.11164"
RESNEXT, RES2NET = "ResNeXt, arXiv:1611.05431", "Res2Net, arXiv:1904.01169"
SKNET, GENET, GCNET = "SKNet, arXiv:1903.06586", "GENet, arXiv:1810.12348", "GCNet, arXiv:1904.11492"
SENET = "SENet, arXiv:1709.01507"
MNASNET, EFFICIENTNET = "MnasNet, arXiv:1807.11626", "EfficientNet, arXiv:1905.11946"
MIXNET = "MixNet, arXiv:1907.09595"
# torchvision's MNASNets: MnasNet-B1 at these widths
TORCHVISION_MNASNETS = {"mnasnet0_5": 0.5, "mnasnet0_75": 0.75, "mnasnet1_0": 1.0, "mnasnet1_3": 1.3}
# SKNet-50 / 101: ResNeXt 32x4d with selective kernels (r = 16, L = 32); timm's SK-ResNet-18 / 34: r = 8, L = 16 and
# each branch on half the input channels
SKNETS = {"skresnext50_32x4d": 50, "sknet101": 101}


def attention(kind: str | None, **options: Any) -> dict[str, Any]:
    """The preset of a ResNet-body name with ``attention=kind``: the other attentions' options fixed at their defaults
    (they do not apply), its own at ``options`` or left to the user."""
    fixed = {name: default for other, defaults in RESNET_ATTENTION_OPTIONS.items() if other != kind
             for name, default in defaults.items()}
    return {"attention": kind, **fixed, **options}


SK_RESNET = attention("selective_kernel", sk_reduction=8, sk_min_width=16, sk_split_input=True)
# SENet's models as released (Caffe; timm's legacy_se*) and timm's SE networks on torchvision's ResNet / ResNeXt
SE_LEGACY, SE_TIMM = attention("squeeze_excite", senet_layout=True), attention("squeeze_excite", senet_layout=False)
RESNEXT_32X4D = {"cardinality": 32, "base_width": 4}
NO_SE = {"se": False, "se_reduction": SENET_REDUCTION}  # the Inception names without SENet's layers
# ResNet-18/34's basic blocks have no bottleneck: their names fix its options, which create_model then refuses.
NO_BOTTLENECK = {"stride_in_1x1": False, "base_width": 64, "cardinality": 1}
PLAIN = {"attention": None, **{name: default for defaults in RESNET_ATTENTION_OPTIONS.values()
                                for name, default in defaults.items()}}  # the ResNets without attention
# ResNeXt-depth CxDd: cardinality C, D channels in each group of conv2_x's 3x3 convs
RESNEXTS = {(50, 32, 4), (101, 32, 4), (101, 32, 8), (101, 64, 4)}
# Res2Net-50 WwSs: width w of each of the S scales in conv2_x (the paper's Table 1 and 5 configurations)
RES2NETS = {(26, 4), (48, 2), (14, 8), (26, 6), (26, 8)}

MODELS: dict[str, Entry] = {
    "mobilenet_v1": Entry(mobilenet_v1, paper="MobileNetV1, arXiv:1704.04861", table=mobilenet_v1_table),
    "mobilenet_v2": Entry(mobilenet_v2, paper="MobileNetV2, arXiv:1801.04381", table=mobilenet_v2_table),
    "mobilenet_v3_large": Entry(mobilenet_v3, {"size": "large"}, "MobileNetV3, arXiv:1905.02244", mobilenet_v3_table),
    "mobilenet_v3_small": Entry(mobilenet_v3, {"size": "small"}, "MobileNetV3, arXiv:1905.02244", mobilenet_v3_table),
    "mobilenet_v3_large_minimal": Entry(
        mobilenet_v3, {"size": "large", "minimal": True}, "MobileNetV3 minimalistic", mobilenet_v3_table
    ),
    "mobilenet_v3_small_minimal": Entry(
        mobilenet_v3, {"size": "small", "minimal": True}, "MobileNetV3 minimalistic", mobilenet_v3_table
    ),
    "mobilefacenet": Entry(mobilefacenet, paper="MobileFaceNet, arXiv:1804.07573", table=mobilefacenet_table),
    "densenet121": Entry(densenet, {"depth": 121}, "DenseNet-BC, arXiv:1608.06993", densenet_table),
    "densenet161": Entry(densenet, {"depth": 161, "growth_rate": 48}, "DenseNet-BC (k=48), arXiv:1608.06993",
                         densenet_table),
    "densenet169": Entry(densenet, {"depth": 169}, "DenseNet-BC, arXiv:1608.06993", densenet_table),
    "densenet201": Entry(densenet, {"depth": 201}, "DenseNet-BC, arXiv:1608.06993", densenet_table),
    "densenet264": Entry(densenet, {"depth": 264}, "DenseNet-BC, arXiv:1608.06993", densenet_table),
    "dpn68": Entry(dpn, {"depth": 68}, "DPN, arXiv:1707.01629", dpn_table),
    "dpn68b": Entry(dpn, {"depth": 68, "split_expand": True}, "DPN, arXiv:1707.01629 (b blocks)", dpn_table),
    "dpn92": Entry(dpn, {"depth": 92}, "DPN, arXiv:1707.01629", dpn_table),
    "dpn98": Entry(dpn, {"depth": 98}, "DPN, arXiv:1707.01629", dpn_table),
    "dpn107": Entry(dpn, {"depth": 107}, "DPN, arXiv:1707.01629", dpn_table),
    "dpn131": Entry(dpn, {"depth": 131}, "DPN, arXiv:1707.01629", dpn_table),
    "googlenet": Entry(googlenet, paper="GoogLeNet (Inception v1), arXiv:1409.4842"),
    "inception_v3": Entry(inception_v3, paper="Inception v3, arXiv:1512.00567"),
    "inception_v4": Entry(inception_v4, paper="Inception-v4, arXiv:1602.07261"),
    "inception_resnet_v2": Entry(inception_resnet_v2, NO_SE, "Inception-ResNet-v2, arXiv:1602.07261"),
    "se_inception_resnet_v2": Entry(inception_resnet_v2, {"se": True}, SENET),
    "bn_inception": Entry(bn_inception, NO_SE, "BN-Inception (Inception v2), arXiv:1502.03167"),
    "se_bn_inception": Entry(bn_inception, {"se": True}, SENET),
    "lenet5": Entry(lenet5, paper="LeNet-5, LeCun et al. 1998, Proc. IEEE 86(11)"),
    "alexnet": Entry(alexnet, {"towers": False}, "AlexNet, Krizhevsky et al. 2012 (torchvision's single tower)"),
    "alexnet_towers": Entry(alexnet, {"towers": True}, "AlexNet, Krizhevsky et al. 2012 (the paper's two towers)"),
    **{f"vgg{depth}{'_bn' if bn else ''}": Entry(vgg, {"depth": depth, "batch_norm": bn},
                                                 "VGG, arXiv:1409.1556" + (" (with BN)" if bn else ""))
       for bn in (False, True) for depth in (11, 13, 16, 19)},
    "nin": Entry(nin, paper="Network in Network, arXiv:1312.4400"),
    "squeezenet1_0": Entry(squeezenet, {"version": "1_0"}, "SqueezeNet, arXiv:1602.07360"),
    "squeezenet1_1": Entry(squeezenet, {"version": "1_1"}, "SqueezeNet v1.1 (forresti/SqueezeNet)"),
    "xception": Entry(xception, paper="Xception, arXiv:1610.02357"),
    "nasnet_a_mobile": Entry(nasnet_a, {"size": "mobile"}, "NASNet-A (4 @ 1056), arXiv:1707.07012"),
    "nasnet_a_large": Entry(nasnet_a, {"size": "large"}, "NASNet-A (6 @ 4032), arXiv:1707.07012"),
    "resnet18": Entry(resnet, {"depth": 18, **NO_BOTTLENECK, **PLAIN}, RESNET, resnet_table),
    "resnet34": Entry(resnet, {"depth": 34, **NO_BOTTLENECK, **PLAIN}, RESNET, resnet_table),
    "resnet50": Entry(resnet, {"depth": 50, **PLAIN}, RESNET, resnet_table),
    "resnet101": Entry(resnet, {"depth": 101, **PLAIN}, RESNET, resnet_table),
    "resnet152": Entry(resnet, {"depth": 152, **PLAIN}, RESNET, resnet_table),
    "wide_resnet50_2": Entry(resnet, {"depth": 50, "base_width": 128, **PLAIN}, WIDE_RESNET, resnet_table),
    "wide_resnet101_2": Entry(resnet, {"depth": 101, "base_width": 128, **PLAIN}, WIDE_RESNET, resnet_table),
    "shufflenet_v1": Entry(shufflenet_v1, paper=SHUFFLENET_V1, table=shufflenet_v1_table),
    **{f"shufflenet_v1_g{g}": Entry(shufflenet_v1, {"groups": g}, SHUFFLENET_V1, shufflenet_v1_table)
       for g in OUTPUT_CHANNELS},
    # torchvision's names: each fixes one of Table 5's widths
    **{f"shufflenet_v2_x{w:.1f}".replace(".", "_"): Entry(shufflenet_v2, {"width": w}, SHUFFLENET_V2,
                                                           shufflenet_v2_table) for w in SHUFFLENET_V2_WIDTHS},
    **{f"resnext{depth}_{c}x{d}d": Entry(resnet, {"depth": depth, "cardinality": c, "base_width": d, **PLAIN}, RESNEXT,
                                         resnet_table) for depth, c, d in sorted(RESNEXTS)},
    **{f"res2net50_{w}w_{s}s": Entry(res2net, {"depth": 50, "base_width": w, "scale": s}, RES2NET)
       for w, s in sorted(RES2NETS)},
    **{f"skresnet{depth}": Entry(resnet, {"depth": depth, **NO_BOTTLENECK, **SK_RESNET}, SKNET, resnet_table)
       for depth in (18, 34)},
    **{name: Entry(resnet, {"depth": depth, "cardinality": 32, "base_width": 4,
                                          **attention("selective_kernel")},
                   SKNET, resnet_table) for name, depth in SKNETS.items()},
    **{f"ge_resnet{depth}": Entry(resnet, {"depth": depth, **attention("gather_excite")}, GENET, resnet_table)
       for depth in (50, 101)},
    "gc_resnet50": Entry(resnet, {"depth": 50, **attention("global_context")}, GCNET, resnet_table),
    **{f"legacy_seresnet{depth}": Entry(resnet, {"depth": depth, **NO_BOTTLENECK, **SE_LEGACY}, SENET, resnet_table)
       for depth in (18, 34)},
    **{f"legacy_seresnet{depth}": Entry(resnet, {"depth": depth, "stride_in_1x1": True, **SE_LEGACY}, SENET,
                                        resnet_table) for depth in (50, 101, 152)},
    **{f"legacy_seresnext{depth}_32x4d": Entry(resnet, {"depth": depth, **RESNEXT_32X4D, **SE_LEGACY}, SENET,
                                               resnet_table) for depth in (50, 101)},
    "seresnet50": Entry(resnet, {"depth": 50, "stride_in_1x1": False, **SE_TIMM}, SENET, resnet_table),
    **{f"seresnext{depth}_32x4d": Entry(resnet, {"depth": depth, **RESNEXT_32X4D, **SE_TIMM}, SENET, resnet_table)
       for depth in (50, 101)},
    **{f"mnasnet_{variant}": Entry(mnasnet, {"variant": variant}, MNASNET, mnasnet_table)
       for variant in ("a1", "b1", "small")},
    **{name: Entry(mnasnet, {"variant": "b1", "width": w}, MNASNET + " (B1; torchvision's name)", mnasnet_table)
       for name, w in TORCHVISION_MNASNETS.items()},
    **{f"efficientnet_b{phi}": Entry(efficientnet, {"phi": phi, "lite": False, "width_coefficient": None,
                                                    "depth_coefficient": None}, EFFICIENTNET, efficientnet_table)
       for phi in COEFFICIENTS},
    **{f"efficientnet_lite{phi}": Entry(efficientnet, {"phi": phi, "lite": True, "width_coefficient": None,
                                                       "depth_coefficient": None},
                                        "EfficientNet-Lite (tensorflow/tpu models/official/efficientnet/lite)",
                                        efficientnet_table) for phi in LITE_COEFFICIENTS},
    **{f"mixnet_{size}": Entry(mixnet, {"size": size}, MIXNET, mixnet_table) for size in MIXNET_SIZES},
    "res2next50": Entry(res2net, {"depth": 50, "base_width": 4, "scale": 4, "cardinality": 8},
                        "Res2NeXt-50 (Res2Net paper, arXiv:1904.01169, Section 4.2)"),
}


def list_models(pattern: str = "*") -> list[str]:
    """Registered names matching a shell-style ``pattern``, sorted."""
    return sorted(n for n in MODELS if fnmatch.fnmatch(n, pattern))


def get_entry(name: str) -> Entry:
    if not isinstance(name, str):
        raise ValueError(f"model name must be a string, got {_describe(name)}; registered: {', '.join(MODELS)}")
    try:
        return MODELS[name]
    except KeyError:
        close = difflib.get_close_matches(name, MODELS, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(
            f"unknown model {name!r}{hint} (run `lightnets models` for all {len(MODELS)})"
        ) from None


def variant_names(name: str) -> list[str]:
    """The variant keywords a model accepts (beyond num_classes / in_chans / width)."""
    entry = get_entry(name)
    params = inspect.signature(entry.builder).parameters
    return [p for p in params if p not in entry.preset and p not in ("num_classes", "in_chans", "width")]


def create_model(
    name: str,
    *,
    num_classes: int | None = None,
    in_chans: int | None = None,
    width: float = 1.0,
    resolution: int | None = None,
    features_only: bool = False,
    out_indices: Sequence[int] | None = None,
    **variant: Any,
) -> LightNet | FeatureNet:
    """Build a registered model. ``resolution`` sets the default input size (rho).
    ``num_classes`` and ``in_chans`` default to the family's own (1000 classes of RGB
    images for the ImageNet networks; LeNet-5: 10 classes of grey images; NIN: CIFAR-10's 10).

    ``features_only=True`` returns the backbone for dense tasks instead, a
    :class:`~lightnets.models.features.FeatureNet` whose forward gives the feature maps of the
    stages in ``out_indices`` (all stages by default), as timm's ``features_only`` does.
    """
    entry = get_entry(name)
    if not isinstance(features_only, bool):
        raise ValueError(f"features_only must be True or False, got {features_only!r}")
    if out_indices is not None and not features_only:
        raise ValueError(f"out_indices={out_indices!r} selects the stages of a features_only=True model; "
                         "pass features_only=True with it, or leave it out")
    valid = variant_names(name)
    unknown = sorted(set(variant) - set(valid))
    if unknown:
        raise ValueError(f"{name} has no variant option {', '.join(unknown)}; valid: {', '.join(valid)}")
    if num_classes is not None and (isinstance(num_classes, bool) or not isinstance(num_classes, int)
                                    or num_classes < 0):
        raise ValueError(f"num_classes must be an integer >= 0, got {num_classes!r}")
    if in_chans is not None and (isinstance(in_chans, bool) or not isinstance(in_chans, int) or in_chans < 1):
        raise ValueError(f"in_chans must be an integer >= 1, got {in_chans!r}")
    given = {k: v for k, v in (("num_classes", num_classes), ("in_chans", in_chans)) if v is not None}
    if resolution is not None and (isinstance(resolution, bool) or not isinstance(resolution, int)
                                   or resolution > MAX_RESOLUTION):
        raise ValueError(f"resolution must be an integer from the network's total stride up to {MAX_RESOLUTION} "
                         f"(input pixels a side), got {resolution!r}")
    preset = dict(entry.preset)
    if "width" in preset:  # a name that fixes the width (shufflenet_v2_x0_5) takes no other
        if width not in (1.0, preset["width"]):
            raise ValueError(f"{name} is the width-{preset['width']:g} network and takes no other width, got "
                             f"width={width!r}")
        width = preset.pop("width")
    model = entry.builder(**preset, **given, width=width, **variant)
    model.config["name"] = name
    if resolution is not None:
        if resolution < model.min_input:
            raise ValueError(
                f"resolution must be an integer >= the {describe_min_input(model.total_stride, model.min_input)} "
                f"and at most {MAX_RESOLUTION}, got {resolution!r}"
            )
        if model.max_input is not None and resolution > model.max_input:
            raise ValueError(f"resolution must be an integer from {model.min_input} to {model.max_input} for {name} "
                             f"(its head's kernel covers the final map of a {model.max_input}x{model.max_input} "
                             f"input), got {resolution!r}")
        model.default_cfg["input_size"] = (model.in_chans, resolution, resolution)
        model.config["resolution"] = resolution
    return FeatureNet(model, out_indices) if features_only else model


def create_model_from_config(config: dict[str, Any]) -> LightNet | FeatureNet:
    """Rebuild a model from its ``model.config`` (as stored in lightnets checkpoints).

    The values a registered name presets (MobileNetV3's ``size``) may be in the config,
    and must then agree with the name.
    """
    if not isinstance(config, dict) or "name" not in config:
        raise ValueError(f"a model config is a dict with a 'name', got {config!r}")
    name = config["name"]
    entry = get_entry(name)
    for key, value in entry.preset.items():
        if key in config and config[key] != value:
            raise ValueError(f"the config's {key}={config[key]!r} contradicts its name {name!r}, "
                             f"which is {key}={value!r}")
    kwargs = {k: v for k, v in config.items() if k != "name" and k not in entry.preset}
    return create_model(name, **kwargs)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__}"
