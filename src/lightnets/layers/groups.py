"""Grouped convolution's one rule: the groups split the channels evenly.

A convolution with ``groups`` = g sees each group's ``channels / g`` inputs only (AlexNet's two towers; ResNeXt's
cardinality, Xie et al. 2016, arXiv:1611.05431, Section 3.3; Res2NeXt's grouped 3x3 convs), so g must divide the
channels. A block that groups a conv checks this where its own arguments are still in view, and names the valid
group counts.
"""

from __future__ import annotations


def check_groups(groups: int, channels: int, what: str) -> int:
    """``groups`` if it is an integer >= 1 dividing ``channels`` (``what`` says whose width that is); a ValueError
    naming the channels and every valid group count otherwise."""
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"groups of {what} must be an integer >= 1, got {groups!r}")
    if channels % groups:
        valid = ", ".join(str(g) for g in range(1, channels + 1) if channels % g == 0)
        raise ValueError(f"groups={groups} does not divide the {channels} channels of {what}; valid: {valid}")
    return groups
