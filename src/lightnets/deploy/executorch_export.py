"""ExecuTorch: the model as a ``.pte`` program for Android and iOS (XNNPACK delegate), in
fp32 or int8, run in ExecuTorch's own runtime and compared with PyTorch before the file is
renamed into place.

int8 uses ExecuTorch's XNNPACK quantizer through PT2E (``prepare_pt2e`` / ``convert_pt2e``
from torchao): symmetric per-channel int8 weights, int8 activations calibrated on real
images. Its parity reference is PyTorch's own execution of the quantized graph, so the
check isolates the runtime; what int8 costs in accuracy is measured with ``lightnets eval``.

A ``.pte`` file has no free-form metadata field, so the checkpoint's model config,
preprocessing and class names travel as a constant method ``lightnets_metadata`` (UTF-8 JSON
as a uint8 tensor), ExecuTorch's mechanism for values a runtime reads from the program.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import torch
from torch import nn

from ..io import atomic_path
from .onnx_export import TOLERANCE, VERIFY_BATCHES, ExportError

METADATA_METHOD = "lightnets_metadata"
# The batch bound asked of torch.export. ExecuTorch 1.5's XNNPACK lowering narrows it (to 15
# here); the program's own bound is read back at load time and larger batches run in chunks.
MAX_BATCH = 1024
# int8: XNNPACK's kernels and PyTorch's reference of the same quantized graph round and
# accumulate differently, and the differences compound through the layers: on the 12-epoch
# MobileNetV2 0.5 of `make run` they differ by 0.33 where logits reach 3.5 (the same size as
# int8's own error against fp32), while a wrong program differs by the whole logit range.
INT8_TOLERANCE = 0.25


@dataclass(frozen=True)
class PteReport:
    path: Path
    int8: bool
    max_abs_diff: float  # against PyTorch (the quantized graph's reference for int8)
    scale: float  # max abs logit of the reference
    calibration_images: int
    size_bytes: int
    max_batch: int  # the most images one call of the program takes


def _require_executorch():
    try:
        import executorch  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the install
        raise ImportError("ExecuTorch export needs `pip install lightnets[mobile]` (executorch)") from None


def _batch_dim() -> dict[int, object]:
    return {0: torch.export.Dim("batch", min=1, max=MAX_BATCH)}


def quantize_pt2e(model: nn.Module, example: torch.Tensor, calibration: Iterable[np.ndarray]) -> tuple[nn.Module, int]:
    """``model`` quantized for XNNPACK (int8 per-channel weights, int8 activations) after
    calibration on ``calibration`` batches (float32 NCHW, preprocessed); returns the
    quantized graph module and the number of calibration images."""
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    graph = torch.export.export(model, (example,), dynamic_shapes=(_batch_dim(),)).module()
    quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
    prepared = prepare_pt2e(graph, quantizer)
    images = 0
    with torch.no_grad():
        for batch in calibration:
            prepared(torch.as_tensor(np.ascontiguousarray(batch, dtype=np.float32)))
            images += len(batch)
    if images == 0:
        raise ValueError("the calibration set gave no images; int8 needs real training images")
    return convert_pt2e(prepared), images


class PteModel(nn.Module):
    """Runs a ``.pte`` file in the ExecuTorch runtime (XNNPACK on the CPU); ``metadata``
    holds what :func:`export_pte` stored (model config, preprocessing, classes). Batches
    above the program's bound (``max_batch``) run in chunks."""

    def __init__(self, path: str | os.PathLike):
        super().__init__()
        _require_executorch()
        from executorch.runtime import Runtime

        if not os.path.isfile(path):
            raise FileNotFoundError(f"ExecuTorch program not found: {path}")
        self.path = str(path)
        program = Runtime.get().load_program(Path(path))
        self.method = program.load_method("forward")
        self.max_batch = program.metadata("forward").input_tensor_meta(0).sizes()[0]
        self.metadata: dict[str, object] = {}
        if METADATA_METHOD in program.method_names:
            raw = program.load_method(METADATA_METHOD).execute([])[0]
            self.metadata = json.loads(bytes(raw.tolist()).decode())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        chunks = x.detach().split(self.max_batch)
        outputs = [self.method.execute([chunk.contiguous()])[0] for chunk in chunks]
        return outputs[0] if len(outputs) == 1 else torch.cat(outputs)


def set_threads(threads: int) -> None:
    """ExecuTorch's XNNPACK thread pool size. It is process-wide, and the Python bindings
    reach it only through an API they mark experimental."""
    from executorch.extension.pybindings.portable_lib import _unsafe_reset_threadpool

    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    _unsafe_reset_threadpool(threads)


def verify_pte(program: PteModel, reference: nn.Module, input_shape: tuple[int, ...], tolerance: float,
               batch_sizes: tuple[int, ...] = (*VERIFY_BATCHES, 40), seed: int = 0) -> tuple[float, float]:
    """Max abs difference between the ExecuTorch program's logits and ``reference``'s on
    random inputs of each batch size (40 exceeds the per-call bound: chunked), and the
    logits' scale; raises :class:`ExportError` above ``tolerance`` x max(1, scale)."""
    generator = torch.Generator().manual_seed(seed)
    worst, scale = 0.0, 0.0
    for batch in batch_sizes:
        x = torch.randn((batch, *input_shape), generator=generator)
        with torch.no_grad():
            expected = reference(x)
        got = program(x)
        if got.shape != expected.shape:
            raise ExportError(f"ExecuTorch gave shape {tuple(got.shape)}, PyTorch {tuple(expected.shape)} "
                              f"(batch {batch})")
        worst = max(worst, float((got - expected).abs().max()))
        scale = max(scale, float(expected.abs().max()))
    if worst > tolerance * max(1.0, scale):
        raise ExportError(f"ExecuTorch differs from PyTorch by {worst:.3g} (logits up to {scale:.3g}); "
                          f"tolerance {tolerance:g} x max(1, scale)")
    return worst, scale


def export_pte(model: nn.Module, path: str | os.PathLike, input_size: int, *,
               calibration: Iterable[np.ndarray] | None = None, metadata: dict[str, object] | None = None) -> PteReport:
    """Lower ``model`` (eval mode) to an ExecuTorch program with the XNNPACK delegate and a
    dynamic batch, int8 when ``calibration`` batches are given, and write it to ``path``
    after the ExecuTorch runtime's outputs match PyTorch's."""
    _require_executorch()
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    path = Path(path)
    if path.suffix != ".pte":
        raise ValueError(f"the ExecuTorch file must end in .pte, got {path.name!r}")
    model = model.eval()
    shape = (getattr(model, "in_chans", 3), input_size, input_size)
    example = torch.randn(2, *shape)
    if hasattr(model, "check_input"):
        model.check_input(example)
    reference, images = model, 0
    if calibration is not None:
        reference, images = quantize_pt2e(model, example, calibration)
    program = torch.export.export(reference, (example,), dynamic_shapes=(_batch_dim(),))
    blob = torch.tensor(list(json.dumps(metadata or {}).encode()), dtype=torch.uint8)
    lowered = to_edge_transform_and_lower(program, partitioner=[XnnpackPartitioner()],
                                          constant_methods={METADATA_METHOD: blob}).to_executorch()
    with atomic_path(path) as tmp:
        tmp.write_bytes(lowered.buffer)
        written = PteModel(tmp)
        worst, scale = verify_pte(written, reference, shape, INT8_TOLERANCE if images else TOLERANCE)
        size = tmp.stat().st_size
    return PteReport(path, bool(images), worst, scale, images, size, written.max_batch)
