"""The shared vocabulary of blocks, one concept a file, named as the papers name them."""

from .activations import ACTIVATIONS, make_activation
from .basic_block import BasicBlock
from .bottleneck import Bottleneck
from .channel_shuffle import ChannelShuffle
from .conv_norm_act import ConvNormAct
from .depthwise_separable import DepthwiseSeparableConv
from .inverted_residual import InvertedResidual
from .make_divisible import check_width, make_divisible, scale_width
from .shortcut import projection_shortcut
from .squeeze_excite import SqueezeExcite

__all__ = [
    "ACTIVATIONS",
    "BasicBlock",
    "Bottleneck",
    "ChannelShuffle",
    "ConvNormAct",
    "DepthwiseSeparableConv",
    "InvertedResidual",
    "SqueezeExcite",
    "check_width",
    "make_activation",
    "make_divisible",
    "projection_shortcut",
    "scale_width",
]
