import os

import pytest

from lightnets.io import atomic_path, atomic_write_text


def test_atomic_write_gives_the_usual_file_mode_and_leaves_no_temporary(tmp_path):
    mask = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.txt", "hello")
    finally:
        os.umask(mask)
    assert (tmp_path / "a.txt").read_text() == "hello"
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_a_failed_write_leaves_the_old_file_untouched(tmp_path):
    target = tmp_path / "ckpt.pth"
    target.write_text("good")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pth"]
