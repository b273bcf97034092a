"""Which torchvision and timm MobileNets lightnets can load, and the lightnets model each becomes.

A source arch maps onto a registered lightnets model plus the variant values that make it
compute exactly what the source computes: the width multiplier (which fixes every channel
count, since lightnets rounds widths the way timm does), the BatchNorm epsilon the source
was trained with (1e-3 for torchvision's MobileNetV3 and EfficientNet-B5-B7, for every TF port and a few
others named below, 1e-5 elsewhere), and the
activation where the source departs from the paper (timm's MobileNetV1 uses ReLU6), and TF's SAME padding
for the weights timm ported from TensorFlow (``tf_*``).

Each target also records the preprocessing the source's weights expect where it is not the lightnets model's own
(``cfg``, default_cfg keys): TF-trained Lite and MobileNetV3 weights take mean = std = 0.5, torchvision's
EfficientNets their own resize, crop and interpolation, timm's its default pretrained tag's. Loading puts it in the
model's ``default_cfg``, and ``lightnets convert`` saves it with the checkpoint, so ``eval``, ``predict`` and
``export`` feed the weights what they were trained on.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """The lightnets model that computes what one source arch computes."""

    model: str  # lightnets registry name
    width: float = 1.0  # fixes every channel count, hence every key's shape
    bn_eps: float | None = 1e-5  # BatchNorm epsilon the source trained with (None: no bn_eps option: no BN, or
    # BN fixed at PyTorch's 1e-5 as in VGG)
    act: str | None = None  # activation, only where the source differs from the lightnets default
    variant: tuple[tuple[str, Any], ...] = ()  # other builder options the source fixes, as (name, value)
    cfg: tuple[tuple[str, Any], ...] = ()  # the source's preprocessing where it is not the model's, as default_cfg

    def create_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``create_model(self.model, ...)``."""
        kwargs: dict[str, Any] = {"width": self.width, **dict(self.variant)}
        if self.bn_eps is not None:
            kwargs["bn_eps"] = self.bn_eps
        if self.act is not None:
            kwargs["act"] = self.act
        return kwargs


def _timm_widths(prefix: str, model: str, widths: tuple[float, ...], **variant: Any) -> dict[str, Target]:
    """timm names its width variants ``<prefix>_<100 x width>``, e.g. mobilenetv2_035."""
    return {f"{prefix}_{round(w * 100):03d}": Target(model, width=w, **variant) for w in widths}


# torchvision and timm name their ResNets and ResNeXts as lightnets does and build the same networks; timm also has
# ResNeXt-101 32x4d and the Res2Nets.
RESNETS = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "wide_resnet50_2", "wide_resnet101_2",
           "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d")
RES2NETS = ("res2net50_26w_4s", "res2net50_48w_2s", "res2net50_14w_8s", "res2net50_26w_6s", "res2net50_26w_8s",
            "res2next50")
SKNETS = ("skresnet18", "skresnet34", "skresnext50_32x4d")  # timm's; its sknet.py names them as lightnets does
SENETS = ("legacy_seresnet18", "legacy_seresnet34", "legacy_seresnet50", "legacy_seresnet101", "legacy_seresnet152",
          "legacy_seresnext50_32x4d", "legacy_seresnext101_32x4d", "seresnet50", "seresnext50_32x4d",
          "seresnext101_32x4d")  # timm's, named as lightnets names them
SHUFFLENET_V2 = ("shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0")

SAME = (("padding", "same"),)
TF_BN_EPS = 1e-3  # TensorFlow's BatchNorm epsilon, which the tf_* ports keep
INCEPTION_STATS = (("mean", (0.5, 0.5, 0.5)), ("std", (0.5, 0.5, 0.5)))  # TF's [-1, 1] inputs
IMAGENET_STATS = (("mean", (0.485, 0.456, 0.406)), ("std", (0.229, 0.224, 0.225)))


def _cfg(size: int, crop_pct: float, interpolation: str = "bicubic", stats=IMAGENET_STATS) -> tuple:
    return (("input_size", size), ("crop_pct", crop_pct), ("interpolation", interpolation), *stats)


