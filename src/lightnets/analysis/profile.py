"""Exact complexity of a model, counted over what executes: one row per aten op.

One batch-1 forward pass in eval mode under ``torch.no_grad`` is recorded at the dispatch
level (:mod:`.trace`): every conv, matrix product, add, multiply, concatenation, reshape,
pooling, normalisation and activation appears, whichever module or function issued it.
Kinds come from the op and its geometry (:mod:`.op_kind`), squeeze-and-excite layers from
the dataflow (:mod:`.gates`).

MACs count the multiply-adds of convolutions and matrix products (classifier and SE layers
included), as ``torch.utils.flop_counter`` counts them (FLOPs / 2). BatchNorm, activations,
pooling, adds and multiplies are reported apart as elementwise ops. Each parameter tensor is
counted once, at the first op that reads it, under the chosen convention. Per row, memory
traffic is the bytes read and written at fp32 and arithmetic intensity is MACs per byte; the
peak activation memory is the largest set of activation bytes alive at once in the pass.

The model's modes, hooks and state dict are left as they were.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Sequence

import torch
from torch import nn

from ..models.base import MAX_RESOLUTION
from ..models.registry import create_model
from .gates import gate_layers
from .op_kind import DATA_KINDS, ELEMENTWISE_KINDS, MAC_KINDS, op_cost
from .param_conventions import check_convention, counts, tensor_role
from .trace import OpRecord, Trace, record_forward


@dataclass(frozen=True)
class LayerRow:
    name: str  # the issuing module's qualified name, with the op's name where the module runs several
    kind: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    params: int
    macs: int
    elementwise: int
    activations: int  # elements of this op's output (batch 1)
    traffic: int = 0  # bytes read + written at fp32
    module: str = ""  # qualified name of the module whose forward issued the op ("" = the model's own)

    @property
    def intensity(self) -> float:
        """Arithmetic intensity: MACs per byte of memory traffic."""
        return self.macs / self.traffic if self.traffic else 0.0


@dataclass
class Profile:
    input_shape: tuple[int, ...]
    convention: str
    rows: list[LayerRow] = field(default_factory=list)
    params: int = 0  # parameters the forward pass read, each tensor once, under ``convention``
    unexecuted_params: int = 0  # parameters (pytorch convention) no op read, e.g. disabled auxiliary heads
    peak_activation_bytes: int = 0  # the largest set of activations alive at once (fp32, input included)

    @property
    def macs(self) -> int:
        return sum(r.macs for r in self.rows)

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @property
    def elementwise(self) -> int:
        return sum(r.elementwise for r in self.rows)

    @property
    def traffic(self) -> int:
        return sum(r.traffic for r in self.rows)

    @property
    def largest_activation(self) -> int:
        """Elements of the largest single op output."""
        return max((r.activations for r in self.rows if r.kind != "reshape"), default=0)

    def by_kind(self) -> dict[str, dict[str, float]]:
        """Totals per op kind with shares of MACs, params and traffic (the paper's Table 2)."""
        out: dict[str, dict[str, float]] = {}
        for r in self.rows:
            d = out.setdefault(r.kind, {"layers": 0, "params": 0, "macs": 0, "elementwise": 0, "traffic": 0})
            d["layers"] += 1
            d["params"] += r.params
            d["macs"] += r.macs
            d["elementwise"] += r.elementwise
            d["traffic"] += r.traffic
        total_macs, total_params, total_traffic = self.macs or 1, self.params or 1, self.traffic or 1
        for d in out.values():
            d["macs_share"] = d["macs"] / total_macs
            d["params_share"] = d["params"] / total_params
            d["traffic_share"] = d["traffic"] / total_traffic
            d["intensity"] = d["macs"] / d["traffic"] if d["traffic"] else 0.0
        order = {k: i for i, k in enumerate(MAC_KINDS + ELEMENTWISE_KINDS + DATA_KINDS)}
        return dict(sorted(out.items(), key=lambda kv: order.get(kv[0], len(order))))

    def to_dict(self, per_layer: bool = True) -> dict:
        d = {
            "input_shape": list(self.input_shape),
            "param_convention": self.convention,
            "params": self.params,
            "unexecuted_params": self.unexecuted_params,
            "macs": self.macs,
            "flops": self.flops,
            "elementwise": self.elementwise,
            "traffic_bytes": self.traffic,
            "largest_activation": self.largest_activation,
            "peak_activation_bytes": self.peak_activation_bytes,
            "by_kind": self.by_kind(),
        }
        if per_layer:
            d["layers"] = [{**asdict(r), "intensity": r.intensity} for r in self.rows]
        return d


def _input_shape(model: nn.Module, input_size: int | Sequence[int]) -> tuple[int, ...]:
    in_chans = getattr(model, "in_chans", 3)
    size = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
    if len(size) == 2:
        size = (in_chans, *size)
    if len(size) != 3 or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in size):
        raise ValueError(f"input_size must be R, (H, W) or (C, H, W) of positive integers, got {input_size!r}")
    if max(size[1:]) > MAX_RESOLUTION:
        raise ValueError(f"input_size {input_size!r} is larger than {MAX_RESOLUTION} pixels a side, the most "
                         "lightnets profiles (the counting pass allocates every activation)")
    return (1, *size)


