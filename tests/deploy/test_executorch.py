"""ExecuTorch (.pte, XNNPACK): fp32 and int8 exports from the command line, run in the
ExecuTorch runtime, checked against PyTorch and evaluated with `lightnets eval --pte`.

The machinery is exercised on one small network with 3x3 and 1x1 convolutions, BatchNorm,
ReLU, residual adds, pooling and a classifier: what an ExecuTorch export costs grows with
the layers, not the widths or pixels, so the network is ResNet-18 (21 convs; MobileNetV3-
Small's shortest variant has 35) at width 0.125 and 32x32.
Full-size programs are timed in benchmarks/latency.py."""

import contextlib
import io
import json
import re

import pytest
import torch
from PIL import Image

pytest.importorskip("executorch")

from lightnets import create_model  # noqa: E402
from lightnets.checkpoint import save_model  # noqa: E402
from lightnets.cli import main  # noqa: E402
from lightnets.data import Preprocessing, open_data  # noqa: E402
from lightnets.deploy import ExportError, Int8CheckError, PteModel, calibration_batches, check_batches  # noqa: E402
from lightnets.deploy import executorch_export  # noqa: E402
from lightnets.deploy.executorch_export import TOLERANCE, export_pte, verify_pte  # noqa: E402

CLASSES = ["dark", "light"]  # the classes of the two_class_tree fixture
ARCH = {"name": "resnet18", "width": 0.125, "num_classes": 2}
# 64 held-out images: enough for the int8 check to tell a broken program at two classes.
PER_CLASS = 32


@pytest.fixture(scope="module")
def exported(tmp_path_factory, make_trained, two_class_tree):
    """One checkpoint trained briefly on the generated tree, exported once as fp32 and once as int8
    (exports take seconds each); the int8 export's stdout is in ``int8.txt``."""
    root = tmp_path_factory.mktemp("pte")
    data = two_class_tree(root, PER_CLASS)
    torch.manual_seed(0)
    model = make_trained(create_model(**ARCH), data)
    save_model(model, root / "best.pth", extra={"preprocessing": Preprocessing.cifar(32).to_dict(), "classes": CLASSES})
    assert main(["export", str(root / "best.pth"), "--format", "pte"]) == 0
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["export", str(root / "best.pth"), "--format", "pte", "--int8", "--data", str(root / "data"),
                     "--calibration-images", "16"]) == 0
    (root / "int8.txt").write_text(out.getvalue())
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
    assert sorted(p.name for p in root.iterdir()) == ["best.int8.pte", "best.pte", "best.pth", "data", "int8.txt"]


def test_int8_program_is_smaller_checked_and_quantized(exported):
    root, _ = exported
    fp32, int8 = root / "best.pte", root / "best.int8.pte"
    assert int8.stat().st_size < 0.5 * fp32.stat().st_size
    program = PteModel(int8)
    assert program.metadata["classes"] == CLASSES
    assert program(torch.randn(20, 3, 32, 32)).shape == (20, 2)  # above the per-call bound: chunked
    found = re.search(r"int8, calibrated on 16 training images.*ExecuTorch int8 agrees with fp32's top-1 on "
                      r"([\d.]+)% of 64 held-out images \(threshold ([\d.]+)%", (root / "int8.txt").read_text())
    assert found and float(found[1]) >= float(found[2]) > 50


def test_eval_pte_equals_checkpoint(exported, capsys):
    root, _ = exported
    capsys.readouterr()
    results = {}
    for argv in ([str(root / "best.pth")], ["--pte", str(root / "best.pte")], ["--pte", str(root / "best.int8.pte")]):
        assert main(["eval", *argv, "--data", str(root / "data"), "--json"]) == 0
        results[argv[-1]] = json.loads(capsys.readouterr().out)
    top1 = [r["top1"] for r in results.values()]
    assert top1[0] == top1[1]
    assert all(r["images"] == 2 * PER_CLASS for r in results.values())


def test_a_wrong_program_fails_loudly(exported, make_realistic):
    root, _ = exported
    other = make_realistic(create_model(**ARCH), seed=1)
    with pytest.raises(ExportError, match="ExecuTorch differs from PyTorch"):
        verify_pte(PteModel(root / "best.pte"), other, (3, 32, 32))


def test_a_broken_int8_program_is_refused(exported, monkeypatch, tmp_path):
    """Every activation scale of the quantized graph 1000 times too large, so each activation
    rounds to its zero point and the program outputs one constant: XNNPACK lowers and runs it,
    and the agreement check refuses it (the one extra ExecuTorch export of this file)."""
    root, model = exported
    real = executorch_export.quantize_pt2e
    per_tensor = {torch.ops.quantized_decomposed.quantize_per_tensor.default,
                  torch.ops.quantized_decomposed.dequantize_per_tensor.default}

    def garbage_scales(*args):
        graph, images = real(*args)
        for node in graph.graph.nodes:
            if node.target in per_tensor:  # (input, scale, zero point, qmin, qmax, dtype)
                node.args = (node.args[0], node.args[1] * 1000, *node.args[2:])
        graph.recompile()
        return graph, images

    monkeypatch.setattr(executorch_export, "quantize_pt2e", garbage_scales)
    pre = Preprocessing.cifar(32)
    data = open_data(root / "data", pre=pre)
    with pytest.raises(Int8CheckError, match="the int8 program is broken") as e:
        export_pte(model, tmp_path / "broken.pte", 32, calibration=calibration_batches(data, pre, 16),
                   held_out=check_batches(data.val))
    check = e.value.check
    assert check.images == 2 * PER_CLASS and check.agreement < check.threshold
    assert list(tmp_path.iterdir()) == []


def test_corrupt_pte_ends_in_one_clear_line(exported, capfd, tmp_path):
    root, _ = exported
    whole = (root / "best.int8.pte").read_bytes()
    cases = {"truncated.pte": (whole[:len(whole) // 2], "is truncated"),
             "garbage.pte": (bytes(range(256)) * 4, "is not an ExecuTorch program"),
             "flipped.pte": (whole[:64] + bytes(255 - b for b in whole[64:4096]) + whole[4096:],
                             "is not a valid ExecuTorch program, perhaps corrupt")}
    capfd.readouterr()
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        assert main(["eval", "--pte", str(tmp_path / name), "--data", str(root / "data")]) == 2, name
        out, err = capfd.readouterr()
        assert out == "" and err.count("\n") == 1, err  # no traceback, no runtime log lines
        assert err.startswith(f"lightnets eval: error: {tmp_path / name} {message}"), err


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
