"""Deployment: fold BatchNorm, export (ONNX, torch.export, ExecuTorch), int8 quantization, each
checked against the PyTorch model it came from: fp32 artefacts for numeric parity, int8 ones
for the model's top-1 decisions on held-out images."""

from .executorch_export import PteModel, PteReport, export_pte
from .artefact import ArtefactError
from .fold_bn import FoldReport, fold_bn
from .int8_check import Int8Check, Int8CheckError, check_batches, check_int8
from .onnx_export import ExportError, ExportReport, export_onnx, ort_session, read_metadata, verify
from .quantize import FP32_KINDS, METHODS, SCHEMES, QuantizeReport, calibration_batches, quantize_onnx
from .torch_export import export_program

__all__ = [
    "FP32_KINDS", "METHODS", "SCHEMES", "ArtefactError", "ExportError", "ExportReport", "FoldReport", "Int8Check",
    "Int8CheckError", "PteModel", "PteReport", "QuantizeReport", "calibration_batches", "check_batches", "check_int8",
    "export_onnx", "export_program", "export_pte", "fold_bn", "ort_session", "quantize_onnx", "read_metadata", "verify",
]