# torchvision's EfficientNets: crop, resize and interpolation of their default weights (B1: IMAGENET1K_V2)
TORCHVISION_EFFICIENTNETS = {0: (224, 256, "bicubic"), 1: (240, 255, "bilinear"), 2: (288, 288, "bicubic"),
                             3: (300, 320, "bicubic"), 4: (380, 384, "bicubic"), 5: (456, 456, "bicubic"),
                             6: (528, 528, "bicubic"), 7: (600, 600, "bicubic")}
# timm's default pretrained tags: input size and crop of tf_efficientnet_b* (ImageNet statistics), of
# tf_efficientnet_lite* (mean = std = 0.5; lite3 and lite4 bilinear) and of efficientnet_b*
TIMM_TF_EFFICIENTNETS = {0: (224, 0.875), 1: (240, 0.882), 2: (260, 0.89), 3: (300, 0.904), 4: (380, 0.922),
                         5: (456, 0.934), 6: (528, 0.942), 7: (600, 0.949)}
TIMM_TF_LITES = {0: (224, 0.875, "bicubic"), 1: (240, 0.882, "bicubic"), 2: (260, 0.89, "bicubic"),
                 3: (300, 0.904, "bilinear"), 4: (380, 0.92, "bilinear")}
TIMM_EFFICIENTNETS = {0: _cfg(224, 0.875), 1: _cfg(240, 0.9, stats=INCEPTION_STATS), 2: _cfg(256, 0.875),
                      3: _cfg(288, 0.875), 4: _cfg(320, 0.875)}
TIMM_MNASNETS = {"mnasnet": "mnasnet_b1", "semnasnet": "mnasnet_a1"}  # timm prefix -> lightnets name
TF_MOBILENET_V3 = {f"tf_mobilenetv3_{size}_{w}": (f"mobilenet_v3_{size}", int(w) / 100)
                   for size in ("large", "small") for w in ("075", "100")}
TF_MOBILENET_V3 |= {f"tf_mobilenetv3_{size}_minimal_100": (f"mobilenet_v3_{size}_minimal", 1.0)
                    for size in ("large", "small")}

