"""Export to ONNX and prove the artefact: run it in ONNX Runtime and compare with PyTorch.

The batch dimension is dynamic (optionally height and width too), the opset is >= 17,
and the preprocessing a checkpoint carries is stored in the ONNX model's metadata
(``metadata_props``: ``lightnets_preprocessing``, ``lightnets_classes``,
``lightnets_model``) so that the file alone says how to feed it. The file is written to
a temporary name and renamed only after ONNX Runtime's outputs match PyTorch's.

A network can be so ill-conditioned in float32 (a deep one with random weights, whose activations grow block after
block) that PyTorch's own float32 logits stray from the exact ones by more than the tolerance. Where ONNX Runtime
and PyTorch differ by more, :func:`verify` therefore computes the logits in float64 and accepts the file when ONNX
Runtime is no further from them than PyTorch's float32 is (twice, plus the tolerance): a wrong graph is still far
from both, while rounding that both runtimes suffer is not held against the file.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from ..errors import ExportError
from ..io import atomic_path

OPSET = 18
TOLERANCE = 1e-4  # max abs difference of logits, relative to their scale (see verify)
VERIFY_BATCHES = (1, 3)  # batch sizes the artefact is checked at: the dynamic batch must work
STATIC_BATCH = 2  # the example batch; the batch of an export with dynamic_batch=False


@dataclass(frozen=True)
class ExportReport:
    path: Path
    max_abs_diff: float
    scale: float  # max abs logit of the PyTorch reference
    batch_sizes: tuple[int, ...]
    size_bytes: int


def _require_onnx():
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the install
        raise ImportError("ONNX export needs `pip install lightnets[deploy]` (onnx, onnxruntime, onnxscript)") from None


def ort_session(path: str | os.PathLike, threads: int | None = None):
    """An ONNX Runtime CPU session with every graph optimisation on."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads is not None:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def verify(path: str | os.PathLike, model: nn.Module, input_shape: tuple[int, ...],
           batch_sizes: tuple[int, ...] = VERIFY_BATCHES, seed: int = 0) -> tuple[float, float]:
    """Max abs difference between ONNX Runtime and PyTorch logits on random inputs of each
    batch size, and the logits' scale; raises :class:`ExportError` above tolerance."""
    session = ort_session(path)
    name = session.get_inputs()[0].name
    generator = torch.Generator().manual_seed(seed)
    worst, scale = 0.0, 0.0
    runs = []
    for batch in batch_sizes:
        x = torch.randn((batch, *input_shape), generator=generator)
        with torch.inference_mode():
            expected = _outputs(model(x))
        got = session.run(None, {name: x.numpy()})
        shapes = [(g.shape, e.shape) for g, e in zip(got, expected)]
        if len(got) != len(expected) or any(g != e for g, e in shapes):
            raise ExportError(f"ONNX Runtime gave {len(got)} output(s) of shapes {[g.shape for g in got]}, PyTorch "
                              f"{len(expected)} of {[e.shape for e in expected]} (batch {batch})")
        runs.append((x, expected, got))
        worst = max(worst, *(float(np.abs(g - e).max()) for g, e in zip(got, expected)))
        scale = max(scale, *(float(np.abs(e).max()) for e in expected))
    allowed = TOLERANCE * max(1.0, scale)
    if worst > allowed:
        ours, theirs = _float64_errors(model, runs)
        if theirs > 2 * ours + allowed:
            raise ExportError(f"ONNX Runtime differs from PyTorch by {worst:.3g} (logits up to {scale:.3g}); "
                              f"tolerance {TOLERANCE:g} x max(1, scale). Against float64 logits, ONNX Runtime is "
                              f"{theirs:.3g} off and PyTorch's float32 {ours:.3g}")
    return worst, scale


def _float64_errors(model: nn.Module, runs: list) -> tuple[float, float]:
    """How far PyTorch's float32 logits and ONNX Runtime's are from the same network's float64 logits."""
    exact_model = copy.deepcopy(model).double().eval()
    ours = theirs = 0.0
    for x, expected, got in runs:
        with torch.inference_mode():
            exact = _outputs(exact_model(x.double()))
        for e, g, f in zip(expected, got, exact):
            ours, theirs = max(ours, float(np.abs(e - f).max())), max(theirs, float(np.abs(g - f).max()))
    return ours, theirs


def _outputs(output) -> list[np.ndarray]:
    """A model's output as a list of arrays: one tensor (logits, masks' scores) or a tuple (SSDLite's class logits
    and box regressions), in the order the ONNX graph gives them."""
    return [t.numpy() for t in (output if isinstance(output, (tuple, list)) else (output,))]


def export_onnx(
    model: nn.Module,
    path: str | os.PathLike,
    input_size: int,
    *,
    dynamic_batch: bool = True,
    dynamic_hw: bool = False,
    metadata: dict[str, object] | None = None,
    opset: int = OPSET,
    stage: Callable[[str], None] | None = None,
) -> ExportReport:
    """Export ``model`` (eval mode) to ``path`` and verify it in ONNX Runtime before
    renaming it into place. The batch is dynamic unless ``dynamic_batch=False``, which fixes
    it at 2 (for runtimes that take static shapes only; torch.onnx also exports a static
    graph in about a third of the time). ``metadata`` values are stored as JSON strings;
    ``stage`` is told what each long step is about to do."""
    _require_onnx()
    import onnx

    if opset < 17:
        raise ValueError(f"opset must be >= 17, got {opset}")
    path = Path(path)
    if path.suffix != ".onnx":
        raise ValueError(f"the ONNX file must end in .onnx, got {path.name!r}")
    model = model.eval()
    in_chans = getattr(model, "in_chans", 3)
    shape = (in_chans, input_size, input_size)
    example = torch.randn(STATIC_BATCH, *shape)
    if hasattr(model, "check_input"):
        model.check_input(example)
    dims = {0: torch.export.Dim("batch", min=1, max=4096)} if dynamic_batch else {}
    batches = VERIFY_BATCHES if dynamic_batch else (STATIC_BATCH,)
    if dynamic_hw:
        smallest = getattr(model, "min_input", 1)
        dims |= {2: torch.export.Dim("height", min=smallest, max=4096),
                 3: torch.export.Dim("width", min=smallest, max=4096)}
    say = stage or (lambda message: None)
    with atomic_path(path) as tmp:
        say("exporting to ONNX (torch.onnx)")
        outputs = getattr(model, "output_names", ("logits",))  # a model with several outputs names them
        program = torch.onnx.export(model, (example,), dynamo=True, opset_version=opset, input_names=["input"],
                                    output_names=list(outputs), dynamic_shapes=({**dims},), verbose=False)
        program.save(str(tmp))
        proto = onnx.load(str(tmp))
        for key, value in (metadata or {}).items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = f"lightnets_{key}", json.dumps(value)
        onnx.save(proto, str(tmp))
        say("checking in ONNX Runtime")
        worst, scale = verify(tmp, model, shape, batches)
        size = tmp.stat().st_size
    return ExportReport(path, worst, scale, batches, size)


def read_metadata(path: str | os.PathLike) -> dict[str, object]:
    """The ``lightnets_*`` metadata of an exported model, decoded."""
    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    return {p.key.removeprefix("lightnets_"): json.loads(p.value) for p in proto.metadata_props
            if p.key.startswith("lightnets_")}
