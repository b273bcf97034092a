"""The seeds' arguments, computed: each module reproduces one explanation with numbers a
student can rerun (``lightnets explain TOPIC``)."""

from .conv_tricks import TRICKS, ConvTrick, conv_tricks
from .regularisation import RegularisationResult, RegularisationRun, regularisation
from .relu_manifold import ManifoldResult, relu_manifold, spiral

__all__ = ["TRICKS", "ConvTrick", "ManifoldResult", "RegularisationResult", "RegularisationRun", "conv_tricks",
           "regularisation", "relu_manifold", "spiral"]
