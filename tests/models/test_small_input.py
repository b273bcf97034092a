"""``small_input=True``: every family's form for 32x32 images, total stride 8 (a 4x4 last map),
as the CIFAR forms of these networks are built; counted, exported and refused like the rest."""

import pytest
import torch

from lightnets import create_model, profile
from lightnets.deploy import export_onnx

# registered name -> the width its test builds at (small, to keep the suite short)
FAMILIES = {
    "mobilenet_v1": 0.25, "mobilenet_v2": 0.25, "mobilenet_v3_small": 0.5, "mobilenet_v3_large": 0.25,
    "resnet18": 0.25, "resnet50": 0.125, "resnext50_32x4d": 0.25, "res2next50": 0.25, "densenet121": 0.25,
    "dpn68": 0.25, "vgg11_bn": 0.125, "alexnet": 0.125, "alexnet_towers": 0.125, "shufflenet_v1_g3": 0.25,
    "shufflenet_v2_x0_5": 0.5, "squeezenet1_0": 0.25, "squeezenet1_1": 0.25, "xception": 0.25,
    "skresnet18": 0.25, "ge_resnet50": 0.125, "gc_resnet50": 0.125,
}


@pytest.mark.parametrize("name", FAMILIES)
def test_the_small_form_keeps_a_32x32_image_to_a_4x4_map(name):
    torch.manual_seed(0)
    model = create_model(name, width=FAMILIES[name], num_classes=10, small_input=True).eval()
    big = create_model(name, width=FAMILIES[name], num_classes=10)
    assert model.total_stride == model.feature_info[-1]["reduction"] <= 8 < big.total_stride
    assert model.default_cfg["input_size"] == (3, 32, 32) and model.default_cfg["crop_pct"] == 1.0
    assert model.config["small_input"] is True and big.config["small_input"] is False
    x = torch.randn(2, 3, 32, 32)
    assert model(x).shape == (2, 10)
    if name.startswith("alexnet"):  # its unpadded pools end at 3x3: 32 -> 15 -> 7 -> 3
        assert model.total_stride == 8 and model.min_input == 15
    elif name.startswith("squeezenet"):  # total stride 16 less conv1 and pool1: 4; 32 -> 6 (1.0), 7 (1.1)
        assert model.total_stride == 4 and model.forward_features(x).shape[-2:] in ((6, 6), (7, 7))
    else:
        assert model.total_stride == 8 and model.forward_features(x).shape[-2:] == (4, 4)


def test_the_small_form_changes_the_strides_only_where_it_says():
    small, big = (create_model("mobilenet_v2", small_input=s) for s in (True, False))
    assert small.stem.conv.stride == (1, 1) and big.stem.conv.stride == (2, 2)
    assert [b.dw.conv.stride[0] for s in small.stages for b in s] == [1, 1, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1]
    assert [b.dw.conv.stride[0] for s in big.stages for b in s] == [1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1]
    # the same layers and weights: only strides differ
    assert [k for k in small.state_dict()] == [k for k in big.state_dict()]
    resnet = create_model("resnet18", small_input=True)
    assert not hasattr(resnet.stem, "pool") and resnet.stem.conv.conv.kernel_size == (3, 3)


def test_the_profiler_counts_the_small_forms():
    # ResNet-18's CIFAR form (3x3 stem, no pool, 10 classes): 11,173,962 parameters, the
    # count every CIFAR port of it prints; 555.4M MACs at 32x32.
    report = profile(create_model("resnet18", num_classes=10, small_input=True), 32)
    assert report.params == 11_173_962
    assert report.macs == 555_422_720
    # MobileNetV2's stem conv at stride 1 costs 32x32x32x27 = 884,736 MACs instead of a quarter of it
    small = profile(create_model("mobilenet_v2", num_classes=10, small_input=True), 32)
    stem = next(row for row in small.rows if row.module.startswith("stem.conv"))
    assert stem.macs == 32 * 32 * 32 * 27


def test_the_small_form_exports_to_onnx(tmp_path):
    model = create_model("mobilenet_v2", width=0.25, num_classes=10, small_input=True).eval()
    report = export_onnx(model, tmp_path / "m.onnx", 32, dynamic_batch=False)  # a dynamic batch costs 3x the time
    assert report.max_abs_diff < 1e-4 * max(report.scale, 1e-3)


@pytest.mark.parametrize("name", ["mobilenet_v1", "resnet18", "vgg11", "alexnet"])
def test_small_input_must_be_a_boolean(name):
    with pytest.raises(ValueError, match="small_input must be True or False, got 'yes'"):
        create_model(name, small_input="yes")


def test_lenet_and_nin_are_already_small_image_networks():
    for name in ("lenet5", "nin"):
        assert create_model(name).default_cfg["input_size"][-1] == 32
        with pytest.raises(ValueError):
            create_model(name, small_input=True)
