"""The interface every lightnets model shares: stem -> stages -> [final conv] -> head.

Follows timm's names where they fit: ``forward_features``, ``forward_head(x,
pre_logits=False)``, ``reset_classifier``, ``feature_info``, ``default_cfg``. State-dict
keys are stable: ``stem``, ``stages.N.M``, ``final_conv``, ``head``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.fx._symbolic_trace import is_fx_symbolic_tracing

from .classifier_head import ClassifierHead

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# The largest input side ``create_model(resolution=...)`` and ``profile`` accept: dense tasks
# run these backbones at up to 1024x2048 (Cityscapes), where MobileNetV2's largest batch-1
# activation is already ~200 MB in fp32; at 100000 pixels a side it would be ~450 GB.
MAX_RESOLUTION = 2048


def imagenet_cfg(input_size: int = 224, num_classes: int = 1000, in_chans: int = 3) -> dict[str, Any]:
    """Preprocessing a model expects: the ImageNet convention used by the MobileNet papers' ports."""
    grey = in_chans == 1  # one channel: the average of the ImageNet channel statistics
    return {
        "input_size": (in_chans, input_size, input_size),
        "mean": (0.449,) if grey else IMAGENET_MEAN * (in_chans // 3) + IMAGENET_MEAN[: in_chans % 3],
        "std": (0.226,) if grey else IMAGENET_STD * (in_chans // 3) + IMAGENET_STD[: in_chans % 3],
        "interpolation": "bilinear",
        "crop_pct": 0.875,
        "num_classes": num_classes,
    }


class LightNet(nn.Module):
    """A classification network assembled from a stem, a list of stages and a head."""

    def __init__(
        self,
        stem: nn.Module,
        stages: list[nn.Sequential],
        stage_chs: list[int],
        stage_strides: list[int],
        head: ClassifierHead,
        final_conv: nn.Module | None,
        in_chans: int,
        config: dict[str, Any],
    ):
        super().__init__()
        self.stem = stem
        self.stages = nn.Sequential(*stages)
        self.final_conv = final_conv
        self.head = head
        self.in_chans = in_chans
        self.total_stride = stage_strides[-1]
        self.config = dict(config)
        self.feature_info = [
            {"module": f"stages.{i}", "num_chs": c, "reduction": s}
            for i, (c, s) in enumerate(zip(stage_chs, stage_strides))
        ]
        self.num_features = head.num_features
        self.num_classes = config["num_classes"]
        self.default_cfg = imagenet_cfg(num_classes=self.num_classes, in_chans=in_chans)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def check_input(self, x: torch.Tensor) -> None:
        """Raise a clear error for an input this network cannot take."""
        if x.dim() != 4:
            raise ValueError(f"expected a 4-D batch (N, C, H, W), got shape {tuple(x.shape)}")
        if x.shape[1] != self.in_chans:
            raise ValueError(f"model takes in_chans={self.in_chans}, got an input with {x.shape[1]} channels")
        if not x.is_floating_point():
            raise ValueError(
                f"model takes a floating-point batch, got dtype {x.dtype}; convert it to float and normalise it as "
                "the model expects: (x.float() / 255 - mean) / std with mean and std from model.default_cfg, or "
                "per image with lightnets.data.eval_transform(lightnets.data.Preprocessing.from_model("
                "model.default_cfg, model.in_chans))"
            )
        if min(x.shape[2], x.shape[3]) < self.total_stride:
            raise ValueError(
                f"input {x.shape[2]}x{x.shape[3]} is smaller than the network's total stride "
                f"{self.total_stride}; use at least {self.total_stride}x{self.total_stride}"
            )

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        if not (torch.jit.is_tracing() or torch.compiler.is_compiling() or is_fx_symbolic_tracing()):
            self.check_input(x)
        x = self.stages(self.stem(x))
        return x if self.final_conv is None else self.final_conv(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        return self.head(x, pre_logits=pre_logits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def get_classifier(self) -> nn.Module:
        return self.head.fc

    def reset_classifier(self, num_classes: int) -> None:
        self.head.reset(num_classes)
        if num_classes:
            nn.init.normal_(self.head.fc.weight, 0, 0.01)
            nn.init.zeros_(self.head.fc.bias)
        self.num_classes = num_classes
        self.config["num_classes"] = num_classes
        self.default_cfg["num_classes"] = num_classes
