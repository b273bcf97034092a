"""The shared vocabulary of blocks, one concept a file, named as the papers name them."""

from .activations import ACTIVATIONS, make_activation
from .basic_block import BasicBlock
from .bottleneck import Bottleneck
from .channel_shuffle import ChannelShuffle
from .conv_norm_act import ConvNormAct
from .dense import DenseBlock, DenseLayer, Transition
from .depthwise_separable import DepthwiseSeparableConv
from .dual_path import DualPathBlock
from .inception import Branch, Conv, InceptionModule, Pool, make_pool
from .inception_residual import InceptionResidual
from .inverted_residual import InvertedResidual
from .make_divisible import check_width, make_divisible, scale_width
from .norm_act import NormAct
from .shortcut import projection_shortcut
from .squeeze_excite import SqueezeExcite

__all__ = [
    "ACTIVATIONS",
    "BasicBlock",
    "Bottleneck",
    "Branch",
    "ChannelShuffle",
    "Conv",
    "ConvNormAct",
    "DenseBlock",
    "DenseLayer",
    "DepthwiseSeparableConv",
    "DualPathBlock",
    "InceptionModule",
    "InceptionResidual",
    "InvertedResidual",
    "NormAct",
    "Pool",
    "SqueezeExcite",
    "Transition",
    "check_width",
    "make_activation",
    "make_divisible",
    "make_pool",
    "projection_shortcut",
    "scale_width",
]
