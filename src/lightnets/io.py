"""Safe file handling: atomic writes and checkpoint loads that never unpickle code.

Every file a user cares about is written to a temporary name in the same folder and
renamed into place, so a crash never leaves a half-written file. Checkpoints load with
``torch.load(..., weights_only=True)`` or from safetensors.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

import torch


class CheckpointError(ValueError):
    """A file that is missing, unreadable or not a checkpoint of the expected kind."""


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp's 0600 -> the mode open() would give
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def check_output_file(path: str | os.PathLike, what: str = "output file") -> Path:
    """Raise ``ValueError`` now, before any work, if ``path`` cannot be written: it is a
    folder, or its folder cannot be created or written to. Leaves nothing behind."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{what} {path} is a folder; give a file name")
    _check_writable_folder(path.parent, f"{what} {path}")
    return path


def check_output_dir(path: str | os.PathLike, what: str = "output folder") -> Path:
    """Raise ``ValueError`` now, before any work, if files cannot be written into the folder
    ``path``: it is an existing file, or it (or the nearest existing folder above it) is
    not writable. Leaves nothing behind."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{what} {path} is an existing file, not a folder; give a folder name")
    _check_writable_folder(path, f"{what} {path}")
    return path


def _check_writable_folder(folder: Path, what: str) -> None:
    existing = folder if str(folder) else Path(".")
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"cannot write {what}: {existing} is a file, not a folder")
    try:  # a real write: os.access says yes to root even on read-only mounts
        fd, probe = tempfile.mkstemp(prefix=".lightnets-write-check.", dir=existing)
    except OSError as e:
        raise ValueError(f"cannot write {what}: the folder {existing} is not writable ({e.strerror})") from None
    os.close(fd)
    os.unlink(probe)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def save_checkpoint(obj: Any, path: str | os.PathLike) -> None:
    """``torch.save`` through a temporary file and an atomic rename."""
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def load_file(path: str | os.PathLike) -> Any:
    """Load a ``.safetensors`` file or a torch file with ``weights_only=True``."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    if path.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file as load_safetensors
        except ImportError:  # pragma: no cover - depends on the install
            raise CheckpointError("reading .safetensors needs `pip install lightnets[safetensors]`") from None
        try:
            return load_safetensors(str(path))
        except Exception as e:
            raise CheckpointError(f"{path} is not a readable safetensors file: {e}") from None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise CheckpointError(
            f"{path} is not a checkpoint lightnets can load safely (torch.load with weights_only=True "
            f"failed: {str(e).splitlines()[0]})"
        ) from None


def load_state_dict_file(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A flat ``{name: tensor}`` state dict from a file, unwrapping ``{"state_dict": ...}``
    and ``{"model": ...}`` containers as written by common training scripts."""
    obj = load_file(path)
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    if not isinstance(obj, dict) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(f"{path} does not hold a state dict (a mapping of names to tensors)")
    return obj
