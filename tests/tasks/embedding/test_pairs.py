"""The pairs file: paths relative to it, and errors that name the file and the line."""

import pytest

from lightnets.tasks.embedding import Pair, read_pairs


@pytest.fixture
def folder(tmp_path):
    for name in ("a.png", "b.png", "c.png"):
        (tmp_path / name).write_bytes(b"")  # existence is what the reader checks; decoding comes later
    return tmp_path


def test_pairs_are_read_relative_to_the_file(folder):
    path = folder / "pairs.txt"
    path.write_text("# LFW-style\na.png b.png 1\n\n  a.png\tc.png 0  \n")
    assert read_pairs(path) == [Pair(str(folder / "a.png"), str(folder / "b.png"), True),
                                Pair(str(folder / "a.png"), str(folder / "c.png"), False)]


@pytest.mark.parametrize("text, message", [
    ("a.png b.png 1\na.png missing.png 0\n", r"pairs.txt, line 2: image not found: missing.png"),
    ("a.png b.png 2\n", r"pairs.txt, line 1: the label must be 1 \(same person\) or 0 \(different people\), got '2'"),
    ("a.png b.png yes\n", r"pairs.txt, line 1: the label must be 1 .*got 'yes'"),
    ("\n\na.png b.png\n", r"pairs.txt, line 3: expected IMAGE_A IMAGE_B SAME \(3 fields\), got 2"),
    ("# nothing\n", r"pairs.txt lists no pairs"),
])
def test_bad_lines_name_the_file_and_line(folder, text, message):
    path = folder / "pairs.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_pairs(path)


def test_a_missing_pairs_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="pairs file not found: .*nope.txt"):
        read_pairs(tmp_path / "nope.txt")
