"""Exact complexity of a model: per-layer params, multiply-adds and activation sizes.

MACs count the multiply-adds of conv and fully connected layers (classifier and SE
layers included): ``H_out * W_out * C_out * (C_in / groups) * k_h * k_w`` for a conv,
``in * out`` for a linear layer. BatchNorm, activations, pooling, residual adds and SE
multiplies are reported apart as elementwise ops. FLOPs, where printed, are 2 x MACs.

The profile runs one batch-1 forward pass in eval mode under ``torch.no_grad`` with
temporary hooks; the model's modes, hooks and state dict are left as they were.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Sequence

import torch
from torch import nn

from ..layers import InvertedResidual, SqueezeExcite
from ..models.base import MAX_RESOLUTION
from ..models.registry import create_model
from .op_kind import ELEMENTWISE_KINDS, MAC_KINDS, module_kind
from .param_conventions import check_convention, count_params


@dataclass(frozen=True)
class LayerRow:
    name: str
    kind: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    params: int
    macs: int
    elementwise: int
    activations: int  # elements of this layer's output (batch 1)


@dataclass
class Profile:
    input_shape: tuple[int, ...]
    convention: str
    rows: list[LayerRow] = field(default_factory=list)
    params: int = 0  # whole model under ``convention``

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
    def activation_peak(self) -> int:
        return max((r.activations for r in self.rows), default=0)

    def by_kind(self) -> dict[str, dict[str, float]]:
        """Totals per op kind with shares of MACs and params (the paper's Table 2)."""
        out: dict[str, dict[str, float]] = {}
        for r in self.rows:
            d = out.setdefault(r.kind, {"layers": 0, "params": 0, "macs": 0, "elementwise": 0})
            d["layers"] += 1
            d["params"] += r.params
            d["macs"] += r.macs
            d["elementwise"] += r.elementwise
        total_macs = self.macs or 1
        total_params = sum(d["params"] for d in out.values()) or 1
        for d in out.values():
            d["macs_share"] = d["macs"] / total_macs
            d["params_share"] = d["params"] / total_params
        order = {k: i for i, k in enumerate(MAC_KINDS + ELEMENTWISE_KINDS)}
        return dict(sorted(out.items(), key=lambda kv: order.get(kv[0], len(order))))

    def to_dict(self, per_layer: bool = True) -> dict:
        d = {
            "input_shape": list(self.input_shape),
            "param_convention": self.convention,
            "params": self.params,
            "macs": self.macs,
            "flops": self.flops,
            "elementwise": self.elementwise,
            "activation_peak": self.activation_peak,
            "by_kind": self.by_kind(),
        }
        if per_layer:
            d["layers"] = [asdict(r) for r in self.rows]
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


def profile(model: nn.Module | str, input_size: int | Sequence[int] = 224, convention: str = "pytorch") -> Profile:
    """Count params, MACs, elementwise ops and activations of ``model`` per layer. ``model``
    is a module or a registered name (built with ``create_model(name)``'s defaults)."""
    if isinstance(model, str):
        model = create_model(model)
    elif not isinstance(model, nn.Module):
        raise ValueError(f"profile takes a model (a torch.nn.Module, e.g. lightnets.create_model('mobilenet_v2')) "
                         f"or a registered model name, got a {type(model).__name__}")
    check_convention(convention)
    shape = _input_shape(model, input_size)
    if hasattr(model, "check_input"):
        model.check_input(torch.empty(shape, device="meta"))
    result = Profile(input_shape=shape, convention=convention)
    result.params = sum(count_params(m, convention) for m in model.modules())
    se_members = {id(m) for se in model.modules() if isinstance(se, SqueezeExcite) for m in se.modules()}

    def hook(name: str, module: nn.Module):
        def record(mod, args, output):
            x = args[0]
            in_shape, out_shape = tuple(x.shape[1:]), tuple(output.shape[1:])
            rows = result.rows
            if isinstance(mod, SqueezeExcite):
                rows.append(LayerRow(f"{name}.scale", "mul", in_shape, out_shape, 0, 0, output[0].numel(), output[0].numel()))
                return
            if isinstance(mod, InvertedResidual):
                if mod.has_shortcut:
                    rows.append(LayerRow(f"{name}.shortcut", "add", in_shape, out_shape, 0, 0, output[0].numel(), output[0].numel()))
                return
            kind = module_kind(mod, id(mod) in se_members)
            n_out = output[0].numel()
            if isinstance(mod, nn.Conv2d):
                macs = n_out * (mod.in_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1]
            elif isinstance(mod, nn.Linear):
                macs = (output.numel() // output.shape[0]) * mod.in_features
            else:
                macs = 0
            elementwise = 0 if kind in MAC_KINDS else (x[0].numel() if kind == "pool" else n_out)
            rows.append(LayerRow(name, kind, in_shape, out_shape, count_params(mod, convention), macs, elementwise, n_out))

        return record

    def squeeze(name: str):
        def record(mod, args):
            c = args[0].shape[1]
            result.rows.append(LayerRow(f"{name}.squeeze", "pool", tuple(args[0].shape[1:]), (c, 1, 1), 0, 0,
                                        args[0][0].numel(), c))

        return record

    handles = []
    modes = {m: m.training for m in model.modules()}
    try:
        for name, m in model.named_modules():
            if isinstance(m, SqueezeExcite):
                handles.append(m.register_forward_pre_hook(squeeze(name)))
            if isinstance(m, (SqueezeExcite, InvertedResidual)) or module_kind(m, False) is not None:
                handles.append(m.register_forward_hook(hook(name, m)))
        param = next(model.parameters(), None)
        x = torch.zeros(shape, device=param.device if param is not None else "cpu",
                        dtype=param.dtype if param is not None else torch.float32)
        model.eval()
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes.items():
            m.training = mode
    return result
