"""Parameter groups with and without weight decay.

The MobileNetV1 paper (section 3.2) puts "very little or no weight decay (l2
regularization) on the depthwise filters since there are so few parameters in them"; Bag
of Tricks (He et al., arXiv:1812.01187, "No bias decay") and the authors' TF code (no L2
on batch-normalisation variables) leave BatchNorm's scale and shift and every bias
undecayed too. :func:`param_groups` splits a model's trainable parameters that way.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


@dataclass(frozen=True)
class DecaySplit:
    """Which trainable tensors get weight decay, by kind, for the run's summary line."""

    decay: list[nn.Parameter]
    depthwise: list[nn.Parameter]
    norm: list[nn.Parameter]
    bias: list[nn.Parameter]

    @property
    def no_decay(self) -> list[nn.Parameter]:
        return self.depthwise + self.norm + self.bias

    def describe(self) -> str:
        def count(params: list[nn.Parameter]) -> str:
            return f"{len(params)} tensors, {sum(p.numel() for p in params):,} values"

        return (f"on {count(self.decay)}; none on depthwise conv weights ({count(self.depthwise)}), "
                f"BatchNorm ({count(self.norm)}), biases ({count(self.bias)})")


def is_depthwise(module: nn.Module) -> bool:
    """A convolution with one filter group per input channel (``groups == in_channels > 1``)."""
    return isinstance(module, nn.Conv2d) and module.groups > 1 and module.groups == module.in_channels


def split_decay(model: nn.Module) -> DecaySplit:
    """Sort every trainable parameter into decayed / depthwise / norm / bias, each once."""
    split, seen = DecaySplit([], [], [], []), set()
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            if not param.requires_grad or id(param) in seen:
                continue
            seen.add(id(param))
            if isinstance(module, (_BatchNorm, nn.GroupNorm, nn.LayerNorm)):
                split.norm.append(param)
            elif name == "bias":
                split.bias.append(param)
            elif is_depthwise(module):
                split.depthwise.append(param)
            else:
                split.decay.append(param)
    return split


def param_groups(model: nn.Module, weight_decay: float, no_decay_dw_bn_bias: bool) -> list[dict]:
    """Optimizer parameter groups: ``weight_decay`` on all trainable tensors, or, with
    ``no_decay_dw_bn_bias``, on all but depthwise conv weights, norm parameters and biases."""
    if not no_decay_dw_bn_bias or weight_decay == 0:
        return [{"params": [p for p in model.parameters() if p.requires_grad], "weight_decay": weight_decay}]
    split = split_decay(model)
    return [{"params": split.decay, "weight_decay": weight_decay},
            {"params": split.no_decay, "weight_decay": 0.0}]
