"""``torch.export``: the model as an ExportedProgram (``.pt2``), the graph that
ExecuTorch and other PyTorch-native runtimes consume; checked for parity before saving."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from ..io import atomic_path
from .onnx_export import TOLERANCE, ExportError


def export_program(model: nn.Module, path: str | os.PathLike, input_size: int) -> float:
    """Export ``model`` (eval mode) with a dynamic batch to ``path`` (``.pt2``); returns the
    max abs difference of the exported program's logits from the model's."""
    path = Path(path)
    if path.suffix != ".pt2":
        raise ValueError(f"a torch.export file must end in .pt2, got {path.name!r}")
    model = model.eval()
    x = torch.randn(2, getattr(model, "in_chans", 3), input_size, input_size)
    program = torch.export.export(model, (x,), dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=4096)},))
    with torch.inference_mode():
        expected, got = model(x), program.module()(x)
    diff = float((expected - got).abs().max())
    if diff > TOLERANCE * max(1.0, float(expected.abs().max())):
        raise ExportError(f"the exported program differs from the model by {diff:.3g}")
    with atomic_path(path) as tmp:
        torch.export.save(program, str(tmp))
    return diff
