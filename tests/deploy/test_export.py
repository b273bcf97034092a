import numpy as np
import pytest
import torch

from lightnets import create_model, list_models
from lightnets.deploy import ExportError, export_onnx, export_program, ort_session, read_metadata, verify


@pytest.mark.parametrize("name", list_models())
def test_every_model_exports_to_onnx_and_matches_onnx_runtime(name, tmp_path, make_realistic):
    model = make_realistic(create_model(name, num_classes=10))
    report = export_onnx(model, tmp_path / "m.onnx", 64, metadata={"model": model.config})
    assert report.scale > 1 and report.max_abs_diff < 1e-4 * report.scale
    assert read_metadata(tmp_path / "m.onnx") == {"model": model.config}
    session = ort_session(tmp_path / "m.onnx")
    assert session.get_inputs()[0].shape[0] == "batch"  # dynamic batch
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def test_dynamic_height_and_width(tmp_path, make_realistic):
    model = make_realistic(create_model("mobilenet_v3_small", num_classes=4))
    export_onnx(model, tmp_path / "m.onnx", 64, dynamic_hw=True)
    session = ort_session(tmp_path / "m.onnx")
    x = torch.randn(1, 3, 96, 128)
    with torch.no_grad():
        expected = model(x).numpy()
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    assert np.abs(got - expected).max() < 1e-4 * np.abs(expected).max()


def test_a_wrong_artefact_fails_loudly(tmp_path, make_realistic):
    model = make_realistic(create_model("mobilenet_v3_small", num_classes=4))
    export_onnx(model, tmp_path / "m.onnx", 64)
    other = make_realistic(create_model("mobilenet_v3_small", num_classes=4), seed=1)
    with pytest.raises(ExportError, match="ONNX Runtime differs from PyTorch"):
        verify(tmp_path / "m.onnx", other, (3, 64, 64))


def test_torch_export_round_trip(tmp_path, make_realistic):
    model = make_realistic(create_model("mobilenet_v2", width=0.5, num_classes=4))
    assert export_program(model, tmp_path / "m.pt2", 64) < 1e-4
    program = torch.export.load(str(tmp_path / "m.pt2"))
    x = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(program.module()(x), model(x), atol=1e-4)


def test_bad_names(tmp_path):
    model = create_model("mobilenet_v3_small")
    with pytest.raises(ValueError, match="must end in .onnx"):
        export_onnx(model, tmp_path / "m.onx", 64)
    with pytest.raises(ValueError, match="must end in .pt2"):
        export_program(model, tmp_path / "m.pt", 64)
    with pytest.raises(ValueError, match="smaller than the network's total stride"):
        export_onnx(model, tmp_path / "m.onnx", 16)
    assert list(tmp_path.iterdir()) == []
