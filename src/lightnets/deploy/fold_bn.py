"""Fold BatchNorm into the convolution before it, for inference, on any traceable model.

In eval mode BatchNorm is a fixed per-channel affine map, so ``conv -> BN`` equals one
conv with rescaled weights and a bias (the seeds' "BN folded into the conv at
inference"): folding removes the BN layers' memory traffic and leaves MACs unchanged.

The pairs come from the model's dataflow, traced with ``torch.fx.symbolic_trace`` (the
approach of ``torch.fx.experimental.optimization.fuse``), not from the classes of its
blocks, so torchvision's networks (or any model torch.fx can trace) fold as ours do. A BN is folded only where
the arithmetic stays exact: its input is the output of one (non-transposed) convolution
module and nothing else reads that output, or its input is the channel concatenation of such convs' outputs
(MixConv's kernel groups), whose slices of the BN fold into each conv. A pre-activation BN after a concatenation
of other tensors (DenseNet) or a BN after a conv whose output is also used elsewhere stays as it is.
The arithmetic is torch's own ``fuse_conv_bn_eval``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import fx, nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd
from torch.nn.utils.fusion import fuse_conv_bn_eval


@dataclass(frozen=True)
class FoldReport:
    """What :func:`fold_bn` did, by the original model's module names.

    ``folded`` maps each folded BN to the conv it went into (convs, comma-separated, for a BN after a
    concatenation); ``stayed`` maps each BN left in place to the reason it could not be folded."""

    folded: dict[str, str]
    stayed: dict[str, str]


def fold_bn(model: nn.Module) -> tuple[nn.Module, FoldReport]:
    """``(folded, report)``: a copy of ``model`` in eval mode in which every foldable BN's
    conv carries the BN's affine map and the BN is an ``nn.Identity``, and the
    :class:`FoldReport` that names what was folded and what stayed.

    The copy keeps ``model``'s class, methods and module names (a LightNet stays a
    LightNet, with its input checks and ``default_cfg``); its eval-mode outputs equal
    ``model``'s. ``model`` itself is not modified. Raises ``ValueError`` when
    ``torch.fx.symbolic_trace`` cannot trace ``model`` (Python control flow on tensor
    values in ``forward``), since without the graph no pair can be proven safe."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"fold_bn takes a model (a torch.nn.Module), got a {type(model).__name__}")
    result = copy.deepcopy(model).eval()
    try:
        graph = fx.symbolic_trace(result).graph
    except Exception as exc:  # fx raises TraceError, TypeError, RuntimeError... from user code
        raise ValueError(
            f"fold_bn needs a model torch.fx can trace, and tracing {type(model).__name__} failed: {exc}"
        ) from exc
    calls: dict[str, list[fx.Node]] = {}
    reads: set[str] = set()
    for node in graph.nodes:
        if node.op == "call_module":
            calls.setdefault(node.target, []).append(node)
        elif node.op == "get_attr":
            reads.add(node.target.rpartition(".")[0])

    pairs: dict[str, list[str]] = {}
    stayed: dict[str, str] = {}
    for name, bn in result.named_modules():
        if isinstance(bn, _BatchNorm):
            conv_names, reason = _fold_partner(name, bn, result, calls, reads)
            if conv_names is None:
                stayed[name] = reason
            else:
                pairs[name] = conv_names
    for bn_name, conv_names in pairs.items():
        bn, start = result.get_submodule(bn_name), 0
        for conv_name in conv_names:
            conv = result.get_submodule(conv_name)
            _replace(result, conv_name, fuse_conv_bn_eval(conv, _channels(bn, start, conv.out_channels)))
            start += conv.out_channels
        _replace(result, bn_name, nn.Identity())
    return result, FoldReport(folded={bn: ", ".join(convs) for bn, convs in pairs.items()}, stayed=stayed)


def _fold_partner(name: str, bn: _BatchNorm, model: nn.Module, calls: dict[str, list[fx.Node]],
                  reads: set[str]) -> tuple[list[str] | None, str]:
    """The convs ``bn`` folds into (one, or the parts of a concatenation, in channel order), or ``None`` and why it
    cannot."""
    if bn.running_mean is None or bn.running_var is None:
        return None, "it has no running statistics (track_running_stats=False), so eval mode uses batch statistics"
    own = calls.get(name, [])
    if len(own) != 1:
        return None, "the traced forward never calls it" if not own else f"the traced forward calls it {len(own)} times"
    if name in reads:
        return None, "forward reads its parameters outside its call"
    node = own[0]
    if len(node.args) != 1 or node.kwargs or not isinstance(node.args[0], fx.Node):
        return None, "it is called on more than one tensor input"
    source = node.args[0]
    if _is_channel_cat(source):
        if len(source.users) != 1:
            return None, f"the concatenation before it is also used by {', '.join(map(_describe, source.users))}"
        names = []
        for part in source.args[0]:
            conv_name, reason = _conv_partner(part, source, model, calls, reads)
            if conv_name is None:
                return None, f"a part of the concatenation before it cannot take it: {reason}"
            names.append(conv_name)
        return names, ""
    conv_name, reason = _conv_partner(source, node, model, calls, reads)
    return (None if conv_name is None else [conv_name]), reason


def _conv_partner(source: fx.Node, user: fx.Node, model: nn.Module, calls: dict[str, list[fx.Node]],
                  reads: set[str]) -> tuple[str | None, str]:
    """The conv module whose output ``source`` is, read by ``user`` alone, or ``None`` and why it is not."""
    if not isinstance(source, fx.Node) or source.op != "call_module" or \
            not _is_conv(model.get_submodule(source.target)):
        return None, f"its input comes from {_describe(source)}, not from a convolution"
    conv_name = source.target
    if len(calls[conv_name]) != 1:
        return None, f"its conv {conv_name} is called {len(calls[conv_name])} times"
    if conv_name in reads:
        return None, f"forward reads the parameters of its conv {conv_name} outside its call"
    others = [other for other in source.users if other is not user]
    if others:
        return None, f"the output of its conv {conv_name} is also used by {', '.join(map(_describe, others))}"
    return conv_name, ""


def _is_channel_cat(node: fx.Node) -> bool:
    """``torch.cat(tensors, 1)``: the outputs side by side along the channels."""
    if node.op != "call_function" or node.target is not torch.cat:
        return False
    dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
    return dim == 1 and isinstance(node.args[0], (list, tuple))


def _channels(bn: _BatchNorm, start: int, count: int) -> nn.BatchNorm2d:
    """Channels ``start`` .. ``start + count`` of ``bn`` as a BatchNorm of their own (eval-mode arithmetic)."""
    part = nn.BatchNorm2d(count, eps=bn.eps, affine=bn.affine).to(bn.running_mean.dtype).eval()
    stop = start + count
    with torch.no_grad():
        part.running_mean.copy_(bn.running_mean[start:stop])
        part.running_var.copy_(bn.running_var[start:stop])
        if bn.affine:
            part.weight.copy_(bn.weight[start:stop])
            part.bias.copy_(bn.bias[start:stop])
    return part


def _is_conv(module: nn.Module) -> bool:
    return isinstance(module, _ConvNd) and not module.transposed


def _describe(node: fx.Node) -> str:
    if node.op == "call_module":
        return f"module {node.target}"
    if node.op == "placeholder":
        return f"the model input {node.target}"
    if node.op == "get_attr":
        return f"the attribute {node.target}"
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    return getattr(node.target, "__name__", str(node.target))


def _replace(model: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent), child, module)

