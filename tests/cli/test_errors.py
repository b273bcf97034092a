"""A mistake a user can make ends in one line and exit code 2, also when a DataLoader worker
process raised it; a bug in lightnets shows its traceback."""

import subprocess
import sys

import pytest
from torch.utils.data import DataLoader, Dataset

from lightnets.cli import main, user_message
from lightnets.data import DataError
from lightnets.errors import CheckpointError


class Unreadable(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        raise DataError(f"cannot read image /data/{i}.png: truncated file")


def test_an_error_from_a_worker_process_is_shown_without_the_workers_traceback():
    with pytest.raises(DataError) as caught:
        next(iter(DataLoader(Unreadable(), num_workers=1)))
    assert "Original Traceback" in str(caught.value)  # what torch re-raises in the main process
    assert user_message(caught.value) == "cannot read image /data/0.png: truncated file"
    assert user_message(DataError("plain message")) == "plain message"


BUGGY_COMMAND = """
import sys
from lightnets import cli
from lightnets.cli import conv_cost

def buggy(args):
    return len(args.kernel)  # a TypeError in our own code

conv_cost.run = buggy
sys.exit(cli.main(sys.argv[1:]))
"""


def test_a_bug_shows_its_traceback_and_is_not_dressed_as_a_user_error(tmp_path):
    script = tmp_path / "buggy.py"
    script.write_text(BUGGY_COMMAND)
    proc = subprocess.run([sys.executable, str(script), "conv-cost", "--input", "5x5x3", "--out", "4"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("Traceback (most recent call last):")
    assert "return len(args.kernel)" in proc.stderr
    assert proc.stderr.rstrip().endswith("TypeError: object of type 'int' has no len()")
    assert "error:" not in proc.stderr


def raising(error):
    def run(args):
        raise error
    return run


CONV_COST = ["conv-cost", "--input", "5x5x3", "--out", "4"]


@pytest.mark.parametrize("bug", [TypeError("wrong type"), AttributeError("no attribute"), KeyError("key"),
                                 RuntimeError("state"), IndexError("index")], ids=lambda e: type(e).__name__)
def test_other_exceptions_propagate(monkeypatch, bug):
    from lightnets.cli import conv_cost

    monkeypatch.setattr(conv_cost, "run", raising(bug))
    with pytest.raises(type(bug)):
        main(CONV_COST)


@pytest.mark.parametrize("mistake", [ValueError("--out must be >= 1"), CheckpointError("x.pth is empty (0 bytes)"),
                                     DataError("cannot read image a.png"), FileNotFoundError("image not found: a.png")],
                         ids=lambda e: type(e).__name__)
def test_user_errors_end_in_one_line_and_exit_2(capsys, monkeypatch, mistake):
    from lightnets.cli import conv_cost

    monkeypatch.setattr(conv_cost, "run", raising(mistake))
    assert main(CONV_COST) == 2
    assert capsys.readouterr().err == f"lightnets conv-cost: error: {mistake}\n"
