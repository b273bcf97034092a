"""Safe file handling: atomic writes and checkpoint loads that never unpickle code.

Every file a user cares about is written to a temporary name in the same folder and
renamed into place, so a crash never leaves a half-written file. Checkpoints load with
``torch.load(..., weights_only=True)`` or from safetensors.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import tempfile
from pathlib import Path
from typing import Any, Iterator

import torch

from .errors import CheckpointError


_ZIP_MAGIC = b"PK\x03\x04"  # torch.save's default format is a zip archive
_PICKLE_PROTOCOL = b"\x80"  # the legacy format starts with a bare pickle


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


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/lightnets``, or ``~/.cache/lightnets`` where that is unset or not
    absolute (as the XDG base directory specification says): where lightnets keeps what it
    measured on this machine (matmul peaks, latency tables)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "lightnets"


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def save_checkpoint(obj: Any, path: str | os.PathLike) -> None:
    """``torch.save`` through a temporary file and an atomic rename."""
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def load_file(path: str | os.PathLike) -> Any:
    """Load a ``.safetensors`` file or a torch file with ``weights_only=True``.

    A file that cannot be read says which it is: empty, truncated or damaged, not a torch
    or safetensors file at all, or a pickle holding Python objects beyond tensors and plain
    values (which are never unpickled: that is how a checkpoint could run code).
    """
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder, not a checkpoint file")
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path} is empty (0 bytes), not a checkpoint; a write or copy of it was "
                              "probably cut off: write or copy it again")
    if path.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file as load_safetensors
        except ImportError:  # pragma: no cover - depends on the install
            raise CheckpointError("reading .safetensors needs `pip install lightnets[safetensors]`") from None
        try:
            return load_safetensors(str(path))
        except Exception as e:
            raise CheckpointError(f"{path} is truncated, damaged or not a safetensors file "
                                  f"({path.stat().st_size:,} bytes; safetensors says: {e})") from None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        unsafe = re.search(r"Unsupported global: GLOBAL (\S+)", str(e))
        if unsafe is None:
            raise CheckpointError(_unreadable_torch_file(path)) from None
        raise CheckpointError(
            f"{path} holds a Python object ({unsafe.group(1)}) besides tensors and plain values; lightnets "
            "never unpickles such objects, since unpickling can run code. Save the state dict (or the "
            "tensors alone) with torch.save, or as .safetensors"
        ) from None
    except Exception:
        raise CheckpointError(_unreadable_torch_file(path)) from None


def _unreadable_torch_file(path: Path) -> str:
    """What a file torch.load cannot read looks like, from its first bytes."""
    with open(path, "rb") as f:
        head = f.read(9)
    size = f"{path.stat().st_size:,} bytes"
    if head.startswith((_ZIP_MAGIC, _PICKLE_PROTOCOL)):
        return f"{path} is a truncated or damaged torch checkpoint ({size}); write or copy it again"
    if len(head) == 9 and head[8:] == b"{":
        return f"{path} ({size}) looks like a safetensors file; name it *.safetensors"
    return (f"{path} is not a torch checkpoint (.pth / .pt) or a safetensors file "
            f"({size}, starting {head[:8]!r})")


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
