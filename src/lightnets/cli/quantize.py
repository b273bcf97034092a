"""`lightnets quantize MODEL.onnx --data PATH`: int8 post-training static quantization
calibrated on real training images, checked against fp32 on held-out images (top-1
agreement, see lightnets.deploy.int8_check) before it is renamed into place, then fp32 vs
int8 top-1 on the test split and their sizes on disk. Long steps print a stage line on stderr."""

from __future__ import annotations

from pathlib import Path

from .common import add_threads_arg
from .export import int8_check_json
from .table import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("quantize", help="int8 static quantization of an exported ONNX model (QDQ, per-channel)")
    p.add_argument("onnx", metavar="ONNX", help="fp32 .onnx model written by `lightnets export`")
    p.add_argument("--data", required=True, help="the training data (calibration: train split; report: val/test)")
    p.add_argument("--calibration-images", type=int, default=512, help="training images to calibrate on (default 512)")
    p.add_argument("--scheme", default="u8s8", help="activation x weight types: u8s8, u8s8-reduce-range, u8u8, s8s8")
    p.add_argument("--method", default=None,
                   help="activation calibration: minmax, percentile (default: minmax)")
    p.add_argument("--keep-fp32", default=None,
                   help="layer kinds left in fp32, comma-separated: stem, classifier, depthwise; or 'none' "
                        "(default: none)")
    p.add_argument("--out", default=None, help="output file (default: <name>.int8.onnx)")
    p.add_argument("--batch-size", type=int, default=64, help="images per forward pass (default 64)")
    add_threads_arg(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from torch.utils.data import DataLoader

    from ..data import Preprocessing, open_as_trained
    from ..deploy import calibration_batches, quantize_onnx
    from ..deploy.onnx_model import OnnxModel
    from ..io import check_output_file
    from ..training import evaluate

    if args.calibration_images < 1 or args.batch_size < 1:
        raise ValueError("--calibration-images and --batch-size must be >= 1")
    suffix = Path(args.onnx).suffix
    if suffix != ".onnx":
        raise ValueError(f"{args.onnx} is not an ONNX model (.onnx): its suffix is {suffix or 'missing'!r}; "
                         "quantize takes the .onnx file `lightnets export` writes")
    fp32 = OnnxModel(args.onnx, args.threads)
    meta = fp32.metadata
    if "preprocessing" not in meta or "classes" not in meta:
        raise ValueError(f"{args.onnx} has no lightnets metadata; export it with `lightnets export`")
    pre = Preprocessing.from_dict(meta["preprocessing"])
    data = open_as_trained(args.data, pre=pre, trained_on=meta.get("data"))
    if list(data.classes) != list(meta["classes"]):
        raise ValueError(f"the data's classes {data.classes} differ from the model's {meta['classes']}")
    calibration = calibration_batches(data, pre, args.calibration_images, args.batch_size)
    out = Path(args.out) if args.out else Path(args.onnx).with_suffix(".int8.onnx")
    check_output_file(out, "--out")
    from ..bench.latency import thread_count
    from ..deploy.int8_check import check_batches
    from .stages import stage_printer

    options = {"scheme": args.scheme}
    if args.method is not None:
        options["method"] = args.method
    if args.keep_fp32 is not None:
        options["keep_fp32"] = () if args.keep_fp32 == "none" else [k.strip() for k in args.keep_fp32.split(",")]
    with thread_count(args.threads):
        report = quantize_onnx(args.onnx, out, calibration, **options, stage=stage_printer("quantize"),
                               held_out=check_batches(data.val, batch_size=args.batch_size))
        scored = {}
        for label, model, size in (("fp32", fp32, report.fp32_bytes), ("int8", OnnxModel(out, args.threads),
                                                                         report.int8_bytes)):
            result = evaluate(model, DataLoader(data.val, batch_size=args.batch_size), len(data.classes))
            scored[label] = {"top1": result.top1, "top5": result.top5, "size_bytes": size,
                             "images_per_s": result.images_per_s}
    if args.json:
        print_json({"source": args.onnx, "out": out, "scheme": report.scheme, "method": report.method,
                    "kept_fp32": report.kept_fp32, "fp32_nodes": report.fp32_nodes,
                    "calibration_images": report.calibration_images, "data": data.source, "images": len(data.val),
                    "fp32": scored["fp32"], "int8": scored["int8"], "ratio": report.ratio,
                    "int8_check": report.check and int8_check_json(report.check)})
        return 0
    rows = [[label if label == "fp32" else f"int8 ({args.scheme})", r["top1"], r["top5"], r["size_bytes"] / 2**20,
             r["images_per_s"]] for label, r in scored.items()]
    print(format_table(["artefact", "top-1 (%)", "top-5 (%)", "size (MiB)", "images/s"], rows,
                       title=f"{out}: calibrated on {report.calibration_images} training images; "
                             f"evaluated on {data.source} ({len(data.val)} images)"))
    print(f"int8 is {report.ratio:.2f}x smaller; top-1 change {rows[1][1] - rows[0][1]:+.2f} points")
    print(f"{report.check.summary()}; calibration {report.method}, fp32 layers: "
          f"{', '.join(report.kept_fp32) or 'none'} ({report.fp32_nodes} nodes)")
    return 0
