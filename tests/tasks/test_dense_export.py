"""ONNX export of the dense models: every output checked in ONNX Runtime against PyTorch; SSDLite's two raw outputs
are named (decoding and NMS run outside the graph)."""

import numpy as np
import pytest
import torch

from lightnets.deploy.onnx_export import export_onnx, ort_session
from lightnets.tasks.detection import create_detection_model
from lightnets.tasks.segmentation import create_segmentation_model
from randomised_bn import randomise_bn

SIZE = 96


def test_ssdlite_exports_its_two_named_raw_outputs(tmp_path):
    torch.manual_seed(0)
    model = randomise_bn(create_detection_model("ssdlite320_mobilenet_v3_large", num_classes=4, width=0.25), SIZE)
    report = export_onnx(model, tmp_path / "det.onnx", SIZE)
    assert report.max_abs_diff <= 1e-4 * max(1.0, report.scale) and report.scale > 0.1
    session = ort_session(report.path)
    assert [o.name for o in session.get_outputs()] == ["cls_logits", "bbox_regression"]
    x = torch.randn(2, 3, SIZE, SIZE)
    got = session.run(None, {"input": x.numpy()})
    with torch.inference_mode():
        expected = model(x)
    for ours, theirs in zip(got, expected):
        np.testing.assert_allclose(ours, theirs.numpy(), atol=1e-4 * max(1.0, report.scale), rtol=0)


def test_lraspp_exports_its_per_pixel_scores(tmp_path):
    torch.manual_seed(0)
    model = randomise_bn(create_segmentation_model("lraspp_mobilenet_v3_large", num_classes=3, width=0.25), SIZE)
    report = export_onnx(model, tmp_path / "seg.onnx", SIZE)
    session = ort_session(report.path)
    out = session.run(None, {"input": np.zeros((1, 3, SIZE, SIZE), np.float32)})
    assert [o.name for o in session.get_outputs()] == ["logits"] and out[0].shape == (1, 3, SIZE, SIZE)
    assert report.max_abs_diff <= 1e-4 * max(1.0, report.scale)


@pytest.mark.parametrize("bad", ["det.onnx.tmp", "det.pth"])
def test_the_file_must_be_named_onnx(tmp_path, bad):
    model = create_detection_model("ssdlite320_mobilenet_v3_large", num_classes=4, width=0.25)
    with pytest.raises(ValueError, match="must end in .onnx"):
        export_onnx(model, tmp_path / bad, SIZE)
