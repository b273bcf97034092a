"""int8 top-1 of ONNX Runtime static quantization (QDQ) against fp32, across calibration
size and method, per-channel weights, activation x weight types and layers kept in fp32.

    for seed in 0 1 2; do .venv/bin/lightnets train mobilenet_v2 --width 0.5 --data sample \\
        --recipe sgd-cosine --epochs 12 --batch-size 64 --seed $seed --out /tmp/int8-study/seed$seed \\
        --no-progress; done
    .venv/bin/python benchmarks/int8_onnx.py /tmp/int8-study/seed{0,1,2}/best.pth --data sample

(the model of `make run`, trained three times; seed 0 is `make run`'s own). Every
configuration quantizes the same fp32 ONNX export with `lightnets.deploy.quantize_onnx` and
is measured on the data's whole held-out split with `lightnets.deploy.check_int8` (top-1 of
both, and their top-1 agreement). Calibration images are a seeded random choice of training
images; each configuration runs once per seed, so the spread over seeds shows how much one
choice of images decides, and the checkpoints how much one training run does. Not a test:
the numbers belong to these runs. Writes the generated section of ``--out``, keeping its
hand-written analysis (see doc_sections.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from doc_sections import write_doc  # noqa: E402  benchmarks/doc_sections.py, beside this script
from mobilenet_latency import cpu_name  # noqa: E402

from lightnets.cli.table import format_table  # noqa: E402

ANALYSIS = "## Analysis"


@dataclass(frozen=True)
class Config:
    images: int = 512
    method: str = "minmax"
    per_channel: bool = True
    scheme: str = "u8s8"
    keep_fp32: tuple[str, ...] = ()


BASE = Config()
CONFIGS = (
    *(Config(images=n, method=m) for m in ("minmax", "percentile") for n in (64, 256, 512, 2000)),
    Config(per_channel=False),
    Config(method="percentile", per_channel=False),
    *(Config(scheme=s) for s in ("u8s8-reduce-range", "u8u8", "s8s8")),
    *(Config(keep_fp32=k) for k in (("stem",), ("classifier",), ("depthwise",), ("stem", "classifier"),
                                     ("stem", "classifier", "depthwise"))),
    *(Config(method="percentile", keep_fp32=k) for k in (("stem",), ("classifier",), ("stem", "classifier"))),
)


def measure(config: Config, fp32: Path, data, pre, seeds: list[int], work: Path):
    """fp32 top-1, then per seed int8 top-1 and top-1 agreement, and how many seeds failed
    the int8 check, the int8 MiB and the fp32 nodes of ``config``."""
    from lightnets.deploy import Int8CheckError, calibration_batches, check_batches, quantize_onnx

    top1, agreement, failed, report = [], [], 0, None
    for seed in seeds:
        try:
            report = quantize_onnx(fp32, work / "int8.onnx", calibration_batches(data, pre, config.images, seed=seed),
                                   config.scheme, method=config.method, keep_fp32=config.keep_fp32,
                                   per_channel=config.per_channel, held_out=check_batches(data.val, len(data.val)))
            check = report.check
        except Int8CheckError as e:  # measured all the same: the table says how far it fell
            check, failed = e.check, failed + 1
        top1.append(check.int8_top1)
        agreement.append(check.agreement)
    size, nodes = (report.int8_bytes / 2**20, report.fp32_nodes) if report else (None, None)
    return check.fp32_top1, top1, agreement, failed, size, nodes


def section(checkpoint: str, data_root: str, seeds: list[int], work: Path) -> str:
    """The table of every configuration for one checkpoint."""
    from lightnets.checkpoint import load_checkpoint
    from lightnets.cli.predict import preprocessing_of
    from lightnets.data import open_data
    from lightnets.deploy import export_onnx

    model, extra = load_checkpoint(checkpoint)
    pre = preprocessing_of(model, extra)
    data = open_data(data_root, pre=pre)
    fp32 = work / "fp32.onnx"
    export_onnx(model, fp32, pre.input_size, metadata={"classes": data.classes})
    rows = []
    for config in CONFIGS:
        fp32_top1, top1, agreement, failed, mib, nodes = measure(config, fp32, data, pre, seeds, work)
        changes = [t - fp32_top1 for t in top1]
        rows.append([config.images, config.method, "yes" if config.per_channel else "no", config.scheme,
                     ",".join(config.keep_fp32) or "-", nodes, statistics.mean(top1), statistics.mean(changes),
                     min(changes), max(changes), min(agreement), failed, mib])
        print(checkpoint, rows[-1], flush=True)
    return format_table(
        ["calibration images", "method", "per-channel", "scheme", "fp32 layers", "fp32 nodes", "int8 top-1 (%)",
         "mean change", "worst change", "best change", "worst agreement (%)", "checks failed", "int8 MiB"], rows,
        title=f"{checkpoint}: fp32 top-1 {fp32_top1:.2f}% on {data.source} ({len(data.val)} held-out images); "
              f"calibration-image seeds {','.join(map(str, seeds))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", help="lightnets checkpoints to quantize (see the module docstring)")
    parser.add_argument("--data", default="sample", help="their training data ('sample' = embedded)")
    parser.add_argument("--seeds", default="0,1,2", help="calibration-image seeds, comma-separated")
    parser.add_argument("--out", default="docs/benchmarks/int8_onnx.md")
    args = parser.parse_args()

    import onnxruntime

    seeds = [int(s) for s in args.seeds.split(",")]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        tables = [section(checkpoint, args.data, seeds, Path(work)) for checkpoint in args.checkpoints]
    minutes = (time.perf_counter() - started) / 60
    today = time.strftime("%Y-%m-%d")
    header = (
        f"Made by `.venv/bin/python benchmarks/int8_onnx.py {' '.join(args.checkpoints)} --data {args.data} "
        f"--seeds {args.seeds}` on {today} ({minutes:.0f} minutes): {cpu_name()}, "
        f"{torch.get_num_threads()} cores, no GPU; ONNX Runtime {onnxruntime.__version__}, QDQ format. The "
        "checkpoints are the model of `make run`, trained by the commands in the script's docstring.\n\n"
        "Change = int8 top-1 minus fp32 top-1 on the same images, in points; agreement = share of the images on "
        "which int8's top-1 class is fp32's. Mean, worst and best are over the calibration seeds; checks failed = "
        "seeds whose int8 model failed `check_int8`. fp32 nodes = nodes that the fp32 layer kinds select "
        "(`lightnets quantize --keep-fp32`).\n"
    )
    body = "\n\n".join(f"```\n{table}\n```" for table in tables)
    print(write_doc(Path(args.out), "# int8 accuracy of ONNX Runtime static quantization", Path(__file__).name, today,
                    f"{header}\n{body}\n", ANALYSIS))


if __name__ == "__main__":
    main()
