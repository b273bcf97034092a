"""`lightnets predict CHECKPOINT IMAGE_OR_FOLDER...` (or `--onnx FILE` / `--pte FILE` with the
images alone): top-k labels with probabilities, from a checkpoint or an exported model alone.

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

from .common import add_threads_arg
from .table import format_table, print_json

if TYPE_CHECKING:
    from ..data import Preprocessing

# What each way of naming the model takes, and how it is named on the command line.
FILE_KINDS = {"checkpoint": (".pth", ".pt", ".safetensors"), "onnx": (".onnx",), "pte": (".pte",)}
KIND_NAMES = {"checkpoint": "a lightnets checkpoint", "onnx": "an ONNX model", "pte": "an ExecuTorch program"}
KIND_OPTIONS = {"checkpoint": "CHECKPOINT", "onnx": "--onnx", "pte": "--pte"}


def register(sub) -> None:
    p = sub.add_parser(
        "predict", help="classify images with a trained checkpoint or exported model",
        usage="lightnets predict [-h] [--onnx FILE | --pte FILE] [options] [CHECKPOINT] IMAGE [IMAGE ...]")
    p.add_argument("inputs", nargs="+", metavar="[CHECKPOINT] IMAGE",
                   help="the lightnets checkpoint (.pth / .safetensors), unless --onnx or --pte names the model; "
                        "then image files, or folders (every image file under them, subfolders included, sorted)")
    add_model_file_args(p)
    p.add_argument("--top-k", type=int, default=5, help="labels to show per image (default 5)")
    p.add_argument("--batch-size", type=int, default=32, help="images per forward pass (default 32)")
    p.add_argument("--out", default="predictions", metavar="DIR",
                   help="segmentation and detection: where the drawn predictions go, <image>.<task>.png "
                        "(default predictions/)")
    add_threads_arg(p)
    p.set_defaults(func=run)


def add_model_file_args(parser) -> None:
    """``--onnx FILE`` and ``--pte FILE``: an exported model in place of the checkpoint."""
    parser.add_argument("--onnx", default=None, metavar="FILE",
                        help="an .onnx file written by `lightnets export` (run in ONNX Runtime), not a checkpoint")
    parser.add_argument("--pte", default=None, metavar="FILE",
                        help="a .pte file written by `lightnets export --format pte` (run in ExecuTorch), "
                             "not a checkpoint")


def model_file(args, checkpoint: str | None) -> tuple[str, str]:
    """The one model file the command was given, and its kind (checkpoint, onnx, pte),
    checked to be a file of that kind by its suffix."""
    given = [(kind, path) for kind, path in (("checkpoint", checkpoint), ("onnx", args.onnx), ("pte", args.pte))
             if path is not None]
    if len(given) != 1:
        named = " and ".join(f"{KIND_OPTIONS[k]} {p}" for k, p in given)
        raise ValueError(f"give one model: a CHECKPOINT, --onnx FILE or --pte FILE{f', not {named}' if given else ''}")
    (kind, path), = given
    check_kind(path, kind)
    return path, kind


def check_kind(path: str, kind: str) -> None:
    suffix = Path(path).suffix
    if suffix in FILE_KINDS[kind]:
        return
    named = path if kind == "checkpoint" else f"{KIND_OPTIONS[kind]} {path}"
    actual = next((k for k, suffixes in FILE_KINDS.items() if suffix in suffixes), None)
    hint = ("; exported models are given as --onnx FILE or --pte FILE" if actual is None and kind == "checkpoint" else
            "" if actual is None else
            f"; give {KIND_NAMES[actual]} as {path}, without {KIND_OPTIONS[kind]}" if actual == "checkpoint" else
            f"; give {KIND_NAMES[actual]} as {KIND_OPTIONS[actual]} {path}")
    raise ValueError(f"{named} is not {KIND_NAMES[kind]} ({', '.join(FILE_KINDS[kind])}): its suffix is "
                     f"{suffix or 'missing'!r}{hint}")


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


def load_classifier(path: str, kind: str, threads: int | None = None) -> Classifier:
    """A lightnets checkpoint or a `lightnets export` artefact (``kind``: checkpoint, onnx,
    pte), with its preprocessing and class names; an artefact runs on ``threads`` threads."""
    from ..checkpoint import load_checkpoint

    if kind != "checkpoint":
        from ..data import Preprocessing

        model = _artefact(path, kind, threads)
        meta = model.metadata
        if "preprocessing" not in meta or "classes" not in meta:
            raise ValueError(f"{path} has no lightnets metadata (preprocessing and classes); "
                             "export it with `lightnets export`")
        return Classifier(model, Preprocessing.from_dict(meta["preprocessing"]), list(meta["classes"]),
                          Path(path).name, meta)
    return classifier_of(*load_checkpoint(path))


def classifier_of(model, extra: dict) -> Classifier:
    """A loaded checkpoint's classifier, with its preprocessing and class names (indices when it names none)."""
    return Classifier(model, preprocessing_of(model, extra), class_names(model, extra), model.config["name"], extra)


