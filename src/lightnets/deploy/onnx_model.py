"""An ONNX Runtime session behind the ``nn.Module`` call interface, so the same
evaluation code measures PyTorch models and exported artefacts."""

from __future__ import annotations

import os

import torch
from torch import nn

from .artefact import ArtefactError
from .onnx_export import ort_session, read_metadata


class OnnxModel(nn.Module):
    """Runs an exported ``.onnx`` file with ONNX Runtime on the CPU; ``metadata`` holds the
    ``lightnets_*`` entries stored at export (model config, preprocessing, classes)."""

    def __init__(self, path: str | os.PathLike, threads: int | None = None):
        super().__init__()
        if not os.path.isfile(path):
            raise FileNotFoundError(f"ONNX model not found: {path}")
        self.path = str(path)
        from onnxruntime.capi import onnxruntime_pybind11_state as ort_errors

        try:
            self.session = ort_session(path, threads)
        except (ort_errors.InvalidProtobuf, ort_errors.InvalidArgument, ort_errors.InvalidGraph, ort_errors.Fail,
                ort_errors.NoModel) as e:
            reason = str(e).splitlines()[0].rpartition("failed:")[2].strip() or type(e).__name__
            raise ArtefactError(f"{path} is not a valid ONNX model, perhaps truncated or corrupt "
                                f"(ONNX Runtime: {reason})") from None
        self.input_name = self.session.get_inputs()[0].name
        self.metadata = read_metadata(path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self.session.run(None, {self.input_name: x.detach().numpy()})[0])
