"""ExecuTorch (.pte, XNNPACK): fp32 and int8 exports from the command line, run in the
ExecuTorch runtime, checked against PyTorch and evaluated with `lightnets eval --pte`."""

import json

import pytest
import torch
from PIL import Image

pytest.importorskip("executorch")

from lightnets import create_model  # noqa: E402
from lightnets.checkpoint import save_model  # noqa: E402
from lightnets.cli import main  # noqa: E402
from lightnets.data import Preprocessing  # noqa: E402
from lightnets.deploy import ExportError, PteModel  # noqa: E402
from lightnets.deploy.executorch_export import TOLERANCE, verify_pte  # noqa: E402

CLASSES = ["dark", "light"]  # the classes of the two_class_tree fixture


@pytest.fixture(scope="module")
def exported(tmp_path_factory, make_realistic, two_class_tree):
    """One checkpoint exported once as fp32 and once as int8 (exports take seconds each)."""
    root = tmp_path_factory.mktemp("pte")
    two_class_tree(root)
    model = make_realistic(create_model("mobilenet_v2", width=0.35, num_classes=2))
    save_model(model, root / "best.pth", extra={"preprocessing": Preprocessing.cifar(32).to_dict(), "classes": CLASSES})
    assert main(["export", str(root / "best.pth"), "--format", "pte"]) == 0
    assert main(["export", str(root / "best.pth"), "--format", "pte", "--int8", "--data", str(root / "data"),
                 "--calibration-images", "16"]) == 0
    return root, model


def test_fp32_program_matches_pytorch_at_any_batch(exported):
    root, model = exported
    program = PteModel(root / "best.pte")
    assert program.metadata["classes"] == CLASSES and program.metadata["model"] == model.config
    assert program.metadata["preprocessing"]["input_size"] == 32
    for batch in (1, 5, 40):
        x = torch.randn(batch, 3, 32, 32)
        with torch.no_grad():
            expected = model(x)
        assert expected.abs().max() > 1
        assert (program(x) - expected).abs().max() < TOLERANCE * expected.abs().max()
    assert sorted(p.name for p in root.iterdir()) == ["best.int8.pte", "best.pte", "best.pth", "data"]


def test_int8_program_is_smaller_and_quantized(exported):
    root, _ = exported
    fp32, int8 = root / "best.pte", root / "best.int8.pte"
    assert int8.stat().st_size < 0.5 * fp32.stat().st_size
    program = PteModel(int8)
    assert program.metadata["classes"] == CLASSES
    assert program(torch.randn(20, 3, 32, 32)).shape == (20, 2)  # above the per-call bound: chunked


def test_eval_pte_equals_checkpoint(exported, capsys):
    root, _ = exported
    capsys.readouterr()
    results = {}
    for argv in ([str(root / "best.pth")], ["--pte", str(root / "best.pte")], ["--pte", str(root / "best.int8.pte")]):
        assert main(["eval", *argv, "--data", str(root / "data"), "--json"]) == 0
        results[argv[-1]] = json.loads(capsys.readouterr().out)
    top1 = [r["top1"] for r in results.values()]
    assert top1[0] == top1[1]
    assert all(r["images"] == 16 for r in results.values())


def test_a_wrong_program_fails_loudly(exported, make_realistic):
    root, _ = exported
    other = make_realistic(create_model("mobilenet_v2", width=0.35, num_classes=2), seed=1)
    with pytest.raises(ExportError, match="ExecuTorch differs from PyTorch"):
        verify_pte(PteModel(root / "best.pte"), other, (3, 32, 32), TOLERANCE)


def test_pte_bad_input(exported, capsys, tmp_path):
    root, _ = exported
    other = tmp_path / "other"
    for label in ("a", "b"):
        (other / label).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (32, 32), (i, i, i)).save(other / label / f"{i}.png")
    out = tmp_path / "m.pte"
    cases = [
        (["export", str(root / "best.pth"), "--format", "pte", "--int8"], "--int8 and --data go together"),
        (["export", str(root / "best.pth"), "--format", "onnx", "--int8", "--data", str(other)],
         "--int8 and --data go together"),
        (["export", str(root / "best.pth"), "--format", "pte", "--out", str(tmp_path / "m.onnx")],
         "must end in .pte"),
        (["export", str(root / "best.pth"), "--format", "pte", "--int8", "--data", str(other), "--out", str(out)],
         "differ from the model's"),
        (["eval", "--pte", str(tmp_path / "missing.pte"), "--data", str(root / "data")],
         "ExecuTorch program not found"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [other]
