"""The shared vocabulary of blocks, one concept a file, named as the papers name them."""

from .activations import ACTIVATIONS, make_activation
from .connection_table import ConnectionTableConv, FanInGroup
from .conv_norm_act import ConvNormAct
from .depthwise_separable import DepthwiseSeparableConv
from .inverted_residual import InvertedResidual
from .local_response_norm import LocalResponseNorm
from .make_divisible import check_width, make_divisible, scale_width
from .mlpconv import MlpConv
from .squeeze_excite import SqueezeExcite
from .subsampling import Subsampling

__all__ = [
    "ACTIVATIONS",
    "ConnectionTableConv",
    "ConvNormAct",
    "DepthwiseSeparableConv",
    "FanInGroup",
    "InvertedResidual",
    "LocalResponseNorm",
    "MlpConv",
    "SqueezeExcite",
    "Subsampling",
    "check_width",
    "make_activation",
    "make_divisible",
    "scale_width",
]
