"""The seeds' arguments, computed: each module reproduces one explanation with numbers a
student can rerun (``lightnets explain TOPIC``)."""

from .conv_tricks import TRICKS, ConvTrick, conv_tricks
from .design_rules import GUIDELINES, DesignRulesResult, Guideline, design_rules
from .regularisation import RegularisationResult, RegularisationRun, regularisation
from .relu_manifold import ManifoldResult, relu_manifold, spiral

__all__ = ["GUIDELINES", "TRICKS", "ConvTrick", "DesignRulesResult", "Guideline", "ManifoldResult",
           "RegularisationResult", "RegularisationRun", "conv_tricks", "design_rules", "regularisation",
           "relu_manifold", "spiral"]
