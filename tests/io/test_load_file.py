"""lightnets.io.load_file names what is wrong with a file it cannot load, and never advises
unpickling it unsafely."""

import numpy as np
import pytest
import torch

from lightnets.io import CheckpointError, load_file, load_state_dict_file

STATE = {"w": torch.arange(12.0).reshape(3, 4), "b": torch.ones(3)}


def saved(tmp_path, name="good.pth", **kwargs):
    path = tmp_path / name
    torch.save(STATE, path, **kwargs)
    return path


def cut(path, keep):
    data = path.read_bytes()
    path.write_bytes(data[:keep(len(data))])
    return path


def unreadable_cases(tmp_path):
    """(file, what the message must say) for every kind of unreadable checkpoint."""
    (tmp_path / "empty.pth").write_bytes(b"")
    (tmp_path / "empty.safetensors").write_bytes(b"")
    (tmp_path / "noise.pth").write_bytes(bytes(range(7, 250)) * 3)
    (tmp_path / "notes.pth").write_text("training notes\n")
    (tmp_path / "noise.safetensors").write_bytes(bytes(range(7, 250)) * 3)
    torch.save({"x": np.zeros(3)}, tmp_path / "objects.pth")
    from safetensors.torch import save_file

    save_file(STATE, str(tmp_path / "renamed.pth"))
    return [
        (tmp_path / "empty.pth", "is empty (0 bytes), not a checkpoint"),
        (tmp_path / "empty.safetensors", "is empty (0 bytes), not a checkpoint"),
        (cut(saved(tmp_path, "half.pth"), lambda n: n // 2), "is a truncated or damaged torch checkpoint"),
        (cut(saved(tmp_path, "old.pth", _use_new_zipfile_serialization=False), lambda n: n - 9),
         "is a truncated or damaged torch checkpoint"),
        (tmp_path / "noise.pth", "is not a torch checkpoint (.pth / .pt) or a safetensors file"),
        (tmp_path / "notes.pth", "starting b'training'"),
        (tmp_path / "noise.safetensors", "is truncated, damaged or not a safetensors file"),
        (tmp_path / "objects.pth", "holds a Python object (numpy."),
        (tmp_path / "renamed.pth", "looks like a safetensors file; name it *.safetensors"),
        (tmp_path, "is a folder, not a checkpoint file"),
    ]


def test_each_unreadable_file_gets_its_own_reason_and_no_unsafe_advice(tmp_path):
    cases = unreadable_cases(tmp_path)
    for path, reason in cases:
        with pytest.raises(CheckpointError) as info:
            load_file(path)
        message = str(info.value)
        assert reason in message and str(path) in message, (path, message)
        assert "weights_only" not in message and "\n" not in message, message


def test_readable_files_still_load(tmp_path):
    from safetensors.torch import save_file

    save_file(STATE, str(tmp_path / "w.safetensors"))
    for path in (saved(tmp_path), saved(tmp_path, "old.pth", _use_new_zipfile_serialization=False),
                 tmp_path / "w.safetensors"):
        loaded = load_file(path)
        assert loaded.keys() == STATE.keys() and all(torch.equal(loaded[k], STATE[k]) for k in STATE)


def test_state_dict_files_report_the_same_reasons(tmp_path):
    (tmp_path / "empty.pth").write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty.pth is empty"):
        load_state_dict_file(tmp_path / "empty.pth")
