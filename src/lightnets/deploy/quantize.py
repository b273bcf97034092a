"""Post-training static int8 quantization of an exported ONNX model with ONNX Runtime.

QDQ format, per-channel weights, activations calibrated on real training images fed
through the model's own preprocessing, by one of ONNX Runtime's calibration methods
(:data:`METHODS`); chosen layer kinds (:data:`FP32_KINDS`: the first conv, the classifier,
the depthwise convs, found in the graph) can stay in fp32. The int8 file is checked against
the fp32 one on held-out images (:mod:`.int8_check`) before it is renamed into place. What
each choice costs in accuracy is measured in docs/benchmarks/int8_onnx.md.

The weight and activation types are a parameter because the right choice depends on the
CPU: on x86 without VNNI, ONNX Runtime's u8 x s8 kernels can saturate their 16-bit
intermediate sums, which ``reduce_range`` (7-bit weights) or u8 x u8 avoid; with VNNI they
cannot saturate. The choice is measured, not assumed: see docs/benchmarks/latency.md.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import torch

from ..io import atomic_path
from .int8_check import Int8Check, check_int8
from .quiet import quiet_prints

# name -> (activation type, weight type, reduce_range)
SCHEMES = {
    "u8s8": ("QUInt8", "QInt8", False),
    "u8s8-reduce-range": ("QUInt8", "QInt8", True),
    "u8u8": ("QUInt8", "QUInt8", False),
    "s8s8": ("QInt8", "QInt8", False),
}


# name -> onnxruntime.quantization.CalibrationMethod member. Not Entropy: quantize_static
# builds it with 128 histogram bins for 128 quantized bins, which leaves the KL search one
# candidate range, the full one, so it gives MinMax's scales exactly (measured, see
# docs/benchmarks/int8_onnx.md), and its options do not reach the bin counts.
METHODS = {"minmax": "MinMax", "percentile": "Percentile"}
DEFAULT_METHOD = "minmax"
DEFAULT_KEEP_FP32: tuple[str, ...] = ()


def _linear_layers(proto) -> list:
    return [n for n in proto.graph.node if n.op_type in ("Conv", "Gemm", "MatMul")]


def _stem(proto) -> list[str]:
    inputs = {i.name for i in proto.graph.input}
    return [n.name for n in _linear_layers(proto) if n.input[0] in inputs]


def _classifier(proto) -> list[str]:
    layers = _linear_layers(proto)
    return [layers[-1].name] if layers else []


def _depthwise(proto) -> list[str]:
    shapes = {w.name: list(w.dims) for w in proto.graph.initializer}
    found = []
    for node in proto.graph.node:
        group = next((a.i for a in node.attribute if a.name == "group"), 1)
        shape = shapes.get(node.input[1]) if node.op_type == "Conv" else None
        if shape and group > 1 and group == shape[0] and shape[1] == 1:
            found.append(node.name)
    return found


# Layers that can stay fp32 (`keep_fp32`), found in the graph itself: the first conv (it reads
# the image), the classifier (the last conv or matmul), depthwise convs (one filter per channel).
FP32_KINDS = {"stem": _stem, "classifier": _classifier, "depthwise": _depthwise}


def check_fp32_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    kinds = tuple(kinds)
    unknown = [k for k in kinds if k not in FP32_KINDS]
    if unknown:
        raise ValueError(f"unknown layer kind(s) to keep in fp32: {', '.join(map(repr, unknown))}; "
                         f"valid: {', '.join(FP32_KINDS)}")
    return kinds


def fp32_nodes(proto, kinds: Iterable[str]) -> list[str]:
    """Names of the nodes of ``proto`` (an ONNX model) that ``kinds`` (of :data:`FP32_KINDS`) select."""
    return [name for kind in check_fp32_kinds(kinds) for name in FP32_KINDS[kind](proto)]


@dataclass(frozen=True)
class QuantizeReport:
    path: Path
    scheme: str
    method: str
    kept_fp32: tuple[str, ...]  # the layer kinds left in fp32
    fp32_nodes: int  # how many nodes they are
    calibration_images: int
    fp32_bytes: int
    int8_bytes: int
    check: Int8Check | None  # int8 vs fp32 on held-out images

    @property
    def ratio(self) -> float:
        return self.fp32_bytes / self.int8_bytes


def calibration_batches(data, pre, images: int, batch_size: int = 64, seed: int = 0) -> Iterator[np.ndarray]:
    """``images`` training images of ``data`` (a ``DataSplits``), a seeded random choice,
    prepared with the *eval* transform of ``pre`` (what inference sees: no augmentation),
    as float32 NCHW batches for :func:`quantize_onnx`."""
    from torch.utils.data import DataLoader, Subset

    from ..data import eval_transform

    if images < 1:
        raise ValueError(f"calibration needs at least 1 training image, got {images}")
    data.train.transform = eval_transform(pre)
    picked = torch.randperm(len(data.train), generator=torch.Generator().manual_seed(seed))[:images].tolist()
    return (x.numpy() for x, _ in DataLoader(Subset(data.train, picked), batch_size=batch_size))


def _reader(batches: Iterable[np.ndarray], input_name: str):
    """One image a call: the histogram calibrators stack what each call returns into one
    array, which fails on a last batch smaller than the others."""
    from onnxruntime.quantization import CalibrationDataReader

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.count = 0
            self._it: Iterator[np.ndarray] = (image[None] for batch in batches for image in batch)

        def get_next(self):
            image = next(self._it, None)
            if image is None:
                return None
            self.count += 1
            return {input_name: np.ascontiguousarray(image, dtype=np.float32)}

    return Reader()


def quantize_onnx(fp32_path: str | os.PathLike, out_path: str | os.PathLike, calibration: Iterable[np.ndarray],
                  scheme: str = "u8s8", *, method: str = DEFAULT_METHOD, keep_fp32: Iterable[str] = DEFAULT_KEEP_FP32,
                  per_channel: bool = True, held_out: Iterable[tuple[torch.Tensor, torch.Tensor]] | None = None,
                  stage: Callable[[str], None] | None = None) -> QuantizeReport:
    """Write an int8 QDQ copy of ``fp32_path`` calibrated on ``calibration`` batches
    (float32 NCHW, already preprocessed) with ``method`` (:data:`METHODS`), leaving the
    ``keep_fp32`` layer kinds (:data:`FP32_KINDS`) in fp32; the metadata of the fp32 model is
    kept. With ``held_out`` (labelled batches the model was not trained on) the int8 file is
    renamed into place only after :func:`~.int8_check.check_int8` passes against the fp32 file;
    without, it is written unchecked (latency runs on random inputs). ``stage`` is told what
    each long step is about to do."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quant_pre_process, quantize_static

    from .onnx_model import OnnxModel

    if scheme not in SCHEMES:
        raise ValueError(f"unknown quantization scheme {scheme!r}; valid: {', '.join(SCHEMES)}")
    if method not in METHODS:
        raise ValueError(f"unknown calibration method {method!r}; valid: {', '.join(METHODS)}")
    fp32_path, out_path = Path(fp32_path), Path(out_path)
    if out_path.suffix != ".onnx":
        raise ValueError(f"the int8 file must end in .onnx, got {out_path.name!r}")
    fp32 = OnnxModel(fp32_path)  # raises on a missing or unreadable file before any work
    keep_fp32 = check_fp32_kinds(keep_fp32)
    activation, weight, reduce_range = SCHEMES[scheme]
    reader = _reader(calibration, fp32.input_name)
    say = stage or (lambda message: None)
    with tempfile.TemporaryDirectory() as work, atomic_path(out_path) as tmp:
        prepared = Path(work) / "prepared.onnx"
        quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
        excluded = fp32_nodes(onnx.load(str(prepared)), keep_fp32)
        say(f"calibrating ({method}) and quantizing to int8 ({scheme})")
        with quiet_prints():
            quantize_static(str(prepared), str(tmp), reader, quant_format=QuantFormat.QDQ, per_channel=per_channel,
                            reduce_range=reduce_range, activation_type=getattr(QuantType, activation),
                            weight_type=getattr(QuantType, weight), nodes_to_exclude=excluded,
                            calibrate_method=getattr(CalibrationMethod, METHODS[method]))
        if reader.count == 0:
            raise ValueError("the calibration set gave no images; quantization needs real training images")
        proto = onnx.load(str(tmp))
        keys = {p.key for p in proto.metadata_props}
        for p in onnx.load(str(fp32_path), load_external_data=False).metadata_props:
            if p.key not in keys:
                proto.metadata_props.add(key=p.key, value=p.value)
        proto.metadata_props.add(key="lightnets_quantization", value=json.dumps(
            {"scheme": scheme, "method": method, "keep_fp32": list(keep_fp32), "per_channel": per_channel}))
        onnx.save(proto, str(tmp))
        check = None
        if held_out is not None:
            say("checking int8 against fp32 on held-out images")
            check = check_int8(fp32, OnnxModel(tmp), held_out)
        int8_bytes = tmp.stat().st_size
    return QuantizeReport(out_path, scheme, method, keep_fp32, len(excluded), reader.count, fp32_path.stat().st_size,
                          int8_bytes, check)