def class_names(model, extra: dict) -> list[str]:
    """The checkpoint's class names, or the class indices as text where it names none (converted weights)."""
    return list(extra.get("classes") or [str(i) for i in range(model.num_classes)])


def _artefact(path: str, kind: str, threads: int | None):
    if kind == "onnx":
        from ..deploy.onnx_model import OnnxModel

        return OnnxModel(path, threads)
    from ..deploy.executorch_export import PteModel, set_threads

    program = PteModel(path)
    if threads is not None:
        set_threads(threads)
    return program


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
    from ..bench.latency import thread_count

    exported = args.onnx is not None or args.pte is not None
    checkpoint, images = (None, args.inputs) if exported else (args.inputs[0], args.inputs[1:])
    source, kind = model_file(args, checkpoint)
    if not images:
        raise ValueError(f"give the images to classify after {source}")
    paths = image_paths(images)
    with thread_count(args.threads):
        if kind == "checkpoint":
            from .dense import open_checkpoint, predict as predict_dense

            dense, model, extra = open_checkpoint(source)
            if dense is not None:
                return predict_dense(args, dense, model, extra, source, paths)
            clf = classifier_of(model, extra)
        else:
            clf = load_classifier(source, kind, args.threads)
        results = classify(clf, source, paths, min(args.top_k, len(clf.classes)), args.batch_size)
    classified = sum(r["top"] is not None for r in results)
    if args.json:
        print_json({"source": source, "kind": kind, "model": clf.name, "classes": clf.classes,
                    "top_k": args.top_k, "classified": classified, "results": results})
    else:
        for r in results:
            if r["top"] is not None:
                print(format_table(["label", "probability"],
                                   [[t["label"], f"{t['probability']:.4f}"] for t in r["top"]], title=r["image"]))
    if classified == 0:
        print(f"lightnets predict: error: none of the {len(paths)} image(s) could be read", file=sys.stderr)
        return 1
    return 0


def classify(clf: Classifier, source: str, paths: list[str], k: int, batch_size: int) -> list[dict]:
    """One ``{"image", "top", "error"}`` per path, in order: the top ``k`` labels, or why the
    image could not be read (also warned about on stderr)."""
    import torch

    from ..data import DataError, eval_transform
    from ..data.images import load_image

    transform = eval_transform(clf.pre)
    results: list[dict] = []
    for start in range(0, len(paths), batch_size):
        batch, rows = [], []
        for name in paths[start:start + batch_size]:
            try:
                batch.append(transform(load_image(name, clf.pre.in_chans)))
            except DataError as e:
                print(f"lightnets predict: warning: {e}", file=sys.stderr)
                results.append({"image": name, "top": None, "error": str(e)})
            else:
                rows.append(len(results))
                results.append({"image": name, "top": None, "error": None})
        if not batch:
            continue
        with torch.inference_mode():
            logits = clf.model(torch.stack(batch))
        if logits.shape[-1] != len(clf.classes):
            raise ValueError(f"{source} gives {logits.shape[-1]} outputs per image but names "
                             f"{len(clf.classes)} classes")
        top_p, top_i = logits.softmax(-1).topk(k)
        for row, p, idx in zip(rows, top_p.tolist(), top_i.tolist()):
            results[row]["top"] = [{"label": clf.classes[i], "index": i, "probability": q} for q, i in zip(p, idx)]
    return results
