"""`lightnets --help` and `lightnets CMD --help` import no heavy library; `import lightnets`
loads its public names on first use. Checked on sys.modules in a fresh interpreter, not by
the clock."""

import json
import subprocess
import sys

import pytest

from lightnets.cli import COMMANDS
from lightnets.cli.common import CONVENTIONS

HEAVY = ("torch", "numpy", "torchvision", "onnx", "onnxruntime", "onnxscript", "executorch", "torchao",
         "matplotlib", "tqdm", "PIL", "timm", "safetensors")


def modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def help_code(*argv: str) -> str:
    return ("import contextlib, io\nfrom lightnets.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            f"    main({list(argv)!r})")


def command_names() -> list[str]:
    from lightnets.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sorted(sub.choices)


def test_every_command_is_covered():
    assert len(command_names()) == len(COMMANDS) == 20


@pytest.mark.parametrize("argv", [["--help"]] + [[name, "--help"] for name in command_names()])
def test_help_imports_no_heavy_library(argv):
    loaded = modules_after(help_code(*argv))
    assert "lightnets.cli" in loaded
    assert not loaded & set(HEAVY), f"{' '.join(argv)} imported {sorted(loaded & set(HEAVY))}"


def test_import_lightnets_is_lazy_and_its_names_still_work():
    assert "torch" not in modules_after("import lightnets")
    assert "torch" in modules_after("import lightnets\nlightnets.create_model")
    import lightnets
    from lightnets.analysis import conv_cost, profile
    from lightnets.models import create_model, list_models

    assert (lightnets.profile, lightnets.conv_cost) == (profile, conv_cost)
    assert (lightnets.create_model, lightnets.list_models) == (create_model, list_models)
    assert set(lightnets.__all__) <= set(dir(lightnets))
    with pytest.raises(AttributeError, match="no attribute 'resnet'"):
        lightnets.resnet


def test_errors_the_cli_reports_are_importable_without_torch_and_are_the_raised_classes():
    assert "torch" not in modules_after("from lightnets.errors import CheckpointError, ExportError")
    from lightnets.deploy.onnx_export import ExportError
    from lightnets.errors import CheckpointError, ExportError as Exported
    from lightnets.io import CheckpointError as FromIo

    assert FromIo is CheckpointError and ExportError is Exported


def test_the_cli_names_the_conventions_the_counter_has():
    from lightnets.analysis import CONVENTIONS as counted

    assert CONVENTIONS == tuple(counted)
