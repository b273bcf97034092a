"""export -> eval --onnx -> quantize, from the command line, on a generated image tree."""

import contextlib
import io
import json
import re

import onnx
import onnxruntime.quantization
import pytest
import torch
from onnx import numpy_helper
from PIL import Image

from lightnets import create_model
from lightnets.checkpoint import save_model
from lightnets.cli import main
from lightnets.data import Preprocessing
from lightnets.deploy import read_metadata

CLASSES = ["dark", "light"]  # the classes of the two_class_tree fixture
# 64 held-out images: enough for the int8 check to tell a broken program at two classes.
PER_CLASS = 32
QUANTIZE_KEYS = {"source", "out", "scheme", "method", "kept_fp32", "fp32_nodes", "calibration_images", "data", "images",
                 "fp32", "int8", "ratio", "int8_check"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, make_trained, two_class_tree):
    """A checkpoint trained briefly on the generated tree, exported once with `lightnets export`;
    the export's stdout is in ``export.txt``."""
    root = tmp_path_factory.mktemp("cli_deploy")
    data = two_class_tree(root, PER_CLASS)
    torch.manual_seed(0)
    model = make_trained(create_model("mobilenet_v3_small_minimal", width=0.25, num_classes=2), data)
    save_model(model, root / "best.pth", extra={"preprocessing": Preprocessing.cifar(32).to_dict(),
                                                "classes": CLASSES})
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["export", str(root / "best.pth")]) == 0
    (root / "export.txt").write_text(out.getvalue())
    return root


def test_export_eval_quantize(run_dir, capsys):
    assert "max abs difference" in (run_dir / "export.txt").read_text()
    meta = read_metadata(run_dir / "best.onnx")
    assert meta["classes"] == CLASSES and meta["preprocessing"]["input_size"] == 32

    assert main(["eval", "--onnx", str(run_dir / "best.onnx"), "--data", str(run_dir / "data"), "--json"]) == 0
    onnx_out = capsys.readouterr().out
    assert main(["eval", str(run_dir / "best.pth"), "--data", str(run_dir / "data"), "--json"]) == 0
    torch_out = capsys.readouterr().out
    assert json.loads(onnx_out)["top1"] == json.loads(torch_out)["top1"]

    assert main(["quantize", str(run_dir / "best.onnx"), "--data", str(run_dir / "data"),
                 "--calibration-images", "16"]) == 0
    captured = capsys.readouterr()
    assert "calibrated on 16 training images" in captured.out and "smaller" in captured.out
    agreement = re.search(r"int8 agrees with fp32's top-1 on ([\d.]+)% of 64 held-out images \(threshold ([\d.]+)%",
                          captured.out)
    assert agreement and float(agreement[1]) >= float(agreement[2]) > 50
    assert "lightnets quantize: checking int8 against fp32" in captured.err  # a stage line, on stderr
    int8 = onnx.load(str(run_dir / "best.int8.onnx"))
    ops = {n.op_type for n in int8.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    assert read_metadata(run_dir / "best.int8.onnx")["classes"] == CLASSES
    assert (run_dir / "best.int8.onnx").stat().st_size < 0.5 * (run_dir / "best.onnx").stat().st_size

    assert main(["export", str(run_dir / "best.pth"), "--format", "torch-export"]) == 0
    assert (run_dir / "best.pt2").is_file()


def test_quantize_json(run_dir, capsys, tmp_path):
    out = tmp_path / "m.int8.onnx"
    assert main(["quantize", str(run_dir / "best.onnx"), "--data", str(run_dir / "data"), "--calibration-images", "16",
                 "--out", str(out), "--keep-fp32", "stem", "--json"]) == 0
    captured = capsys.readouterr()
    d = json.loads(captured.out)  # the whole of stdout
    assert set(d) == QUANTIZE_KEYS and "lightnets quantize: checking int8 against fp32" in captured.err
    assert (d["source"], d["out"], d["calibration_images"], d["images"], d["kept_fp32"]) == (
        str(run_dir / "best.onnx"), str(out), 16, 2 * PER_CLASS, ["stem"])
    assert d["int8"]["size_bytes"] == out.stat().st_size
    assert d["fp32"]["size_bytes"] == (run_dir / "best.onnx").stat().st_size
    assert d["ratio"] == pytest.approx(d["fp32"]["size_bytes"] / d["int8"]["size_bytes"])
    check = d["int8_check"]
    assert check["images"] == 2 * PER_CLASS and check["passed"] and check["agreement"] >= check["threshold"] > 50
    assert check["top1_change"] == pytest.approx(d["int8"]["top1"] - d["fp32"]["top1"])


def garbage_activation_scales(path: str) -> None:
    """Every activation's QDQ scale 1000 times too large: each activation rounds to its zero
    point, so the program outputs one constant whatever the image, the usual face of a broken
    int8 program, and it still loads and runs."""
    proto = onnx.load(path)
    initializers = {i.name: i for i in proto.graph.initializer}
    for node in proto.graph.node:
        if node.op_type == "QuantizeLinear" and node.input[0] not in initializers:  # an activation, not a weight
            scale = initializers[node.input[1]]
            scale.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(scale) * 1000, scale.name))
    onnx.save(proto, path)


