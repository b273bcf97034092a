"""Published numbers (params, multiply-adds, accuracy, latency) and how ours compare.

``published.json`` is a copy of the project's reference table: one row per published
number, with its source and counting convention (``README.md`` beside it is the
reference's own notes, including the rows known to disagree). ``checks.json`` pairs the
MobileNet-family rows with lightnets configurations and the convention each row was
counted with; :mod:`.checks` holds our counts to them.
"""

from .checks import CHECKS, NOT_CHECKED, Check, CheckResult, Disagreement, RowKey, evaluate
from .published import load_published

__all__ = ["CHECKS", "NOT_CHECKED", "Check", "CheckResult", "Disagreement", "RowKey", "evaluate", "load_published"]