SOURCES: dict[str, dict[str, Target]] = {
    "torchvision": {
        "mobilenet_v2": Target("mobilenet_v2", bn_eps=1e-5),
        "mobilenet_v3_large": Target("mobilenet_v3_large", bn_eps=1e-3),
        "mobilenet_v3_small": Target("mobilenet_v3_small", bn_eps=1e-3),
        **{name: Target(name) for name in ("densenet121", "densenet161", "densenet169", "densenet201")},
        "googlenet": Target("googlenet", bn_eps=1e-3, variant=(("aux_logits", True),)),
        "inception_v3": Target("inception_v3", bn_eps=1e-3, variant=(("aux_logits", True),)),
        "alexnet": Target("alexnet", bn_eps=None),
        **{name: Target(name, bn_eps=None) for name in ("squeezenet1_0", "squeezenet1_1")},
        **{name: Target(name, bn_eps=None) for name in (
            "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn")},
        **{name: Target(name, bn_eps=1e-5) for name in RESNETS},
        **{name: Target(name, width=float(name[-3:].replace("_", "."))) for name in SHUFFLENET_V2},
        **{name: Target(name, width=w, cfg=_cfg(224, 0.875, "bilinear")) for name, w in {
            "mnasnet0_5": 0.5, "mnasnet0_75": 0.75, "mnasnet1_0": 1.0, "mnasnet1_3": 1.3}.items()},
        **{f"efficientnet_b{phi}": Target(f"efficientnet_b{phi}", bn_eps=1e-5 if phi < 5 else TF_BN_EPS,
                                          cfg=_cfg(crop, round(crop / resize, 4), interpolation))
           for phi, (crop, resize, interpolation) in TORCHVISION_EFFICIENTNETS.items()},
    },
    "timm": {
        **_timm_widths("mobilenetv1", "mobilenet_v1", (1.0, 1.25), act="relu6"),
        **_timm_widths("mobilenetv2", "mobilenet_v2", (0.35, 0.5, 0.75, 1.0, 1.4)),
        **_timm_widths("mobilenetv3_large", "mobilenet_v3_large", (0.75, 1.0)),
        **_timm_widths("mobilenetv3_small", "mobilenet_v3_small", (0.75, 1.0)),
        **{name: Target(name) for name in ("densenet121", "densenet161", "densenet169", "densenet201")},
        **{name: Target(name, bn_eps=1e-3) for name in ("dpn68", "dpn68b", "dpn92", "dpn98", "dpn107", "dpn131")},
        "inception_v3": Target("inception_v3", bn_eps=1e-3),
        "inception_v4": Target("inception_v4", bn_eps=1e-3),
        "inception_resnet_v2": Target("inception_resnet_v2", bn_eps=1e-3),
        **{name: Target(name, bn_eps=1e-5) for name in RESNETS},  # timm's default ResNets are torchvision's ("v1.5")
        "resnext101_32x4d": Target("resnext101_32x4d", bn_eps=1e-5),
        "legacy_xception": Target("xception", bn_eps=1e-5),
        **{name: Target(name, bn_eps=1e-5) for name in RES2NETS},
        **{name: Target(name, bn_eps=1e-5) for name in SKNETS},
        **{name: Target(name, bn_eps=1e-5) for name in SENETS},
        **{name: Target(model, width=w, bn_eps=TF_BN_EPS, variant=SAME, cfg=_cfg(224, 0.875, "bilinear",
                                                                                 INCEPTION_STATS))
           for name, (model, w) in TF_MOBILENET_V3.items()},
        **{f"{prefix}_{w}": Target(model, width=int(w) / 100, cfg=_cfg(224, 0.875))
           for prefix, model in TIMM_MNASNETS.items() for w in ("050", "075", "100", "140")},
        "mnasnet_small": Target("mnasnet_small", cfg=_cfg(224, 0.875)),
        **{f"efficientnet_b{phi}": Target(f"efficientnet_b{phi}", cfg=cfg) for phi, cfg in TIMM_EFFICIENTNETS.items()},
        "efficientnet_lite0": Target("efficientnet_lite0", cfg=_cfg(224, 0.875)),
        **{f"tf_efficientnet_b{phi}": Target(f"efficientnet_b{phi}", bn_eps=TF_BN_EPS, variant=SAME,
                                             cfg=_cfg(size, crop))
           for phi, (size, crop) in TIMM_TF_EFFICIENTNETS.items()},
        **{f"tf_efficientnet_lite{phi}": Target(f"efficientnet_lite{phi}", bn_eps=TF_BN_EPS, variant=SAME,
                                                cfg=_cfg(size, crop, interpolation, INCEPTION_STATS))
           for phi, (size, crop, interpolation) in TIMM_TF_LITES.items()},
        **{f"mixnet_{size}": Target(f"mixnet_{size}", cfg=_cfg(224, 0.875)) for size in "sml"},
        **{f"tf_mixnet_{size}": Target(f"mixnet_{size}", bn_eps=TF_BN_EPS, variant=SAME, cfg=_cfg(224, 0.875))
           for size in "sml"},
    },
}


def resolve(source: str, arch: str) -> Target:
    """The :class:`Target` for ``(source, arch)``; a ValueError naming close matches otherwise."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}{_did_you_mean(source, SOURCES)}; valid: {', '.join(SOURCES)}")
    archs = SOURCES[source]
    if arch not in archs:
        elsewhere = [other for other, names in SOURCES.items() if arch in names]
        hint = f"; {arch!r} is a {elsewhere[0]} arch" if elsewhere else _did_you_mean(arch, archs)
        raise ValueError(f"unknown {source} arch {arch!r}{hint}; valid: {', '.join(archs)}")
    return archs[arch]


def _did_you_mean(name: str, valid) -> str:
    close = difflib.get_close_matches(name, list(valid), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""
