"""Record what a forward pass executes: every aten op, the module that issued it, and liveness.

A ``TorchDispatchMode`` sees each aten op after autograd and composite decomposition, so a
residual ``x + y`` written in a block's ``forward``, a ``torch.cat``, an ``F.relu`` or a
``torch.matmul`` is recorded exactly like a ``nn.Conv2d``: what is counted is what runs,
whoever issued it. Module scopes come from global forward pre/post hooks, the way
``torch.utils.flop_counter`` attributes FLOPs to modules.

Each activation tensor gets a serial number (so that dataflow can be followed afterwards)
and its storage is watched with a weakref: the bytes alive at once are summed as tensors
are created and freed, which gives the true peak activation memory of the pass (parameters
and buffers excluded, the input included).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten, tree_map

# Ops that only rewrite a tensor's metadata (shape, strides) and move no data, beyond the
# ones torch flags with ``is_view``.
_METADATA_ONLY = {"_unsafe_view", "alias", "detach", "lift_fresh"}


def tensor_bytes(t: torch.Tensor) -> int:
    """Bytes of ``t`` with every floating-point value at fp32 (4 bytes), other dtypes at their size."""
    return t.numel() * (4 if t.is_floating_point() else t.element_size())


def storage_key(t: torch.Tensor) -> int:
    """The identity of ``t``'s storage, shared by its views: the address of the storage
    object itself, not of its data, which is 0 for every tensor on the meta device (where
    ``create_model`` under ``torch.device("meta")`` puts a model built only to be counted)."""
    return t.untyped_storage()._cdata


@dataclass(frozen=True)
class TensorMeta:
    """What the counter needs of a tensor, kept instead of the tensor so that it can be freed."""

    shape: tuple[int, ...]
    nbytes: int  # at fp32 for floating point (see tensor_bytes)
    contiguous: bool
    floating: bool

    @classmethod
    def of(cls, t: torch.Tensor) -> TensorMeta:
        return cls(tuple(t.shape), tensor_bytes(t), t.is_contiguous(), t.is_floating_point())

    @property
    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n


@dataclass
class OpRecord:
    """One executed aten op; tensors appear as :class:`TensorMeta`."""

    index: int
    func: Any  # torch._ops.OpOverload
    scope: str  # qualified name of the innermost module running ("" = the model itself)
    call: int  # serial of that module call
    leaf: bool  # whether that module has no children
    args: tuple
    kwargs: dict
    inputs: list[TensorMeta]  # tensor arguments, flattened, in order
    outputs: list[TensorMeta]
    input_ids: list[int | None]  # activation serial of each input (None: parameter, buffer or constant)
    output_ids: list[int]
    param_inputs: list[tuple[int, str]] = field(default_factory=list)  # (argument index, param/buffer name); -1: kwarg

    @property
    def name(self) -> str:
        """The op's name; an in-place variant (``add_``) is named as the op it computes (``add``)."""
        name = self.func._overloadpacket.__name__
        return name[:-1] if name.endswith("_") and not name.endswith("__") else name

    @property
    def is_view(self) -> bool:
        return self.func.is_view or self.name in _METADATA_ONLY


@dataclass
class Trace:
    ops: list[OpRecord]
    peak_bytes: int  # the largest set of activation bytes alive at once
    params: dict[str, torch.Tensor]  # name -> parameter or buffer, as named by the model
    is_parameter: dict[str, bool]  # name -> True for nn.Parameter, False for a buffer


