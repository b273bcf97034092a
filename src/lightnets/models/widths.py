"""Per-layer widths as data: ``widths=`` in a family's config.

A builder computes the channel count of every layer from its paper's table and the width
multiplier: its *plan*, a dict of named slots, each an int or a list of ints in network
order (MobileNetV2: ``stem``, ``expand`` and ``out`` per block, ``last``). ``widths=``
replaces the plan's numbers, as NetAdapt or a search leaves them, while the width
multiplier still decides the topology: which blocks have a shortcut or an expansion conv
stays what the multiplier's network has, so a pruned network is the same architecture with
fewer channels. It is an ordinary model: ``model.widths`` is the plan it was built with,
and its config (``widths`` included) saves, reloads with ``create_model_from_config``,
profiles, trains, folds and exports like any other.

Channels a shortcut ties together (a block's input and output) must stay equal; a block
without an expansion conv has its input width as its expanded width.
:func:`resolve_block_widths` names the slot that breaks either, and ``model.width_ties``
(:func:`block_ties`) lists the positions each tie holds equal, so that a pruner narrows
them together (:mod:`lightnets.search.pruning`).
"""

from __future__ import annotations

from typing import Any, Sequence

Plan = dict[str, Any]  # slot -> int, or list of ints in network order
Position = tuple[str, "int | None"]  # (slot, index into its list), or (slot, None) for an int slot


def _is_channels(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _layout(plan: Plan) -> str:
    return ", ".join(f"{k}: {len(v)} ints" if isinstance(v, list) else f"{k}: int" for k, v in plan.items())


def resolve_widths(widths: Plan | None, plan: Plan, family: str) -> Plan:
    """``plan`` when ``widths`` is None, else ``widths`` checked against its layout (the same
    slots, list lengths and positive channel counts) and returned as a fresh dict."""
    if widths is None:
        return {k: list(v) if isinstance(v, list) else v for k, v in plan.items()}
    if not isinstance(widths, dict) or set(widths) != set(plan):
        got = sorted(widths) if isinstance(widths, dict) else repr(widths)
        raise ValueError(f"{family} widths must be a dict of {_layout(plan)}; got {got}")
    resolved: Plan = {}
    for slot, default in plan.items():
        value = widths[slot]
        if isinstance(default, list):
            if not isinstance(value, (list, tuple)) or len(value) != len(default) \
                    or not all(_is_channels(v) for v in value):
                raise ValueError(f"{family} widths[{slot!r}] must be {len(default)} channel counts (integers >= 1), "
                                 f"got {value!r}")
            resolved[slot] = list(value)
        else:
            if not _is_channels(value):
                raise ValueError(f"{family} widths[{slot!r}] must be a channel count (an integer >= 1), got {value!r}")
            resolved[slot] = value
    return resolved


def _block_inputs(plan: Plan) -> list[int]:
    """The input width of each block of a plan with ``stem`` and per-block ``out``."""
    return [plan["stem"], *plan["out"][:-1]]


def resolve_block_widths(widths: Plan | None, default: Plan, strides: Sequence[int],
                         family: str) -> tuple[Plan, list[bool], list[bool]]:
    """For a network of inverted residuals (``stem``, per-block ``expand`` and ``out``): the
    plan (:func:`resolve_widths`), and each block's shortcut and expansion conv as the
    ``default`` plan has them at these block ``strides`` (a shortcut where stride is 1 and
    the widths match, an expansion conv where the expanded width differs from the input).
    Widths that break either are refused, naming the slot."""
    inputs = _block_inputs(default)
    shortcuts = [s == 1 and i == o for s, i, o in zip(strides, inputs, default["out"], strict=True)]
    expands = [e != i for e, i in zip(default["expand"], inputs)]
    plan = resolve_widths(widths, default, family)
    for i, (width_in, shortcut, expand) in enumerate(zip(_block_inputs(plan), shortcuts, expands)):
        source = "widths['stem']" if i == 0 else f"widths['out'][{i - 1}]"
        if shortcut and plan["out"][i] != width_in:
            raise ValueError(f"{family} block {i} has a shortcut, so widths['out'][{i}] must equal its input "
                             f"{source} = {width_in}, got {plan['out'][i]}")
        if not expand and plan["expand"][i] != width_in:
            raise ValueError(f"{family} block {i} has no expansion conv, so widths['expand'][{i}] must equal its "
                             f"input {source} = {width_in}, got {plan['expand'][i]}")
    return plan, shortcuts, expands


def block_ties(shortcuts: Sequence[bool], expands: Sequence[bool]) -> list[tuple[Position, Position]]:
    """The pairs of plan positions a network of inverted residuals holds equal: a block's
    input and output where it has a shortcut, its input and expanded width where it has no
    expansion conv (a block's input is ``stem`` or the previous block's ``out``)."""
    ties = []
    for i, (shortcut, expand) in enumerate(zip(shortcuts, expands, strict=True)):
        width_in: Position = ("stem", None) if i == 0 else ("out", i - 1)
        if shortcut:
            ties.append((width_in, ("out", i)))
        if not expand:
            ties.append((width_in, ("expand", i)))
    return ties
