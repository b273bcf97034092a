"""The shared vocabulary of blocks, one concept a file, named as the papers name them."""

from .activations import ACTIVATIONS, make_activation
from .basic_block import BasicBlock
from .bottleneck import Bottleneck
from .channel_shuffle import ChannelShuffle
from .connection_table import ConnectionTableConv, FanInGroup
from .conv_norm_act import ConvNormAct
from .dense import DenseBlock, DenseLayer, Transition
from .depthwise_separable import DepthwiseSeparableConv
from .dual_path import DualPathBlock
from .fire import Fire
from .gather_excite import GatherExcite
from .global_context import GlobalContext
from .groups import check_groups
from .inception import Branch, Conv, InceptionModule, Pool, make_pool
from .inception_residual import InceptionResidual
from .inverted_residual import InvertedResidual
from .local_response_norm import LocalResponseNorm
from .make_divisible import check_width, make_divisible, scale_width
from .mlpconv import MlpConv
from .norm_act import NormAct
from .pooled_stem import pooled_stem, pooled_stem_stride
from .res2net_split import Res2NetBottleneck
from .selective_kernel import SelectiveKernel
from .shortcut import projection_shortcut
from .shufflenet_unit import ShuffleNetUnit
from .shufflenet_v2_unit import ShuffleNetV2Unit
from .squeeze_excite import SENET_REDUCTION, SqueezeExcite, mobilenet_v3_width, senet_se, senet_width
from .subsampling import Subsampling
from .xception_module import XceptionModule

__all__ = [
    "ACTIVATIONS",
    "BasicBlock",
    "Bottleneck",
    "Branch",
    "ChannelShuffle",
    "ConnectionTableConv",
    "Conv",
    "ConvNormAct",
    "DenseBlock",
    "DenseLayer",
    "DepthwiseSeparableConv",
    "DualPathBlock",
    "FanInGroup",
    "Fire",
    "GatherExcite",
    "GlobalContext",
    "InceptionModule",
    "InceptionResidual",
    "InvertedResidual",
    "LocalResponseNorm",
    "MlpConv",
    "NormAct",
    "Pool",
    "Res2NetBottleneck",
    "SelectiveKernel",
    "ShuffleNetUnit",
    "ShuffleNetV2Unit",
    "SENET_REDUCTION",
    "SqueezeExcite",
    "Subsampling",
    "Transition",
    "XceptionModule",
    "check_groups",
    "check_width",
    "make_activation",
    "make_divisible",
    "make_pool",
    "mobilenet_v3_width",
    "pooled_stem",
    "pooled_stem_stride",
    "projection_shortcut",
    "scale_width",
    "senet_se",
    "senet_width",
]
