"""`lightnets predict MODEL IMAGE_OR_FOLDER...`: top-k labels with probabilities, from a
checkpoint or an exported ``.onnx`` / ``.pte`` file alone.

The checkpoint (or the artefact's metadata, written by `lightnets export`) carries the
preprocessing training used and the class names; a checkpoint without them (e.g. converted
ImageNet weights) falls back to the model's default_cfg and prints class indices. A folder
stands for every image file under it, sorted. An image that cannot be read is reported and
the others are still classified; the exit code is 1 only when none could be.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .table import format_table, print_json

if TYPE_CHECKING:
    from ..data import Preprocessing

ARTEFACT_SUFFIXES = (".onnx", ".pte")


def register(sub) -> None:
    p = sub.add_parser("predict", help="classify images with a trained checkpoint or exported model")
    p.add_argument("checkpoint", help="lightnets checkpoint (.pth / .safetensors) or exported .onnx / .pte file")
    p.add_argument("images", nargs="+",
                   help="image files, or folders (every image file under them, subfolders included, sorted)")
    p.add_argument("--top-k", type=int, default=5, help="labels to show per image (default 5)")
    p.add_argument("--batch-size", type=int, default=32, help="images per forward pass (default 32)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def preprocessing_of(model, extra: dict):
    """The checkpoint's preprocessing, or the model's default ImageNet-style one."""
    from ..data import Preprocessing

    if "preprocessing" in extra:
        return Preprocessing.from_dict(extra["preprocessing"])
    return Preprocessing.from_model(model.default_cfg, model.in_chans)


@dataclass
class Classifier:
    """What a checkpoint or exported artefact holds for classifying images: the callable
    model, its preprocessing, one class name per output, a display name, and the file's
    extra entries (checkpoint extras or artefact metadata)."""

    model: Callable
    pre: Preprocessing
    classes: list[str]
    name: str
    extra: dict


def load_classifier(path: str) -> Classifier:
    """A lightnets checkpoint (``.pth`` / ``.pt`` / ``.safetensors``) or a `lightnets export`
    artefact (``.onnx`` / ``.pte``), with its preprocessing and class names."""
    from ..checkpoint import SUFFIXES, load_checkpoint

    suffix = Path(path).suffix
    if suffix in ARTEFACT_SUFFIXES:
        from ..data import Preprocessing
        from ..deploy.artefact import load_artefact

        model = load_artefact(path)
        meta = model.metadata
        if "preprocessing" not in meta or "classes" not in meta:
            raise ValueError(f"{path} has no lightnets metadata (preprocessing and classes); "
                             "export it with `lightnets export`")
        return Classifier(model, Preprocessing.from_dict(meta["preprocessing"]), list(meta["classes"]),
                          Path(path).name, meta)
    if suffix not in SUFFIXES:
        raise ValueError(f"{path} is neither a lightnets checkpoint ({', '.join(SUFFIXES)}) nor an exported "
                         f"model ({', '.join(ARTEFACT_SUFFIXES)}); its suffix is {suffix or 'missing'!r}")
    model, extra = load_checkpoint(path)
    classes = extra.get("classes") or [str(i) for i in range(model.num_classes)]
    return Classifier(model, preprocessing_of(model, extra), list(classes), model.config["name"], extra)


def image_paths(names: list[str]) -> list[str]:
    """The files named, with each folder replaced by the image files under it, sorted. A
    missing path, or a folder without images, is an error before any work."""
    from ..data import IMAGE_EXTENSIONS
    from ..data.image_folder import images_under

    paths = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            found = images_under(path)
            if not found:
                raise ValueError(f"folder {name} has no image files "
                                 f"(looked for {', '.join(IMAGE_EXTENSIONS)}, any case, subfolders included)")
            paths += found
        elif path.is_file():
            paths.append(name)
        else:
            raise FileNotFoundError(f"image not found: {name}")
    return paths


def run(args) -> int:
    if args.top_k < 1:
        raise ValueError(f"--top-k must be >= 1, got {args.top_k}")
    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    import torch

    from ..data import DataError, eval_transform
    from ..data.images import load_image

    paths = image_paths(args.images)
    clf = load_classifier(args.checkpoint)
    transform = eval_transform(clf.pre)
    k = min(args.top_k, len(clf.classes))
    results: list[dict] = []
    classified = 0
    for start in range(0, len(paths), args.batch_size):
        batch, rows = [], []
        for name in paths[start:start + args.batch_size]:
            try:
                batch.append(transform(load_image(name, clf.pre.in_chans)))
            except DataError as e:
                print(f"lightnets predict: warning: {e}", file=sys.stderr)
                results.append({"image": name, "error": str(e)})
            else:
                rows.append(len(results))
                results.append({"image": name})
        if not batch:
            continue
        with torch.inference_mode():
            logits = clf.model(torch.stack(batch))
        if logits.shape[-1] != len(clf.classes):
            raise ValueError(f"{args.checkpoint} gives {logits.shape[-1]} outputs per image but names "
                             f"{len(clf.classes)} classes")
        top_p, top_i = logits.softmax(-1).topk(k)
        for row, p, idx in zip(rows, top_p.tolist(), top_i.tolist()):
            results[row]["top"] = [{"label": clf.classes[i], "index": i, "probability": q} for q, i in zip(p, idx)]
        classified += len(batch)
    if args.json:
        print_json(results)
    else:
        for r in results:
            if "top" in r:
                print(format_table(["label", "probability"],
                                   [[t["label"], f"{t['probability']:.4f}"] for t in r["top"]], title=r["image"]))
    if classified == 0:
        print(f"lightnets predict: error: none of the {len(paths)} image(s) could be read", file=sys.stderr)
        return 1
    return 0
