"""Deployment: fold BatchNorm, export (ONNX, torch.export, ExecuTorch), int8 quantization, each
checked for parity against the PyTorch model it came from."""

from .executorch_export import PteModel, PteReport, export_pte
from .fold_bn import fold_bn
from .onnx_export import ExportError, ExportReport, export_onnx, ort_session, read_metadata, verify
from .quantize import SCHEMES, QuantizeReport, calibration_batches, quantize_onnx
from .torch_export import export_program

__all__ = [
    "SCHEMES", "ExportError", "ExportReport", "PteModel", "PteReport", "QuantizeReport", "calibration_batches",
    "export_onnx", "export_program", "export_pte", "fold_bn", "ort_session", "quantize_onnx", "read_metadata", "verify",
]
