"""ExecuTorch: the model as a ``.pte`` program for Android and iOS (XNNPACK delegate), in
fp32 or int8, run in ExecuTorch's own runtime and checked before the file is renamed into
place.

fp32 programs must reproduce PyTorch's logits to :data:`~.onnx_export.TOLERANCE`. int8 uses
ExecuTorch's XNNPACK quantizer through PT2E (``prepare_pt2e`` / ``convert_pt2e`` from
torchao): symmetric per-channel int8 weights, int8 activations calibrated on real images.
An int8 program is checked on what it is for: its top-1 decisions against the fp32 model's
on held-out images (:mod:`.int8_check`). The reference is the fp32 model, not PyTorch's
execution of the quantized graph: the graph is an intermediate with no authority of its own
(a wrong quantizer configuration or calibration would be in both and pass a graph-vs-runtime
comparison), while a broken lowering or runtime breaks agreement with fp32 just as surely,
and the accuracy a user gives up is measured against fp32 in any case.

A ``.pte`` file has no free-form metadata field, so the checkpoint's model config,
preprocessing and class names travel as a constant method ``lightnets_metadata`` (UTF-8 JSON
as a uint8 tensor), ExecuTorch's mechanism for values a runtime reads from the program.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch
from torch import nn

from ..io import atomic_path
from .artefact import ArtefactError
from .int8_check import Int8Check, check_int8
from .onnx_export import TOLERANCE, VERIFY_BATCHES, ExportError
from .quiet import quiet_stderr

METADATA_METHOD = "lightnets_metadata"
EXTENDED_HEADER_END = 40  # root offset, identifier, then the extended header's 32 bytes
# The batch bound asked of torch.export. ExecuTorch 1.5's XNNPACK lowering narrows it (to 15
# here); the program's own bound is read back at load time and larger batches run in chunks.
MAX_BATCH = 1024


@dataclass(frozen=True)
class PteReport:
    path: Path
    int8: bool
    max_abs_diff: float | None  # fp32: against PyTorch on random inputs
    scale: float | None  # fp32: max abs logit of PyTorch's
    check: Int8Check | None  # int8: top-1 against the fp32 model on held-out images
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
    above the program's bound (``max_batch``) run in chunks. A file that is not a whole
    ExecuTorch program raises :class:`~.artefact.ArtefactError`."""

    def __init__(self, path: str | os.PathLike):
        super().__init__()
        _require_executorch()
        if not os.path.isfile(path):
            raise FileNotFoundError(f"ExecuTorch program not found: {path}")
        check_pte_file(path)
        self.path = str(path)
        with quiet_stderr():
            from executorch.runtime import Runtime

            try:
                program = Runtime.get().load_program(Path(path))
                self.method = program.load_method("forward")
                self.metadata: dict[str, object] = {}
                if METADATA_METHOD in program.method_names:
                    raw = program.load_method(METADATA_METHOD).execute([])[0]
                    self.metadata = json.loads(bytes(raw.tolist()).decode())
            except (RuntimeError, ValueError) as e:
                raise ArtefactError(f"{path} is not a valid ExecuTorch program, perhaps corrupt "
                                    f"(ExecuTorch: {e})") from None
        self.max_batch = program.metadata("forward").input_tensor_meta(0).sizes()[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        chunks = x.detach().split(self.max_batch)
        outputs = [self.method.execute([chunk.contiguous()])[0] for chunk in chunks]
        return outputs[0] if len(outputs) == 1 else torch.cat(outputs)


def check_pte_file(path: str | os.PathLike) -> None:
    """Raise :class:`~.artefact.ArtefactError` unless ``path`` starts as an ExecuTorch program
    does (a flatbuffer with the ``ETnn`` identifier in bytes 4-8) and is as long as its
    extended header (``eh00``: program size, segment offset and size) declares. ExecuTorch
    1.5's runtime aborts the whole process, rather than raising, on a file without the
    identifier, so it never sees one."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(EXTENDED_HEADER_END)
    if len(head) < 8 or head[4:6] != b"ET" or not head[6:8].isdigit():
        raise ArtefactError(f"{path} is not an ExecuTorch program: its first bytes lack the ExecuTorch identifier")
    if head[8:12] == b"eh00" and len(head) == EXTENDED_HEADER_END:
        header_length = int.from_bytes(head[12:16], "little")
        program, segments, segment_bytes = (int.from_bytes(head[i:i + 8], "little") for i in (16, 24, 32))
        declared = max(program, segments + (segment_bytes if header_length > 24 else 0))
        if size < declared:
            raise ArtefactError(f"{path} is truncated: {size:,} bytes of the {declared:,} its header declares")


def set_threads(threads: int) -> None:
    """ExecuTorch's XNNPACK thread pool size. It is process-wide, and the Python bindings
    reach it only through an API they mark experimental."""
    from executorch.extension.pybindings.portable_lib import _unsafe_reset_threadpool

    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    with quiet_stderr():  # the runtime logs "Resetting threadpool to N threads" on fd 2
        _unsafe_reset_threadpool(threads)


def verify_pte(program: PteModel, reference: nn.Module, input_shape: tuple[int, ...],
               batch_sizes: tuple[int, ...] = (*VERIFY_BATCHES, 40), seed: int = 0) -> tuple[float, float]:
    """Max abs difference between an fp32 ExecuTorch program's logits and ``reference``'s on
    random inputs of each batch size (40 exceeds the per-call bound: chunked), and the
    logits' scale; raises :class:`ExportError` above :data:`TOLERANCE` x max(1, scale)."""
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
    if worst > TOLERANCE * max(1.0, scale):
        raise ExportError(f"ExecuTorch differs from PyTorch by {worst:.3g} (logits up to {scale:.3g}); "
                          f"tolerance {TOLERANCE:g} x max(1, scale)")
    return worst, scale


def export_pte(model: nn.Module, path: str | os.PathLike, input_size: int, *,
               calibration: Iterable[np.ndarray] | None = None,
               held_out: Iterable[tuple[torch.Tensor, torch.Tensor]] | None = None,
               metadata: dict[str, object] | None = None, stage: Callable[[str], None] | None = None) -> PteReport:
    """Lower ``model`` (eval mode) to an ExecuTorch program with the XNNPACK delegate and a
    dynamic batch, int8 when ``calibration`` batches are given, and write it to ``path``
    once the ExecuTorch runtime has passed its check: fp32 matches PyTorch's logits; int8
    makes the fp32 model's top-1 decisions on ``held_out`` (labelled batches the model was
    not trained on; without them the int8 program is written unchecked, for latency runs on
    random inputs). ``stage`` is told what each long step is about to do."""
    _require_executorch()
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    path = Path(path)
    if path.suffix != ".pte":
        raise ValueError(f"the ExecuTorch file must end in .pte, got {path.name!r}")
    if held_out is not None and calibration is None:
        raise ValueError("held-out images check an int8 program; give calibration batches too, or neither")
    say = stage or (lambda message: None)
    model = model.eval()
    shape = (getattr(model, "in_chans", 3), input_size, input_size)
    example = torch.randn(2, *shape)
    if hasattr(model, "check_input"):
        model.check_input(example)
    lowered_from, images = model, 0
    if calibration is not None:
        say("calibrating for int8 (XNNPACK quantizer, PT2E)")
        lowered_from, images = quantize_pt2e(model, example, calibration)
    say("exporting (torch.export)")
    program = torch.export.export(lowered_from, (example,), dynamic_shapes=(_batch_dim(),))
    say("lowering to XNNPACK")
    blob = torch.tensor(list(json.dumps(metadata or {}).encode()), dtype=torch.uint8)
    lowered = to_edge_transform_and_lower(program, partitioner=[XnnpackPartitioner()],
                                          constant_methods={METADATA_METHOD: blob}).to_executorch()
    with atomic_path(path) as tmp:
        tmp.write_bytes(lowered.buffer)
        written = PteModel(tmp)
        worst = scale = check = None
        if not images:
            say("checking against PyTorch")
            worst, scale = verify_pte(written, model, shape)
        elif held_out is not None:
            say("checking int8 against fp32 on held-out images")
            check = check_int8(model, written, held_out)
        size = tmp.stat().st_size
    return PteReport(path, bool(images), worst, scale, check, images, size, written.max_batch)
