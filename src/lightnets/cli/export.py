"""`lightnets export CHECKPOINT --format onnx|torch-export`: a verified deployment artefact.

ONNX files get a dynamic batch (``--dynamic-hw`` for height and width too), opset 18, and
the checkpoint's model config, preprocessing and class names in their metadata. Every
artefact is run against the PyTorch model before it is renamed into place.
"""

from __future__ import annotations

from pathlib import Path

from ..checkpoint import load_checkpoint
from .predict import preprocessing_of


def register(sub) -> None:
    p = sub.add_parser("export", help="export a checkpoint to ONNX or torch.export, verified against PyTorch")
    p.add_argument("checkpoint", help="lightnets checkpoint (.pth / .safetensors)")
    p.add_argument("--format", choices=("onnx", "torch-export"), default="onnx")
    p.add_argument("--out", default=None, help="output file (default: beside the checkpoint, .onnx / .pt2)")
    p.add_argument("--dynamic-hw", action="store_true", help="ONNX: dynamic height and width as well as batch")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..deploy import export_onnx, export_program

    checkpoint = Path(args.checkpoint)
    model, extra = load_checkpoint(checkpoint)
    pre = preprocessing_of(model, extra)
    suffix = ".onnx" if args.format == "onnx" else ".pt2"
    out = Path(args.out) if args.out else checkpoint.with_suffix(suffix)
    if args.format == "onnx":
        metadata = {"model": model.config, "preprocessing": pre.to_dict(),
                    "classes": extra.get("classes") or [str(i) for i in range(model.num_classes)]}
        report = export_onnx(model, out, pre.input_size, dynamic_hw=args.dynamic_hw, metadata=metadata)
        print(f"wrote {out} ({report.size_bytes / 2**20:.2f} MiB, opset 18, dynamic batch"
              f"{', height, width' if args.dynamic_hw else ''}); ONNX Runtime vs PyTorch max abs difference "
              f"{report.max_abs_diff:.2e} (logits up to {report.scale:.3g})")
    else:
        diff = export_program(model, out, pre.input_size)
        print(f"wrote {out} (torch.export, dynamic batch); max abs difference {diff:.2e}")
    return 0
