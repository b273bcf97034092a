"""What the command line does with its output: a closed stdout neither raises nor stops a
command; other libraries' warnings and log lines show only with --verbose."""

import importlib
import json
import os
import stat
import subprocess
import sys
import warnings

import numpy as np
import pytest
from PIL import Image

from lightnets.cli.closed_output import DropWhenReaderGone
from lightnets.cli.verbosity import QUIET_ENVIRONMENT, _AfterImport, library_output

LIGHTNETS = [sys.executable, "-m", "lightnets.cli"]


def env(unbuffered: bool) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONUNBUFFERED", "PYTHONWARNINGS", *QUIET_ENVIRONMENT)}
    return {**base, "PYTHONUNBUFFERED": "1"} if unbuffered else base


def run_with_stdout_closed(argv, unbuffered: bool, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run lightnets with a stdout pipe whose reader is gone before the command starts, so
    that its first write (unbuffered) or its final flush (buffered) meets EPIPE."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([*LIGHTNETS, *argv], stdout=write, stderr=subprocess.PIPE, text=True,
                              env=env(unbuffered), timeout=timeout)
    finally:
        os.close(write)


def assert_quiet_exit(proc: subprocess.CompletedProcess, code: int = 0) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr and "Exception ignored" not in proc.stderr


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
def test_models_json_into_a_closed_pipe_exits_quietly(unbuffered):
    assert_quiet_exit(run_with_stdout_closed(["models", "--json", "mobilenet_v3_small*"], unbuffered))


def test_a_command_goes_on_after_its_first_print_fails():
    # profile prints its summary line by line, then two tables, and returns 0 at its end
    assert_quiet_exit(run_with_stdout_closed(
        ["profile", "mobilenet_v3_small", "--resolution", "64", "--per-layer", "--by-kind"], unbuffered=True))


def test_training_with_stdout_closed_trains_to_the_end_and_saves(tmp_path):
    rng = np.random.default_rng(0)
    for name, level in (("bright", 190), ("dark", 60)):
        (tmp_path / "data" / name).mkdir(parents=True)
        for i in range(8):
            pixels = np.clip(rng.normal(level, 40, (32, 32, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / "data" / name / f"{i}.png")
    out = tmp_path / "run"
    proc = run_with_stdout_closed(
        ["train", "mobilenet_v3_small", "--data", str(tmp_path / "data"), "--epochs", "1", "--width", "0.25",
         "--resolution", "32", "--batch-size", "8", "--threads", "1", "--device", "cpu", "--no-progress",
         "--out", str(out)], unbuffered=True)
    assert_quiet_exit(proc)
    assert (out / "best.pth").is_file() and (out / "last.pth").is_file()


def test_a_broken_write_points_the_stream_at_devnull_and_later_writes_are_dropped():
    read, write = os.pipe()
    stream = open(write, "w", buffering=1)
    os.close(read)
    guarded = DropWhenReaderGone(stream)
    try:
        assert guarded.write("first line\n") == len("first line\n")
        assert stat.S_ISCHR(os.fstat(stream.fileno()).st_mode)  # /dev/null, a character device
        guarded.write("dropped\n")
        guarded.flush()
        assert guarded.fileno() == write  # everything else is the wrapped stream's
    finally:
        stream.close()


NOISY_COMMAND = """
import logging, os, sys, warnings
from lightnets import cli
from lightnets.cli import conv_cost

def noisy(args):
    warnings.warn("a library's warning", UserWarning)
    logging.getLogger("onnxscript").warning("a library's log line")
    logging.getLogger("lightnets.deploy").info("lightnets detail")
    logging.getLogger("lightnets.deploy").warning("lightnets warning")
    import onnxruntime  # loads through the hook that lowers its logger's severity
    import torch  # sets its logger's level as it loads; a hook sets it back
    logging.getLogger("torch.utils._pytree").warning("torch's log line")
    print(json.dumps({"TORCH_CPP_LOG_LEVEL": os.environ.get("TORCH_CPP_LOG_LEVEL"),
                      "lightnets_info": logging.getLogger("lightnets").isEnabledFor(logging.INFO),
                      "onnxruntime": onnxruntime.__name__}))
    return 0

import json
conv_cost.run = noisy
sys.exit(cli.main(sys.argv[1:]))
"""


def run_noisy(*argv):
    proc = subprocess.run([sys.executable, "-c", NOISY_COMMAND, *argv], capture_output=True, text=True,
                          env=env(unbuffered=False), timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def test_without_verbose_library_warnings_and_logs_are_hidden():
    seen, err = run_noisy("conv-cost", "--input", "1x1x1", "--out", "1")
    assert "a library's warning" not in err and "a library's log line" not in err and "lightnets detail" not in err
    assert "torch's log line" not in err
    assert "lightnets.deploy: lightnets warning" in err
    assert seen == {"TORCH_CPP_LOG_LEVEL": "ERROR", "lightnets_info": False, "onnxruntime": "onnxruntime"}


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_shows_everything(where):
    argv = ["conv-cost", "--input", "1x1x1", "--out", "1"]
    seen, err = run_noisy(*(["--verbose", *argv] if where == "before" else [*argv, "-v"]))
    assert "UserWarning: a library's warning" in err
    assert "onnxscript: a library's log line" in err and "lightnets.deploy: lightnets detail" in err
    assert "torch's log line" in err
    assert seen == {"TORCH_CPP_LOG_LEVEL": None, "lightnets_info": True, "onnxruntime": "onnxruntime"}


def test_library_output_restores_what_it_changed(monkeypatch):
    for name in QUIET_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    import logging

    root = logging.getLogger()
    before = (list(warnings.filters), list(root.handlers), root.level, logging.getLogger("torch").level,
              list(sys.meta_path))
    with library_output(verbose=False):
        assert os.environ["TORCH_CPP_LOG_LEVEL"] == "ERROR"
    assert not set(QUIET_ENVIRONMENT) & set(os.environ)
    assert (list(warnings.filters), list(root.handlers), root.level, logging.getLogger("torch").level,
            list(sys.meta_path)) == before


def test_after_import_hook_runs_once_right_after_the_module_loads(tmp_path, monkeypatch):
    (tmp_path / "lightnets_hook_probe.py").write_text("LOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen = []
    hook = _AfterImport("lightnets_hook_probe", lambda module: seen.append(module.LOADED))
    sys.meta_path.insert(0, hook)
    try:
        importlib.import_module("json")  # other imports pass through
        module = importlib.import_module("lightnets_hook_probe")
    finally:
        if hook in sys.meta_path:
            sys.meta_path.remove(hook)
        sys.modules.pop("lightnets_hook_probe", None)
    assert seen == [True] and module.LOADED and hook not in sys.meta_path
