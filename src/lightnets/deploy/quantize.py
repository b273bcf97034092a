"""Post-training static int8 quantization of an exported ONNX model with ONNX Runtime.

QDQ format, per-channel weights, activations calibrated (min/max) on real training
images fed through the model's own preprocessing. The weight and activation types are a
parameter because the right choice depends on the CPU: on x86 without VNNI, ONNX
Runtime's u8 x s8 kernels can saturate their 16-bit intermediate sums, which
``reduce_range`` (7-bit weights) or u8 x u8 avoid; with VNNI they cannot saturate. The
choice is measured, not assumed: see docs/benchmarks/latency.md.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from ..io import atomic_path

# name -> (activation type, weight type, reduce_range)
SCHEMES = {
    "u8s8": ("QUInt8", "QInt8", False),
    "u8s8-reduce-range": ("QUInt8", "QInt8", True),
    "u8u8": ("QUInt8", "QUInt8", False),
    "s8s8": ("QInt8", "QInt8", False),
}


@dataclass(frozen=True)
class QuantizeReport:
    path: Path
    scheme: str
    calibration_images: int
    fp32_bytes: int
    int8_bytes: int

    @property
    def ratio(self) -> float:
        return self.fp32_bytes / self.int8_bytes


def calibration_batches(data, pre, images: int, batch_size: int = 64, seed: int = 0) -> Iterator[np.ndarray]:
    """``images`` training images of ``data`` (a ``DataSplits``), a seeded random choice,
    prepared with the *eval* transform of ``pre`` (what inference sees: no augmentation),
    as float32 NCHW batches for :func:`quantize_onnx`."""
    import torch
    from torch.utils.data import DataLoader, Subset

    from ..data import eval_transform

    if images < 1:
        raise ValueError(f"calibration needs at least 1 training image, got {images}")
    data.train.transform = eval_transform(pre)
    picked = torch.randperm(len(data.train), generator=torch.Generator().manual_seed(seed))[:images].tolist()
    return (x.numpy() for x, _ in DataLoader(Subset(data.train, picked), batch_size=batch_size))


def _reader(batches: Iterable[np.ndarray], input_name: str):
    from onnxruntime.quantization import CalibrationDataReader

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.count = 0
            self._it: Iterator[np.ndarray] = iter(batches)

        def get_next(self):
            batch = next(self._it, None)
            if batch is None:
                return None
            self.count += len(batch)
            return {input_name: np.ascontiguousarray(batch, dtype=np.float32)}

    return Reader()


def quantize_onnx(fp32_path: str | os.PathLike, out_path: str | os.PathLike, calibration: Iterable[np.ndarray],
                  scheme: str = "u8s8") -> QuantizeReport:
    """Write an int8 QDQ copy of ``fp32_path`` calibrated on ``calibration`` batches
    (float32 NCHW, already preprocessed); the metadata of the fp32 model is kept."""
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import QuantFormat, QuantType, quant_pre_process, quantize_static

    if scheme not in SCHEMES:
        raise ValueError(f"unknown quantization scheme {scheme!r}; valid: {', '.join(SCHEMES)}")
    fp32_path, out_path = Path(fp32_path), Path(out_path)
    if not fp32_path.is_file():
        raise FileNotFoundError(f"ONNX model not found: {fp32_path}")
    if out_path.suffix != ".onnx":
        raise ValueError(f"the int8 file must end in .onnx, got {out_path.name!r}")
    activation, weight, reduce_range = SCHEMES[scheme]
    input_name = ort.InferenceSession(str(fp32_path), providers=["CPUExecutionProvider"]).get_inputs()[0].name
    reader = _reader(calibration, input_name)
    with tempfile.TemporaryDirectory() as work, atomic_path(out_path) as tmp:
        prepared = Path(work) / "prepared.onnx"
        quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
        quantize_static(str(prepared), str(tmp), reader, quant_format=QuantFormat.QDQ, per_channel=True,
                        reduce_range=reduce_range, activation_type=getattr(QuantType, activation),
                        weight_type=getattr(QuantType, weight))
        if reader.count == 0:
            raise ValueError("the calibration set gave no images; quantization needs real training images")
        proto = onnx.load(str(tmp))
        source = onnx.load(str(fp32_path), load_external_data=False)
        keys = {p.key for p in proto.metadata_props}
        for p in source.metadata_props:
            if p.key not in keys:
                proto.metadata_props.add(key=p.key, value=p.value)
        proto.metadata_props.add(key="lightnets_quantization", value=f'"{scheme}"')
        onnx.save(proto, str(tmp))
        int8_bytes = tmp.stat().st_size
    return QuantizeReport(out_path, scheme, reader.count, fp32_path.stat().st_size, int8_bytes)
