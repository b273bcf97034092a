"""Published numbers (params, multiply-adds, accuracy, latency) and how ours compare.

``published.json`` is a copy of the project's reference table: one row per published
number, with its source and counting convention. :mod:`.checks` pairs rows with lightnets
configurations and the convention each row was counted with.
"""

from .checks import CHECKS, Check, CheckResult, evaluate
from .published import load_published

__all__ = ["CHECKS", "Check", "CheckResult", "evaluate", "load_published"]
