"""ONNX export of the zoo, checked in ONNX Runtime, and torch.export. Each family's smallest
variant (tests/zoo_models.py) is exported once, at its smallest input: what an export costs
grows with the network's layers, not with its pixels, and tracing a dynamic batch costs about
three times a static one, so one model (DYNAMIC) is exported with a dynamic batch, height and
width, and the others with a static batch. Inception-v4 and Inception-ResNet-v2 (250 and 330
layers of Inception v3's ops and a scaled residual add, 20-35 s each) are left to
benchmarks/zoo_latency.py, which exports every registered model at full size through the same
checked export_onnx; so are the full-size runs of benchmarks/latency.py."""

import numpy as np
import pytest
import torch

from zoo_models import REPRESENTATIVES, build

from lightnets import create_model
from lightnets.deploy import ExportError, export_onnx, export_program, ort_session, read_metadata, verify

DYNAMIC = "resnet18"  # the model exported with a dynamic batch, height and width
EXPORTED = [name for name in REPRESENTATIVES if name not in ("inception_v4", "inception_resnet_v2")]


@pytest.fixture(scope="module")
def exported(tmp_path_factory, make_realistic):
    """``exported(name)``: the realistic model and its export's report, exported on first use."""
    root = tmp_path_factory.mktemp("onnx")
    done = {}

    def export(name):
        if name not in done:
            model = make_realistic(build(name, num_classes=10))
            folder = root / name
            folder.mkdir()
            report = export_onnx(model, folder / "m.onnx", model.min_input, dynamic_batch=name == DYNAMIC,
                                 dynamic_hw=name == DYNAMIC, metadata={"model": model.config})
            done[name] = model, report
        return done[name]

    return export


@pytest.mark.parametrize("name", EXPORTED)
def test_every_model_exports_to_onnx_and_matches_onnx_runtime(name, exported):
    model, report = exported(name)
    # logits well away from zero (a pre-BN network at its init gives logits below 1: NIN ~0.5)
    assert report.scale > 0.1 and report.max_abs_diff < 1e-4 * report.scale
    assert report.batch_sizes == ((1, 3) if name == DYNAMIC else (2,))
    assert read_metadata(report.path) == {"model": model.config}
    session = ort_session(report.path)
    assert session.get_inputs()[0].shape[0] == ("batch" if name == DYNAMIC else 2)
    assert [p.name for p in report.path.parent.iterdir()] == ["m.onnx"]


def test_dynamic_height_and_width(exported):
    model, report = exported(DYNAMIC)
    session = ort_session(report.path)
    assert session.get_inputs()[0].shape[2:] == ["height", "width"]
    x = torch.randn(1, 3, 96, 128)  # exported at 32x32
    with torch.no_grad():
        expected = model(x).numpy()
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    assert np.abs(got - expected).max() < 1e-4 * np.abs(expected).max()


@pytest.mark.parametrize("name, width", [("mobilenet_v1", 0.25), ("shufflenet_v1_g3", 0.5)])
def test_the_squeeze_excite_options_export_too(name, width, tmp_path, make_realistic):
    model = make_realistic(create_model(name, se=True, width=width, num_classes=10))
    report = export_onnx(model, tmp_path / "m.onnx", 32, dynamic_batch=False)
    assert report.scale > 0.1 and report.max_abs_diff < 1e-4 * report.scale


def test_a_wrong_artefact_fails_loudly(exported, make_realistic):
    _, report = exported(DYNAMIC)
    other = make_realistic(create_model(DYNAMIC, num_classes=10), seed=1)
    with pytest.raises(ExportError, match="ONNX Runtime differs from PyTorch"):
        verify(report.path, other, (3, 32, 32))


class Doubled(torch.nn.Module):
    def __init__(self, offset: float = 0.0, shift: float = 0.0):
        super().__init__()
        self.offset, self.shift = offset, shift

    def forward(self, x):
        return (2 * x + self.offset) - self.offset + self.shift  # offset 1e5: float32 keeps 2x to 2**-8


def test_float32_rounding_that_pytorch_shares_is_not_held_against_the_file(tmp_path):
    path = tmp_path / "doubled.onnx"
    torch.onnx.export(Doubled().eval(), (torch.randn(2, 64),), str(path), dynamo=True, input_names=["input"],
                      dynamic_shapes=({0: torch.export.Dim("batch")},), verbose=False)
    worst, scale = verify(path, Doubled(offset=1e5), (64,))  # PyTorch's float32 is the one off the exact 2x
    assert 1e-4 * max(1.0, scale) < worst < 1e-2  # above the tolerance, yet accepted
    with pytest.raises(ExportError, match=r"Against float64 logits, ONNX Runtime is 0.05 off and PyTorch's float32"):
        verify(path, Doubled(offset=1e5, shift=-0.05), (64,))  # a file that computes something else


def test_torch_export_round_trip(tmp_path, make_realistic):
    model = make_realistic(create_model("mobilenet_v3_small_minimal", width=0.25, num_classes=4))
    assert export_program(model, tmp_path / "m.pt2", 32) < 1e-4
    program = torch.export.load(str(tmp_path / "m.pt2"))
    x = torch.randn(3, 3, 32, 32)
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