class _Recorder(TorchDispatchMode):
    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # The counting pass never runs under torch.compile; without this, torch wraps
        # __torch_dispatch__ in a dynamo guard whose first call imports torch._dynamo (~5 s).
        return False

    def __init__(self, model: nn.Module):
        super().__init__()
        self.names = {}
        for name, m in model.named_modules(remove_duplicate=False):
            self.names.setdefault(id(m), name)
        self.stack: list[tuple[str, int, bool]] = [("", 0, False)]
        self.calls = 0
        self.ops: list[OpRecord] = []
        self.owned: dict[int, str] = {}  # storage key -> parameter/buffer name
        self.params: dict[str, torch.Tensor] = {}
        self.is_parameter: dict[str, bool] = {}
        for name, p in model.named_parameters(remove_duplicate=False):
            self._own(name, p, True)
        for name, b in model.named_buffers(remove_duplicate=False):
            self._own(name, b, False)
        self.serial: dict[int, int] = {}  # id(tensor) -> activation serial, while the tensor lives
        self.next_serial = 0
        self.storage_refs: dict[int, int] = {}  # storage key -> live activation tensors on it
        self.storage_bytes: dict[int, int] = {}
        self.live = 0
        self.peak = 0

    def _own(self, name: str, t: torch.Tensor, is_param: bool) -> None:
        key = storage_key(t)
        if t.numel() and key not in self.owned:
            self.owned[key] = name
            self.params[name] = t
            self.is_parameter[name] = is_param

    # -- module scopes ------------------------------------------------------------------
    def enter(self, module: nn.Module, args) -> None:
        self.calls += 1
        name = self.names.get(id(module), type(module).__name__)
        self.stack.append((name, self.calls, next(module.children(), None) is None))

    def leave(self, module: nn.Module, args, output) -> None:
        if len(self.stack) > 1:
            self.stack.pop()

    # -- activations and liveness -------------------------------------------------------
    def watch(self, t: torch.Tensor) -> int:
        """Give an activation tensor a serial and count its storage as alive until freed."""
        if id(t) in self.serial:
            return self.serial[id(t)]
        sid = self.next_serial
        self.next_serial += 1
        self.serial[id(t)] = sid
        key = storage_key(t)
        if self.storage_refs.get(key, 0) == 0:
            nbytes = tensor_bytes(t) if t.is_contiguous() else t.untyped_storage().nbytes()
            self.storage_bytes[key] = nbytes
            self.live += nbytes
            self.peak = max(self.peak, self.live)
        self.storage_refs[key] = self.storage_refs.get(key, 0) + 1
        weakref.finalize(t, self._freed, id(t), key)
        return sid

    def _freed(self, tid: int, key: int) -> None:
        self.serial.pop(tid, None)
        self.storage_refs[key] -= 1
        if self.storage_refs[key] == 0:
            self.live -= self.storage_bytes.pop(key)

    def _owner(self, value: Any) -> str | None:
        if isinstance(value, torch.Tensor) and value.numel():
            return self.owned.get(storage_key(value))
        return None

    def _input_id(self, t: torch.Tensor) -> int | None:
        if storage_key(t) in self.owned:
            return None
        return self.serial.get(id(t))

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        inputs = [a for a in tree_flatten((args, kwargs))[0] if isinstance(a, torch.Tensor)]
        outputs = [o for o in tree_flatten(out)[0] if isinstance(o, torch.Tensor)]
        scope, call, leaf = self.stack[-1]
        record = OpRecord(
            index=len(self.ops), func=func, scope=scope, call=call, leaf=leaf, args=tree_map(_meta, args),
            kwargs=tree_map(_meta, kwargs), inputs=[TensorMeta.of(t) for t in inputs],
            outputs=[TensorMeta.of(o) for o in outputs], input_ids=[self._input_id(t) for t in inputs], output_ids=[],
        )
        for i, a in enumerate(args):
            owner = self._owner(a)
            if owner is not None:
                record.param_inputs.append((i, owner))
        record.param_inputs += [(-1, o) for a in kwargs.values() if (o := self._owner(a)) is not None]
        for o in outputs:
            if storage_key(o) in self.owned:  # a view of a parameter (e.g. weight.t())
                record.output_ids.append(-1)
            else:
                record.output_ids.append(self.watch(o))
        self.ops.append(record)
        return out


def _meta(value: Any) -> Any:
    return TensorMeta.of(value) if isinstance(value, torch.Tensor) else value


def record_forward(model: nn.Module, x: torch.Tensor) -> Trace:
    """Run ``model(x)`` once (the caller sets eval mode and no_grad) and record every op."""
    recorder = _Recorder(model)
    pre = nn.modules.module.register_module_forward_pre_hook(recorder.enter)
    post = nn.modules.module.register_module_forward_hook(recorder.leave)
    try:
        recorder.watch(x)
        with recorder:
            model(x)
    finally:
        pre.remove()
        post.remove()
    return Trace(recorder.ops, recorder.peak, recorder.params, recorder.is_parameter)
