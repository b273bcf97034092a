"""An exported artefact behind the ``nn.Module`` call interface, chosen by its suffix, so the
same evaluation code measures checkpoints, ONNX files and ExecuTorch programs."""

from __future__ import annotations

import os
from pathlib import Path

from torch import nn


class ArtefactError(ValueError):
    """An exported file that cannot be loaded: truncated, corrupt, or not the format its
    suffix names."""


def load_artefact(path: str | os.PathLike) -> nn.Module:
    """``.onnx`` -> :class:`~.onnx_model.OnnxModel` (ONNX Runtime), ``.pte`` ->
    :class:`~.executorch_export.PteModel` (ExecuTorch); both expose ``metadata``."""
    suffix = Path(path).suffix
    if suffix == ".onnx":
        from .onnx_model import OnnxModel

        return OnnxModel(path)
    if suffix == ".pte":
        from .executorch_export import PteModel

        return PteModel(path)
    raise ValueError(f"an exported artefact ends in .onnx or .pte, got {Path(path).name!r}")
