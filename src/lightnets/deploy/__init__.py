"""Deployment: fold BatchNorm, export (ONNX, torch.export), int8 quantization, each checked
for parity against the PyTorch model it came from."""

from .fold_bn import fold_bn
from .onnx_export import ExportError, ExportReport, export_onnx, ort_session, read_metadata, verify
from .quantize import SCHEMES, QuantizeReport, calibration_batches, quantize_onnx
from .torch_export import export_program

__all__ = [
    "SCHEMES", "ExportError", "ExportReport", "QuantizeReport", "calibration_batches", "export_onnx", "export_program", "fold_bn",
    "ort_session", "quantize_onnx", "read_metadata", "verify",
]
