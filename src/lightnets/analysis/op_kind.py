"""What kind of operation an executed aten op is, and what it costs, from the op and its geometry.

The vocabulary extends the MobileNetV1 paper's Table 2. MAC-carrying kinds:
``conv_1x1`` (pointwise), ``conv_dw`` (depthwise), ``conv_kxk`` (full k x k),
``conv_grouped``, ``conv_transpose``, ``fc`` (a matrix product with a weight, or a 1x1
conv on a 1x1 map, which is the same thing), ``matmul`` (a product of two activations,
attention included) and ``se`` (the layers of a squeeze-and-excite style gate; tagged from
the dataflow by :mod:`.gates`, not here). MACs are counted as
``torch.utils.flop_counter`` counts them (FLOPs / 2): conv ``out x (C_in / groups) x k_h x
k_w``, ``M x K x N`` for a matrix product.

Elementwise kinds, reported apart and never mixed into MACs: ``bn``, ``norm`` (group,
layer and instance norm), ``act``, ``pool`` (any reduction over the spatial dims included),
``add`` and ``mul`` (two tensors: residual shortcuts, gates), ``scalar`` (arithmetic with a
constant), ``reduce``. Data-movement kinds, no arithmetic: ``cat``, ``shuffle`` (a copy
into a new channel order, e.g. ShuffleNet's transpose + contiguous), ``copy``, ``reshape``
(views: no data moved) and ``other`` (anything else that ran).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from .trace import OpRecord, TensorMeta

MAC_KINDS = ("conv_1x1", "conv_dw", "conv_kxk", "conv_grouped", "conv_transpose", "fc", "matmul", "se")
ELEMENTWISE_KINDS = ("bn", "norm", "act", "pool", "add", "mul", "scalar", "reduce")
DATA_KINDS = ("cat", "shuffle", "copy", "reshape", "other")
KIND_LABELS = {
    "conv_1x1": "Conv 1x1",
    "conv_dw": "Conv DW",
    "conv_kxk": "Conv kxk (full)",
    "conv_grouped": "Conv grouped",
    "conv_transpose": "Conv transposed",
    "fc": "Fully connected",
    "matmul": "Matmul (activations)",
    "se": "Squeeze-excite",
    "bn": "BatchNorm",
    "norm": "Group/layer norm",
    "act": "Activation",
    "pool": "Pooling",
    "add": "Add (two tensors)",
    "mul": "Multiply (two tensors)",
    "scalar": "Scalar arithmetic",
    "reduce": "Reduction",
    "cat": "Concatenate",
    "shuffle": "Shuffle (reorder copy)",
    "copy": "Copy",
    "reshape": "View / reshape",
    "other": "Other",
    "outside": "Outside leaf layers",  # per-layer timing: time spent outside leaf modules
}

_CONV = {"convolution", "_convolution", "conv2d", "conv1d", "conv3d"}
_MM = {"mm": (0, 1), "addmm": (1, 2), "bmm": (0, 1), "baddbmm": (1, 2)}
_BN = {"native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_no_training", "batch_norm"}
_NORM = {"native_group_norm", "native_layer_norm", "group_norm", "layer_norm", "rms_norm", "_fused_rms_norm"}
_ACT = {
    "relu", "relu6", "hardtanh", "hardswish", "hardsigmoid", "sigmoid", "tanh", "gelu", "silu", "elu", "selu",
    "celu", "leaky_relu", "prelu", "_prelu_kernel", "softplus", "mish", "_softmax", "_log_softmax", "softmax",
    "log_softmax", "clamp", "clamp_min", "clamp_max", "threshold", "rrelu_with_noise", "glu", "logsigmoid",
}
_POOL = {
    "max_pool1d", "max_pool2d", "max_pool3d", "max_pool2d_with_indices", "max_pool3d_with_indices", "avg_pool1d",
    "avg_pool2d", "avg_pool3d", "_adaptive_avg_pool2d", "adaptive_avg_pool2d", "adaptive_avg_pool1d",
    "_adaptive_avg_pool3d", "adaptive_max_pool2d", "adaptive_max_pool1d", "adaptive_max_pool3d",
}
_REDUCE = {"mean", "sum", "amax", "amin", "max", "min", "prod", "var", "std", "var_mean", "logsumexp", "norm"}
_ADD = {"add", "sub", "rsub"}
_MUL = {"mul", "div"}
_CAT = {"cat", "stack", "concat", "concatenate"}
_SHUFFLE = {"channel_shuffle", "native_channel_shuffle", "pixel_shuffle", "pixel_unshuffle"}
_COPY = {"clone", "copy", "_to_copy", "contiguous"}


@dataclass(frozen=True)
class OpCost:
    kind: str
    macs: int
    elementwise: int  # elementwise operations (outputs written; inputs read for pooling/reductions)
    traffic: int  # bytes read + written, fp32, batch as run


def conv_kind(in_shape: tuple[int, ...], weight_shape: tuple[int, ...], groups: int, transposed: bool) -> str:
    """The kind of a convolution from its geometry (input N, C, *spatial; weight C_out, C_in / g, *k)."""
    if transposed:
        return "conv_transpose"
    c_in, c_out, kernel = in_shape[1], weight_shape[0], weight_shape[2:]
    if groups == 1:
        if all(k == 1 for k in kernel):
            return "fc" if all(s == 1 for s in in_shape[2:]) else "conv_1x1"
        return "conv_kxk"
    if groups == c_in and c_out % c_in == 0:
        return "conv_dw"
    return "conv_grouped"


def _conv_cost(op: OpRecord) -> tuple[str, int]:
    x, w = op.args[0], op.args[1]
    if op.name == "convolution" or op.name == "_convolution":
        transposed, groups = bool(op.args[6]), int(op.args[8])
    else:  # conv2d(input, weight, bias, stride, padding, dilation, groups)
        transposed, groups = False, int(op.args[6]) if len(op.args) > 6 else int(op.kwargs.get("groups", 1))
    out = op.outputs[0]
    # MACs per output (or, transposed, per input) element: the weight's fan-in per group.
    macs = (x.numel if transposed else out.numel) * prod(w.shape[1:])
    return conv_kind(x.shape, w.shape, groups, transposed), macs


def _spatial_reduction(op: OpRecord) -> bool:
    x = op.inputs[0]
    dims = op.args[1] if len(op.args) > 1 and isinstance(op.args[1], (list, tuple)) else op.kwargs.get("dim")
    if len(x.shape) < 3 or dims is None:
        return False
    dims = {d % len(x.shape) for d in dims}
    return len(x.shape) - 1 in dims and (len(x.shape) < 4 or len(x.shape) - 2 in dims) and 1 not in dims


def _tensor_operands(op: OpRecord) -> list[TensorMeta]:
    return [a for a in op.args[:2] if isinstance(a, TensorMeta) and a.numel > 1]


def op_cost(op: OpRecord) -> OpCost:
    """Kind, MACs, elementwise ops and memory traffic of one executed op."""
    name = op.name
    traffic = sum(t.nbytes for t in op.inputs) + sum(t.nbytes for t in op.outputs)
    out = op.outputs[0].numel if op.outputs else 0
    if op.is_view:
        return OpCost("reshape", 0, 0, 0)
    if name in _CONV:
        kind, macs = _conv_cost(op)
        return OpCost(kind, macs, 0, traffic)
    if name in _MM:
        a, b = (op.args[i] for i in _MM[name])
        batch = a.shape[0] if len(a.shape) == 3 else 1
        macs = batch * a.shape[-2] * a.shape[-1] * b.shape[-1]
        return OpCost("fc" if op.param_inputs else "matmul", macs, 0, traffic)
    if "scaled_dot_product" in name and "attention" in name:
        q, k, v = op.args[:3]
        macs = prod(q.shape[:-1]) * k.shape[-2] * (q.shape[-1] + v.shape[-1])
        return OpCost("matmul", macs, 0, traffic)
    if name in _BN:
        return OpCost("bn", 0, out, traffic)
    if name in _NORM:
        return OpCost("norm", 0, out, traffic)
    if name in _ACT:
        return OpCost("act", 0, out, traffic)
    if name in _POOL:
        return OpCost("pool", 0, op.inputs[0].numel, traffic)
    if name in _REDUCE and op.inputs:
        return OpCost("pool" if _spatial_reduction(op) else "reduce", 0, op.inputs[0].numel, traffic)
    if name in _ADD or name in _MUL:
        two = len(_tensor_operands(op)) == 2
        return OpCost(("add" if name in _ADD else "mul") if two else "scalar", 0, out, traffic)
    if name in _CAT:
        return OpCost("cat", 0, 0, traffic)
    if name in _SHUFFLE:
        return OpCost("shuffle", 0, 0, traffic)
    if name in _COPY:
        return OpCost("copy" if all(t.contiguous for t in op.inputs) else "shuffle", 0, 0, traffic)
    return OpCost("other", 0, 0, traffic)