def _row_names(ops: list[OpRecord], shown: list[bool]) -> list[str]:
    """A leaf module that runs one op (a conv, a BN, ...) names its row; otherwise the op's name
    is appended to the module's (``stages.1.0.add``), numbered when repeated in one call."""
    per_call = Counter(op.call for op, s in zip(ops, shown) if s and not op.is_view)
    seen: Counter = Counter()
    names = []
    for op, s in zip(ops, shown):
        if not s:
            names.append("")
            continue
        if op.leaf and per_call[op.call] == 1 and not op.is_view and op.scope:
            names.append(op.scope)
            continue
        seen[(op.call, op.name)] += 1
        n = seen[(op.call, op.name)]
        base = f"{op.scope}.{op.name}" if op.scope else op.name
        names.append(base if n == 1 else f"{base}#{n}")
    return names


def _rows(trace: Trace, convention: str) -> tuple[list[LayerRow], int]:
    ops = trace.ops
    costs = [op_cost(op) for op in ops]
    kinds = [c.kind for c in costs]
    for i in gate_layers(ops, kinds):
        kinds[i] = "se"
    # A view of a parameter (weight.t() before a matrix product) is part of the product; an
    # op that produced and read nothing (an empty allocation) did no work.
    shown = [not (op.is_view and op.param_inputs) and any(t.numel for t in op.inputs + op.outputs) for op in ops]
    counted: set[str] = set()
    rows = []
    for op, cost, kind, name, s in zip(ops, costs, kinds, _row_names(ops, shown), shown):
        params = 0
        if not op.is_view:
            for arg_index, pname in op.param_inputs:
                if pname in counted:
                    continue
                counted.add(pname)
                t = trace.params[pname]
                if counts(convention, tensor_role(op.name, arg_index, t.dim()), trace.is_parameter[pname]):
                    params += t.numel()
        if not s:
            continue
        activations = [t for t, sid in zip(op.inputs, op.input_ids) if sid is not None] or op.inputs
        x = activations[0].shape if activations else ()
        y = op.outputs[0].shape if op.outputs else ()
        out_elements = op.outputs[0].numel if op.outputs else 0
        rows.append(LayerRow(name, kind, tuple(x[1:]), tuple(y[1:]), params, cost.macs, cost.elementwise,
                             out_elements, cost.traffic, op.scope))
    unexecuted = sum(t.numel() for n, t in trace.params.items() if trace.is_parameter[n] and n not in counted)
    return rows, unexecuted


def profile(model: nn.Module | str, input_size: int | Sequence[int] = 224, convention: str = "pytorch") -> Profile:
    """Count params, MACs, elementwise ops, memory traffic and activations of ``model`` per executed
    op. ``model`` is a module or a registered name (built with ``create_model(name)``'s defaults)."""
    if isinstance(model, str):
        model = create_model(model)
    elif not isinstance(model, nn.Module):
        raise ValueError(f"profile takes a model (a torch.nn.Module, e.g. lightnets.create_model('mobilenet_v2')) "
                         f"or a registered model name, got a {type(model).__name__}")
    check_convention(convention)
    shape = _input_shape(model, input_size)
    if hasattr(model, "check_input"):
        model.check_input(torch.empty(shape, device="meta"))
    modes = {m: m.training for m in model.modules()}
    try:
        param = next(model.parameters(), None)
        x = torch.zeros(shape, device=param.device if param is not None else "cpu",
                        dtype=param.dtype if param is not None else torch.float32)
        model.eval()
        with torch.no_grad():
            trace = record_forward(model, x)
    finally:
        for m, mode in modes.items():
            m.training = mode
    rows, unexecuted = _rows(trace, convention)
    result = Profile(input_shape=shape, convention=convention, rows=rows, unexecuted_params=unexecuted,
                     peak_activation_bytes=trace.peak_bytes)
    result.params = sum(r.params for r in rows)
    return result
