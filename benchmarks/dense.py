"""Segmentation mIoU and detection mAP of MobileNetV3 dense models trained from scratch on pasted scenes, and every
dense model's batch-1 latency beside its MACs.

    .venv/bin/python benchmarks/make_pasted_scenes.py --out /tmp/pasted-160 --train 2000 --val 500 --size 160
    .venv/bin/python benchmarks/dense.py --data /tmp/pasted-160

Training: `lightnets train` (the command is in the table) for LR-ASPP and SSDLite320 on MobileNetV3-Large, width 1,
from random weights (the code downloads nothing), each run's val score per epoch read back from its metrics.jsonl.
Latency: each registered segmentation model at 512x512 (PASCAL VOC's, 21 classes) and detection model at 320x320
(COCO's 91 classes), eager PyTorch and ONNX Runtime fp32 in interleaved rounds (`compare_backends`), with their MACs
by `lightnets.profile`; SSDLite is timed up to its raw outputs (decoding and NMS run outside the graph). Not a test:
the numbers belong to this machine and these runs. Writes the generated section of ``--out``, keeping its
hand-written commentary (see doc_sections.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from doc_sections import write_doc  # noqa: E402  benchmarks/doc_sections.py, beside this script
from mobilenet_latency import cpu_name  # noqa: E402

from lightnets import profile  # noqa: E402
from lightnets.bench.backends import compare_backends  # noqa: E402
from lightnets.cli import main as lightnets  # noqa: E402
from lightnets.cli.table import format_table  # noqa: E402
from lightnets.tasks.dense import DENSE_TASKS  # noqa: E402

TRAINED = ("lraspp_mobilenet_v3_large", "ssdlite320_mobilenet_v3_large")
LATENCY_SIZE = {"segmentation": 512, "detection": 320}  # the papers' inputs: VOC's 512, SSDLite's 320
BACKENDS = ("eager", "ort-fp32")
COMMENTARY = "## What the tables show"


def train_options(args) -> list[str]:
    """The options of every `lightnets train MODEL` run, but ``--out``."""
    return ["--data", str(args.data), "--resolution", str(args.size), "--recipe", "sgd-cosine", "--epochs",
            str(args.epochs), "--batch-size", str(args.batch_size), "--lr", str(args.lr), "--threads",
            str(args.threads), "--no-progress"]


def train_row(name: str, args, runs: Path) -> list:
    """Train ``name`` with `lightnets train` and return its table row: the val score per epoch, the best one and
    the minutes."""
    argv = ["train", name, *train_options(args), "--out", str(runs / name)]
    started = time.perf_counter()
    if lightnets(argv) != 0:
        raise SystemExit(f"lightnets {' '.join(argv)} failed")
    minutes = (time.perf_counter() - started) / 60
    records = [json.loads(line) for line in (runs / name / "metrics.jsonl").read_text().splitlines()]
    score = next(k for k in ("val_miou", "val_map") if k in records[0])
    scores = [r[score] for r in records]
    best = max(range(len(scores)), key=scores.__getitem__)
    return [name, score.removeprefix("val_"), f"{scores[best]:.2f} (epoch {best + 1})",
            " ".join(f"{s:.1f}" for s in scores), f"{minutes:.1f}"]


def latency_rows(rounds: int, runs: int) -> list[list]:
    """One row per registered dense model: its input, MACs and median latency per backend (1 thread)."""
    rows = []
    for dense in DENSE_TASKS.values():
        size = LATENCY_SIZE[dense.name]
        for name in sorted(dense.models):
            model = dense.create_model(name).eval()
            macs = profile(model, size).macs
            timings = compare_backends(model, size, BACKENDS, threads=1, runs=runs, rounds=rounds)
            rows.append([name, dense.name, f"{size}x{size}", model.num_classes, macs / 1e6,
                         *(timings[b].median_ms for b in BACKENDS)])
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a pasted-scenes folder (see the docstring)")
    parser.add_argument("--size", type=int, default=160, help="training input side (default 160)")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--threads", type=int, default=2, help="training threads (latency runs on 1)")
    parser.add_argument("--rounds", type=int, default=3, help="latency: interleaved rounds")
    parser.add_argument("--runs", type=int, default=20, help="latency: timed runs per backend per round")
    parser.add_argument("--out", default="docs/benchmarks/dense.md")
    args = parser.parse_args()
    if not (args.data / "scenes.json").is_file():
        raise SystemExit(f"{args.data} is not a pasted-scenes folder (no scenes.json); build it as the docstring says")

    import onnxruntime

    scenes = json.loads((args.data / "scenes.json").read_text())
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as runs:
        trained = [train_row(name, args, Path(runs)) for name in TRAINED]
    timed = latency_rows(args.rounds, args.runs)
    minutes = (time.perf_counter() - started) / 60
    today = time.strftime("%Y-%m-%d")
    header = (
        f"Made by `.venv/bin/python benchmarks/dense.py --data {args.data}` on {today} ({minutes:.0f} minutes): "
        f"{cpu_name()}, {torch.get_num_threads()} cores, no GPU; PyTorch {torch.__version__}, ONNX Runtime "
        f"{onnxruntime.__version__}. Data: pasted scenes, {json.dumps(scenes, sort_keys=True)} (scenes.json).\n\n"
        "Scores are on the val scenes (made from CIFAR-10's test images): mIoU over the background and 10 classes, "
        f"COCO mAP@[.5:.95] by pycocotools. Each run: `lightnets train MODEL {' '.join(train_options(args))} "
        "--out DIR`.\n"
    )
    tables = [
        format_table(["model", "score", "best val (%)", "val per epoch (%)", "minutes"], trained,
                     title=f"Trained from scratch, {args.epochs} epochs at {args.size}x{args.size}, "
                           f"{args.threads} threads"),
        format_table(["model", "task", "input", "classes", "MACs (M)", *(f"{b} (ms)" for b in BACKENDS)], timed,
                     title=f"Batch 1, 1 thread: median of the round with the median, {args.rounds} interleaved "
                           f"rounds of {args.runs} runs"),
    ]
    body = "\n\n".join(f"```\n{t}\n```" for t in tables)
    print(write_doc(Path(args.out), "# Segmentation and detection on pasted scenes", Path(__file__).name, today,
                    f"{header}\n{body}\n", COMMENTARY))


if __name__ == "__main__":
    main()
