"""Build the benchmark pasted-scenes set (detection and segmentation) from full CIFAR-10 and time it.

    .venv/bin/python benchmarks/make_pasted_scenes.py --out /tmp/pasted-320        # 5,000 train / 1,000 val at 320
    .venv/bin/python benchmarks/make_pasted_scenes.py --out /tmp/p --train 500 --val 100 --size 160

Reads ../shared/data/cifar10-jpeg.tar.gz (``cifar10/{train,test}/<class>/<image>.jpg``) and writes both the COCO and
the VOC layout into ``--out`` with :func:`lightnets.data.make_pasted_scenes` (train scenes from CIFAR's train images,
val scenes from its test images); prints the build time and the folder's size. The output is data, not a result:
keep it outside the repository.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from lightnets.data import make_pasted_scenes

SOURCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10-jpeg.tar.gz"


def folder_bytes(root: Path) -> int:
    """Bytes of the distinct files under ``root`` (hard links counted once)."""
    inodes = {(s.st_dev, s.st_ino): s.st_size for p in root.rglob("*") if p.is_file() for s in [p.stat()]}
    return sum(inodes.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to create (must not exist or be empty)")
    parser.add_argument("--source", type=Path, default=SOURCE, help=f"CIFAR-JPEG tar.gz (default {SOURCE})")
    parser.add_argument("--train", type=int, default=5000, help="train scenes")
    parser.add_argument("--val", type=int, default=1000, help="val scenes")
    parser.add_argument("--size", type=int, default=320, help="scene side in pixels")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    out = make_pasted_scenes(args.out, source=args.source, train_images=args.train, val_images=args.val,
                             size=args.size, seed=args.seed)
    seconds = time.perf_counter() - start
    print(f"{args.train} train + {args.val} val scenes of {args.size}x{args.size} from {args.source.name} in "
          f"{seconds:.1f} s on {os.cpu_count()} CPUs ({(args.train + args.val) / seconds:.0f} scenes/s); "
          f"{folder_bytes(out) / 2**20:.1f} MiB in {out}")


if __name__ == "__main__":
    main()
