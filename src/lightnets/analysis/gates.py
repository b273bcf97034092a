"""Find the layers of squeeze-and-excite style gates in an executed op list, from the dataflow.

A channel gate pools a map globally to one value per channel, runs small layers on those
values and multiplies the map by the result (SENet, MobileNetV3, EfficientNet, ...). In the
trace that is a ``mul`` of a map by a tensor with no spatial extent; walking back from that
operand, through ops whose outputs have no spatial extent either, down to the global pool,
finds the gate's layers, whichever module or function issued them.
"""

from __future__ import annotations

from .op_kind import MAC_KINDS
from .trace import OpRecord, TensorMeta


def _no_extent(t: TensorMeta) -> bool:
    return len(t.shape) <= 2 or all(s == 1 for s in t.shape[2:])


def _gate_operand(op: OpRecord) -> int | None:
    """Index (in ``op.inputs``) of the per-channel operand of a map x gate multiply, else None."""
    if len(op.inputs) != 2:
        return None
    a, b = op.inputs
    if len(a.shape) < 3 or len(b.shape) < 3:
        return None
    if _no_extent(b) and not _no_extent(a):
        return 1
    if _no_extent(a) and not _no_extent(b):
        return 0
    return None


def gate_layers(ops: list[OpRecord], kinds: list[str]) -> set[int]:
    """Indices of the MAC-carrying ops inside channel gates (``kinds[i]`` is op i's kind)."""
    writers: dict[int, list[int]] = {}  # activation serial -> ops that wrote it, in order (in-place ops rewrite)
    for op in ops:
        for sid in op.output_ids:
            if sid >= 0:
                writers.setdefault(sid, []).append(op.index)

    def producer(sid: int | None, reader: int) -> int | None:
        earlier = [i for i in writers.get(sid, ()) if i < reader] if sid is not None else []
        return earlier[-1] if earlier else None

    found: set[int] = set()
    for op in ops:
        if kinds[op.index] != "mul" or (g := _gate_operand(op)) is None:
            continue
        stack, seen = [producer(op.input_ids[g], op.index)], set()
        while stack:
            i = stack.pop()
            if i is None or i in seen:
                continue
            seen.add(i)
            src = ops[i]
            if not src.outputs or not _no_extent(src.outputs[0]) or kinds[i] == "pool":
                continue  # reached the global pool (or left the gate): stop here
            if kinds[i] in MAC_KINDS:
                found.add(i)
            stack.extend(producer(sid, i) for sid in src.input_ids)
    return found
