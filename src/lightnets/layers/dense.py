"""Dense connectivity: the dense layer, the dense block and the transition of DenseNet.

Huang et al. 2017, "Densely Connected Convolutional Networks", arXiv:1608.06993, Section 3:
layer l of a dense block takes the concatenation of the block input and every earlier
layer's output, x_l = H_l([x_0, x_1, ..., x_{l-1}]), and adds k (the growth rate) new
feature maps. DenseNet-B's H_l is BN-ReLU-Conv(1x1) to ``bn_size * k`` maps (the
bottleneck) then BN-ReLU-Conv(3x3) to k; the transition between blocks is BN-ReLU-Conv(1x1)
to ``floor(compression * m)`` maps (DenseNet-C) and a 2x2 average pool of stride 2.

The block keeps its layers' outputs as a list and concatenates them once per layer, inside
that layer's bottleneck; ``memory_efficient=True`` recomputes that concatenation and the
bottleneck's BN-ReLU-Conv in the backward pass instead of storing them (gradient
checkpointing, Pleiss et al. 2017, arXiv:1707.06990, as torchvision's ``memory_efficient``),
so a block stores its k-map outputs only, not every layer's wide concatenated input.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from .conv_norm_act import ConvNormAct


class DenseLayer(nn.Module):
    """H_l: ``bottleneck`` (BN-ReLU-1x1 conv to ``bn_size * growth_rate``) on the concatenated
    inputs, then ``conv`` (BN-ReLU-3x3 conv to ``growth_rate``) and dropout; returns the
    ``growth_rate`` new maps, which the block concatenates with the layer's input."""

    def __init__(self, in_chs: int, growth_rate: int, bn_size: int = 4, drop_rate: float = 0.0,
                 bn_eps: float = 1e-5, memory_efficient: bool = False):
        super().__init__()
        self.bottleneck = ConvNormAct(in_chs, bn_size * growth_rate, 1, pre_act=True, bn_eps=bn_eps)
        self.conv = ConvNormAct(bn_size * growth_rate, growth_rate, 3, pre_act=True, bn_eps=bn_eps)
        self.drop = nn.Dropout(drop_rate)
        self.memory_efficient = memory_efficient

    def _bottleneck(self, *features: torch.Tensor) -> torch.Tensor:
        return self.bottleneck(torch.cat(features, 1))

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        # Only real tensors that need gradients are checkpointed: torch.fx's proxies are no
        # tensors, so a symbolic trace records the plain layer.
        if self.memory_efficient and torch.is_grad_enabled() and any(
                isinstance(f, torch.Tensor) and f.requires_grad for f in features):
            x = checkpoint(self._bottleneck, *features, use_reentrant=False)
        else:
            x = self._bottleneck(*features)
        return self.drop(self.conv(x))

    def extra_repr(self) -> str:
        return "memory_efficient=True" if self.memory_efficient else ""


class DenseBlock(nn.Module):
    """``num_layers`` dense layers; the output is the input and every layer's ``growth_rate``
    new maps, concatenated: ``in_chs + num_layers * growth_rate`` channels."""

    def __init__(self, in_chs: int, num_layers: int, growth_rate: int, bn_size: int = 4, drop_rate: float = 0.0,
                 bn_eps: float = 1e-5, memory_efficient: bool = False):
        super().__init__()
        self.layers = nn.ModuleList(
            DenseLayer(in_chs + i * growth_rate, growth_rate, bn_size, drop_rate, bn_eps, memory_efficient)
            for i in range(num_layers)
        )
        self.out_chs = in_chs + num_layers * growth_rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for layer in self.layers:
            features.append(layer(features))
        return torch.cat(features, 1)


class Transition(ConvNormAct):
    """BN-ReLU-1x1 conv to ``out_chs`` (compression), then a 2x2 average pool of stride 2.
    Submodules ``bn``, ``act``, ``conv``, ``pool`` in execution order."""

    def __init__(self, in_chs: int, out_chs: int, bn_eps: float = 1e-5):
        super().__init__(in_chs, out_chs, 1, pre_act=True, bn_eps=bn_eps)
        self.pool = nn.AvgPool2d(2, 2)
