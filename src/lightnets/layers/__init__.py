"""The shared vocabulary of blocks, one concept a file, named as the papers name them."""

from .activations import ACTIVATIONS, make_activation
from .conv_norm_act import ConvNormAct
from .depthwise_separable import DepthwiseSeparableConv
from .inception import Branch, Conv, InceptionModule, Pool, make_pool
from .inception_residual import InceptionResidual
from .inverted_residual import InvertedResidual
from .make_divisible import check_width, make_divisible, scale_width
from .squeeze_excite import SqueezeExcite

__all__ = [
    "ACTIVATIONS",
    "Branch",
    "Conv",
    "ConvNormAct",
    "DepthwiseSeparableConv",
    "InceptionModule",
    "InceptionResidual",
    "InvertedResidual",
    "Pool",
    "SqueezeExcite",
    "check_width",
    "make_activation",
    "make_divisible",
    "make_pool",
    "scale_width",
]