def test_quantize_refuses_a_broken_int8_program(run_dir, monkeypatch, capsys, tmp_path):
    real = onnxruntime.quantization.quantize_static

    def broken_quantize_static(model_input, model_output, *args, **kwargs):
        real(model_input, model_output, *args, **kwargs)
        garbage_activation_scales(str(model_output))

    monkeypatch.setattr(onnxruntime.quantization, "quantize_static", broken_quantize_static)
    out = tmp_path / "broken.int8.onnx"
    assert main(["quantize", str(run_dir / "best.onnx"), "--data", str(run_dir / "data"),
                 "--calibration-images", "16", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    found = re.fullmatch(r"lightnets quantize: error: the int8 program is broken: int8 agrees with fp32's top-1 on "
                         r"([\d.]+)% of 64 held-out images \(threshold ([\d.]+)%, chance ([\d.]+)%\); "
                         r"top-1 [\d.]+% -> [\d.]+% \([-+][\d.]+ points\)", err)
    assert found, err
    assert float(found[1]) < float(found[2])
    assert list(tmp_path.iterdir()) == []


def test_corrupt_onnx_ends_in_one_clear_line(run_dir, capfd, tmp_path):
    whole = (run_dir / "best.onnx").read_bytes()
    truncated, garbage = tmp_path / "truncated.onnx", tmp_path / "garbage.onnx"
    truncated.write_bytes(whole[:len(whole) // 3])
    garbage.write_bytes(bytes(range(256)) * 4)
    capfd.readouterr()
    for bad in (truncated, garbage):
        for argv in (["quantize", str(bad), "--data", str(run_dir / "data")],
                     ["eval", "--onnx", str(bad), "--data", str(run_dir / "data")]):
            assert main(argv) == 2, argv
            out, err = capfd.readouterr()
            assert out == "" and err.count("\n") == 1, err  # no traceback, no log lines
            assert err.startswith(f"lightnets {argv[0]}: error: {bad} is not a valid ONNX model, perhaps truncated "
                                  "or corrupt (ONNX Runtime:"), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garbage.onnx", "truncated.onnx"]


def test_deploy_bad_input(run_dir, capsys, tmp_path):
    cases = [
        (["export", str(tmp_path / "missing.pth")], "checkpoint not found"),
        (["eval", "--data", str(run_dir / "data")], "give one model: a CHECKPOINT, --onnx FILE or --pte FILE"),
        (["eval", "--onnx", str(tmp_path / "missing.onnx"), "--data", str(run_dir / "data")], "ONNX model not found"),
        (["quantize", str(run_dir / "best.onnx"), "--data", str(run_dir / "data"), "--calibration-images", "0"],
         "--calibration-images and --batch-size must be >= 1"),
        (["quantize", str(run_dir / "best.pth"), "--data", str(run_dir / "data")],
         f"{run_dir / 'best.pth'} is not an ONNX model (.onnx): its suffix is '.pth'; quantize takes the .onnx file "
         "`lightnets export` writes"),
        (["quantize", str(run_dir / "best.onnx"), "--data", str(run_dir / "data"), "--method", "kl",
          "--out", str(tmp_path / "m.int8.onnx")], "unknown calibration method 'kl'; valid: minmax, percentile"),
        (["quantize", str(run_dir / "best.onnx"), "--data", str(run_dir / "data"), "--keep-fp32", "stem,head",
          "--out", str(tmp_path / "m.int8.onnx")], "unknown layer kind(s) to keep in fp32: 'head'; valid: stem"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        assert message in capsys.readouterr().err
    other = tmp_path / "other"
    for label in ("a", "b"):
        (other / label).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (32, 32), (i, i, i)).save(other / label / f"{i}.png")
    assert main(["quantize", str(run_dir / "best.onnx"), "--data", str(other), "--out", str(tmp_path / "o.onnx")]) == 2
    assert "differ from the model's" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other"]
