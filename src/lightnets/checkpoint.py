"""lightnets model checkpoints: the model's config and weights in one file.

``.pth`` / ``.pt``: ``{"format": "lightnets", "version": 1, "model_config": ..., "state_dict": ...}``
plus any extra entries (training writes ``preprocessing``, ``classes`` and its resume
state), written with ``torch.save`` and read with ``weights_only=True``. ``.safetensors``: the
state dict, with the config as JSON in the metadata under ``lightnets_config``. Both are
written atomically; :func:`load_model` rebuilds the model with
:func:`~lightnets.models.create_model_from_config` and loads the weights strictly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .io import CheckpointError, atomic_path, load_file, save_checkpoint
from .models import LightNet, create_model_from_config

FORMAT, VERSION = "lightnets", 1
TORCH_SUFFIXES = (".pth", ".pt")
SUFFIXES = (*TORCH_SUFFIXES, ".safetensors")


def check_suffix(path: str | os.PathLike) -> Path:
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise ValueError(f"{path} must end in {', '.join(SUFFIXES)}, not {path.suffix or 'nothing'!r}")
    return path


def save_model(model: LightNet, path: str | os.PathLike, extra: dict | None = None) -> Path:
    """Write ``model`` as a lightnets checkpoint, atomically, in the format the suffix names.

    ``extra`` entries (plain Python values and tensors) are stored beside the model in
    ``.pth`` files; in ``.safetensors`` files they must be JSON-serialisable and go into
    the metadata under ``lightnets_extra``.
    """
    path = check_suffix(path)
    extra = dict(extra or {})
    reserved = {"format", "version", "model_config", "state_dict"} & extra.keys()
    if reserved:
        raise ValueError(f"extra entries may not use the reserved names {sorted(reserved)}")
    problem = _classes_problem(extra, model.num_classes)
    if problem:
        raise ValueError(f"extra['classes'] {problem}")
    if path.suffix in TORCH_SUFFIXES:
        save_checkpoint(
            {"format": FORMAT, "version": VERSION, "model_config": model.config,
             "state_dict": model.state_dict(), **extra},
            path,
        )
        return path
    try:
        from safetensors.torch import save_file
    except ImportError:  # pragma: no cover - depends on the install
        raise CheckpointError("writing .safetensors needs `pip install lightnets[safetensors]`") from None
    metadata = {"format": FORMAT, "version": str(VERSION), "lightnets_config": json.dumps(model.config),
                "lightnets_extra": json.dumps(extra)}
    with atomic_path(path) as tmp:
        save_file(model.state_dict(), str(tmp), metadata=metadata)
    return path


def _classes_problem(extra: dict, num_classes: int) -> str | None:
    """What is wrong with ``extra["classes"]``, which must name each classifier output in order."""
    if "classes" not in extra:
        return None
    classes = extra["classes"]
    if not isinstance(classes, (list, tuple)) or not all(isinstance(c, str) for c in classes):
        return f"must be a list of class names (strings), got {type(classes).__name__} {str(classes)[:80]}"
    if len(classes) != num_classes:
        return (f"has {len(classes)} class names but the classifier has {num_classes} outputs; "
                "it needs one name per output, in order")
    return None


def _read(path: Path) -> tuple[dict, dict, dict]:
    if path.suffix == ".safetensors":
        from safetensors import safe_open

        state_dict = load_file(path)  # validates the file, clear errors
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
        if metadata.get("format") != FORMAT or "lightnets_config" not in metadata:
            raise CheckpointError(f"{path} is a safetensors file without lightnets metadata; "
                                  "for torchvision / timm weights use `lightnets convert` or lightnets.interop")
        extra = json.loads(metadata.get("lightnets_extra", "{}"))
        return json.loads(metadata["lightnets_config"]), state_dict, extra
    obj = load_file(path)
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a lightnets checkpoint (no format='lightnets' entry); "
                              "for torchvision / timm weights use `lightnets convert` or lightnets.interop")
    if obj.get("version") != VERSION:
        raise CheckpointError(f"{path} is lightnets checkpoint version {obj.get('version')!r}; "
                              f"this lightnets reads version {VERSION}")
    extra = {k: v for k, v in obj.items() if k not in ("format", "version", "model_config", "state_dict")}
    return obj["model_config"], obj["state_dict"], extra


def _build(config: dict):
    """The classifier, or the dense task's model (segmentation, detection), a config describes."""
    from .tasks.dense import dense_task_of

    dense = dense_task_of(config.get("name")) if isinstance(config, dict) else None
    if dense is not None:
        return dense.create_model(config["name"], **{k: v for k, v in config.items() if k != "name"})
    return create_model_from_config(config)


def load_model(path: str | os.PathLike) -> LightNet:
    """Rebuild the model a lightnets checkpoint describes and load its weights (eval mode)."""
    return load_checkpoint(path)[0]


def load_checkpoint(path: str | os.PathLike) -> tuple[LightNet, dict]:
    """The model (eval mode) and the checkpoint's extra entries (preprocessing, classes, ...)."""
    path = check_suffix(path)
    config, state_dict, extra = _read(path)
    try:
        model = _build(config)
    except (ValueError, TypeError) as e:
        raise CheckpointError(f"{path} describes a model this lightnets cannot build: {e}") from None
    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    wrong = [f"{k} {tuple(state_dict[k].shape)} vs {tuple(v.shape)}" for k, v in expected.items()
             if k in state_dict and state_dict[k].shape != v.shape]
    if missing or unexpected or wrong:
        parts = [f"{label} ({len(items)}): {', '.join(items[:5])}" for label, items in
                 (("missing", missing), ("unexpected", unexpected), ("wrong shape (file vs model)", wrong)) if items]
        raise CheckpointError(f"{path} does not fit {config.get('name')}: " + "; ".join(parts))
    model.load_state_dict(state_dict)
    problem = _classes_problem(extra, model.num_classes)
    if problem:
        raise CheckpointError(f"{path}: its 'classes' entry {problem}")
    return model.eval(), extra
