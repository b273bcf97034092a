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


def test_output_checks_name_the_problem_before_any_work(tmp_path):
    from lightnets.io import check_output_dir, check_output_file

    existing = tmp_path / "file.txt"
    existing.write_text("x")
    with pytest.raises(ValueError, match="is an existing file, not a folder"):
        check_output_dir(existing)
    with pytest.raises(ValueError, match="is a folder; give a file name"):
        check_output_file(tmp_path)
    with pytest.raises(ValueError, match="file.txt is a file, not a folder"):
        check_output_file(existing / "model.onnx")
    with pytest.raises(ValueError, match="/proc is not writable"):  # read-only even for root
        check_output_dir("/proc/lightnets-run")
    assert check_output_dir(tmp_path / "new" / "run") == tmp_path / "new" / "run"
    assert check_output_file(tmp_path / "a.onnx") == tmp_path / "a.onnx"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]  # nothing created
