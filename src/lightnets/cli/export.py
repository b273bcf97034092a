"""`lightnets export CHECKPOINT --format onnx|torch-export|pte`: a verified deployment artefact.

ONNX files get a dynamic batch (``--dynamic-hw`` for height and width too), opset 18, and
the checkpoint's model config, preprocessing and class names in their metadata; ExecuTorch
programs (``.pte``, XNNPACK) carry the same metadata and are int8 with ``--int8 --data PATH``
(calibrated on training images). Every artefact is run against the PyTorch model before it
is renamed into place: fp32 ones must reproduce its logits, int8 ones its top-1 decisions on
held-out images. Long steps print a stage line on stderr. A model with MixConvs (MixNet) is exported with
its kernel groups merged into single convs (``--mixconv``, :mod:`lightnets.deploy.merge_mixconv`: the same outputs,
and faster in ONNX Runtime, docs/benchmarks/mixconv_export.md).
"""

from __future__ import annotations

from pathlib import Path

from .predict import preprocessing_of
from .table import print_json

SUFFIX = {"onnx": ".onnx", "torch-export": ".pt2", "pte": ".pte"}


def register(sub) -> None:
    p = sub.add_parser("export", help="export a checkpoint to ONNX, torch.export or ExecuTorch, verified against PyTorch")
    p.add_argument("checkpoint", metavar="CHECKPOINT", help="lightnets checkpoint (.pth / .safetensors)")
    p.add_argument("--format", choices=tuple(SUFFIX), default="onnx")
    p.add_argument("--out", default=None, help="output file (default: beside the checkpoint, .onnx / .pt2 / .pte; "
                                               ".int8.pte with --int8)")
    p.add_argument("--dynamic-hw", action="store_true", help="ONNX: dynamic height and width as well as batch")
    p.add_argument("--int8", action="store_true", help="pte: int8 with ExecuTorch's XNNPACK quantizer (needs --data)")
    p.add_argument("--data", default=None, help="pte --int8: training data to calibrate on ('sample' = embedded)")
    p.add_argument("--calibration-images", type=int, default=512, help="pte --int8: training images (default 512)")
    p.add_argument("--mixconv", choices=("split", "pointwise", "all"), default="all",  # merge_mixconv's MERGES
                   help="MixConv layers: kept as a conv per kernel group (split), grouped 1x1s merged (pointwise), or "
                        "every one merged into one conv (all, the default: fastest in ONNX Runtime)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..checkpoint import load_checkpoint
    from ..deploy import export_onnx, export_program, export_pte
    from ..io import check_output_file
    from .stages import stage_printer

    if args.dynamic_hw and args.format != "onnx":
        raise ValueError(f"--dynamic-hw is for ONNX: a {args.format} artefact takes the height and width it was "
                         f"exported at (a TF SAME-padded model's pads are fixed for it), so export at the size you "
                         f"will run with --resolution, or use --format onnx")
    if args.int8 != (args.data is not None) or (args.int8 and args.format != "pte"):
        raise ValueError("--int8 and --data go together, with --format pte")
    if args.calibration_images < 1:
        raise ValueError(f"--calibration-images must be >= 1, got {args.calibration_images}")
    checkpoint = Path(args.checkpoint)
    model, extra = load_checkpoint(checkpoint)
    merged = 0
    if args.mixconv != "split":
        from ..deploy.merge_mixconv import merge_mixconv

        model, merged = merge_mixconv(model, args.mixconv)
    pre = preprocessing_of(model, extra)
    suffix = (".int8" if args.int8 else "") + SUFFIX[args.format]
    out = Path(args.out) if args.out else checkpoint.with_suffix(suffix)
    check_output_file(out, "--out")
    metadata = {"model": model.config, "preprocessing": pre.to_dict(),
                "classes": extra.get("classes") or [str(i) for i in range(model.num_classes)],
                "data": extra.get("data")}
    stage = stage_printer("export")
    if args.format == "onnx":
        report = export_onnx(model, out, pre.input_size, dynamic_hw=args.dynamic_hw, metadata=metadata, stage=stage)
        outcome = {"size_bytes": report.size_bytes, "max_abs_diff": report.max_abs_diff, "scale": report.scale}
        line = (f"wrote {out} ({report.size_bytes / 2**20:.2f} MiB, opset 18, dynamic batch"
                f"{', height, width' if args.dynamic_hw else ''}); ONNX Runtime vs PyTorch max abs difference "
                f"{report.max_abs_diff:.2e} (logits up to {report.scale:.3g})")
    elif args.format == "pte":
        calibration = held_out = None
        if args.int8:
            from ..data import open_as_trained
            from ..deploy import calibration_batches
            from ..deploy.int8_check import check_batches

            data = open_as_trained(args.data, pre=pre, trained_on=extra.get("data"))
            if list(data.classes) != list(metadata["classes"]):
                raise ValueError(f"the data's classes {data.classes} differ from the model's {metadata['classes']}")
            calibration = calibration_batches(data, pre, args.calibration_images)
            held_out = check_batches(data.val)
        report = export_pte(model, out, pre.input_size, calibration=calibration, held_out=held_out,
                            metadata=metadata, stage=stage)
        outcome = {"size_bytes": report.size_bytes, "max_abs_diff": report.max_abs_diff, "scale": report.scale,
                   "int8_check": report.check and int8_check_json(report.check),
                   "calibration_images": report.calibration_images if report.int8 else None,
                   "max_batch": report.max_batch}
        kind = f"int8, calibrated on {report.calibration_images} training images" if report.int8 else "fp32"
        check = (f"ExecuTorch {report.check.summary()}" if report.int8 else f"ExecuTorch vs PyTorch max abs "
                 f"difference {report.max_abs_diff:.2e} (logits up to {report.scale:.3g})")
        line = (f"wrote {out} ({report.size_bytes / 2**20:.2f} MiB, ExecuTorch + XNNPACK, {kind}, "
                f"dynamic batch up to {report.max_batch} a call); {check}")
    else:
        diff = export_program(model, out, pre.input_size)
        outcome = {"size_bytes": out.stat().st_size, "max_abs_diff": diff}
        line = f"wrote {out} (torch.export, dynamic batch); max abs difference {diff:.2e}"
    if args.json:
        print_json({"source": checkpoint, "out": out, "format": args.format, "int8": args.int8,
                    "dynamic_hw": args.dynamic_hw if args.format == "onnx" else None, "size_bytes": None,
                    "max_abs_diff": None, "scale": None, "int8_check": None, "calibration_images": None,
                    "max_batch": None, "mixconvs_merged": merged, **outcome})
    else:
        print(line + (f"; {merged} MixConvs merged into single convs (--mixconv {args.mixconv})" if merged else ""))
    return 0


def int8_check_json(check) -> dict:
    """An int8 program's top-1 agreement with fp32 (:class:`lightnets.deploy.int8_check.Int8Check`)."""
    from dataclasses import asdict

    return {**asdict(check), "top1_change": check.top1_change, "passed": check.passed}
