"""export -> eval --onnx -> quantize, from the command line, on a generated image tree."""

import onnx
import pytest
import torch
from PIL import Image

from lightnets import create_model
from lightnets.checkpoint import save_model
from lightnets.cli import main
from lightnets.data import Preprocessing
from lightnets.deploy import read_metadata

CLASSES = ["dark", "light"]  # the classes of the two_class_tree fixture


@pytest.fixture
def run_dir(tmp_path, make_realistic, two_class_tree):
    two_class_tree(tmp_path)
    model = make_realistic(create_model("mobilenet_v3_small", width=0.5, num_classes=2))
    save_model(model, tmp_path / "best.pth", extra={"preprocessing": Preprocessing.cifar(32).to_dict(),
                                                    "classes": CLASSES})
    return tmp_path


def test_export_eval_quantize(run_dir, capsys):
    assert main(["export", str(run_dir / "best.pth")]) == 0
    assert "max abs difference" in capsys.readouterr().out
    meta = read_metadata(run_dir / "best.onnx")
    assert meta["classes"] == CLASSES and meta["preprocessing"]["input_size"] == 32

    assert main(["eval", "--onnx", str(run_dir / "best.onnx"), "--data", str(run_dir / "data"), "--json"]) == 0
    onnx_out = capsys.readouterr().out
    assert main(["eval", str(run_dir / "best.pth"), "--data", str(run_dir / "data"), "--json"]) == 0
    torch_out = capsys.readouterr().out
    import json

    assert json.loads(onnx_out)["top1"] == json.loads(torch_out)["top1"]

    assert main(["quantize", str(run_dir / "best.onnx"), "--data", str(run_dir / "data"),
                 "--calibration-images", "16"]) == 0
    out = capsys.readouterr().out
    assert "calibrated on 16 training images" in out and "smaller" in out
    int8 = onnx.load(str(run_dir / "best.int8.onnx"))
    ops = {n.op_type for n in int8.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    assert read_metadata(run_dir / "best.int8.onnx")["classes"] == CLASSES
    assert (run_dir / "best.int8.onnx").stat().st_size < 0.5 * (run_dir / "best.onnx").stat().st_size

    assert main(["export", str(run_dir / "best.pth"), "--format", "torch-export"]) == 0
    assert (run_dir / "best.pt2").is_file()


def test_deploy_bad_input(run_dir, capsys, tmp_path):
    cases = [
        (["export", str(tmp_path / "missing.pth")], "checkpoint not found"),
        (["eval", "--data", str(run_dir / "data")], "give a checkpoint or --onnx/--pte FILE"),
        (["eval", "--onnx", str(tmp_path / "missing.onnx"), "--data", str(run_dir / "data")], "ONNX model not found"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        assert message in capsys.readouterr().err
    assert main(["export", str(run_dir / "best.pth")]) == 0
    capsys.readouterr()
    assert main(["quantize", str(run_dir / "best.onnx"), "--data", str(run_dir / "data"),
                 "--calibration-images", "0"]) == 2
    assert "--calibration-images and --batch-size must be >= 1" in capsys.readouterr().err
    other = tmp_path / "other"
    for label in ("a", "b"):
        (other / label).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (32, 32), (i, i, i)).save(other / label / f"{i}.png")
    assert main(["quantize", str(run_dir / "best.onnx"), "--data", str(other)]) == 2
    assert "differ from the model's" in capsys.readouterr().err
    assert not (run_dir / "best.int8.onnx").exists()
