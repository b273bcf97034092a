"""``deeplabv3``, ``lraspp`` and ``ssdlite`` on any registered classifier (``backbone=``): the heads read the stage
outputs ``features_only`` gives, SSDLite's default boxes fit whatever map sizes the backbone makes, the models
rebuild from their checkpoints, and a backbone that cannot serve is refused with the reason."""

from __future__ import annotations

import pytest
import torch

from lightnets.checkpoint import load_checkpoint, save_model
from lightnets.io import CheckpointError
from lightnets.models import create_model
from lightnets.tasks.detection import create_detection_model
from lightnets.tasks.backbones import init_backbone
from lightnets.tasks.segmentation import create_segmentation_model

BACKBONES = ["mobilenet_v1", "resnet18", "shufflenet_v2_x1_0", "efficientnet_b0"]


def narrow(backbone: str) -> float:
    return 1.0 if backbone.startswith("shufflenet") else 0.25


@pytest.mark.parametrize("backbone", BACKBONES)
def test_lraspp_reads_the_stage_outputs_features_only_gives(backbone):
    torch.manual_seed(0)
    model = create_segmentation_model("lraspp", backbone=backbone, width=narrow(backbone), num_classes=5).eval()
    reductions = [info["reduction"] for info in model.backbone.feature_info]
    low = max(i for i, r in enumerate(reductions) if r == 8)
    features = create_model(backbone, width=narrow(backbone), num_classes=0, features_only=True,
                            out_indices=(low, len(reductions) - 1)).eval()
    features.load_state_dict({k.removeprefix("backbone."): v for k, v in model.state_dict().items()
                              if k.startswith("backbone.")})
    x = torch.randn(2, 3, 96, 128)
    with torch.no_grad():
        ours, expected = model.forward_features(x), features(x)
        out = model(x)
    assert len(ours) == 2 and all(torch.equal(a, b) for a, b in zip(ours, expected))
    assert out.shape == (2, 5, 96, 128)
    assert [tuple(m.shape[-2:]) for m in ours] == [(12, 16), (3, 4)]


@pytest.mark.parametrize("backbone", BACKBONES)
def test_deeplabv3_reads_the_last_stage_and_scales_asppss_rates_to_its_stride(backbone):
    model = create_segmentation_model("deeplabv3", backbone=backbone, width=narrow(backbone), num_classes=3).eval()
    rates = [branch.conv.dilation[0] for branch in model.head.aspp.atrous]
    assert rates == [3, 6, 9]  # (6, 12, 18) at output stride 16, halved at the backbone's 32
    with torch.no_grad():
        assert model(torch.randn(1, 3, 64, 64)).shape == (1, 3, 64, 64)


def test_a_dilating_backbone_takes_output_stride_and_the_rates_follow():
    model = create_segmentation_model("deeplabv3", backbone="mobilenet_v2", width=0.25, output_stride=8)
    assert model.output_stride == 8
    assert [branch.conv.dilation[0] for branch in model.head.aspp.atrous] == [12, 24, 36]


@pytest.mark.parametrize("backbone", BACKBONES + ["inception_v3"])
def test_ssdlite_lays_its_default_boxes_on_the_maps_the_backbone_makes(backbone):
    """inception_v3's unpadded convs give 18x18 and 8x8 at strides 16 and 32 of a 320 input, not 20 and 10."""
    width = narrow(backbone)
    model = create_detection_model("ssdlite", backbone=backbone, width=width, num_classes=4).eval()
    stages = create_model(backbone, width=width, num_classes=0).feature_info
    first = max(i for i, info in enumerate(stages) if info["reduction"] == 16)
    assert model.tap == (first, None) and model.final_conv is None
    size = (320, 320) if backbone == "inception_v3" else (96, 160)
    x = torch.randn(1, 3, *size)
    with torch.no_grad():
        maps = model.forward_features(x)
        cls_logits, boxes = model(x)
    assert model.grid_sizes(size) == [tuple(m.shape[-2:]) for m in maps]
    assert [m.shape[1] for m in maps[:2]] == [stages[first]["num_chs"], stages[-1]["num_chs"]]
    assert cls_logits.shape == (1, model.anchors(size).shape[0], 4) and boxes.shape[:2] == cls_logits.shape[:2]
    if backbone == "inception_v3":
        assert model.grid_sizes(size)[:2] == [(18, 18), (8, 8)]
    assert len(model.postprocess((cls_logits, boxes), size)) == 1


def test_finding_the_map_sizes_leaves_weights_and_bn_statistics_alone():
    model = create_detection_model("ssdlite", backbone="mobilenet_v1", width=0.25, num_classes=3).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert model.grid_sizes((64, 64)) == [(4, 4), (2, 2), (1, 1), (1, 1), (1, 1), (1, 1)]
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert model.training


@pytest.mark.parametrize("name, create", [("lraspp", create_segmentation_model), ("ssdlite", create_detection_model)])
def test_a_model_on_any_backbone_rebuilds_from_its_checkpoint(tmp_path, name, create):
    torch.manual_seed(0)
    model = create(name, backbone="resnet18", width=0.25, num_classes=3,
                   backbone_kwargs={"bn_eps": 1e-3}).eval()
    assert model.config["backbone"] == "resnet18" and model.config["backbone_kwargs"] == {"bn_eps": 1e-3}
    path = tmp_path / "model.pth"
    save_model(model, path)
    loaded, _ = load_checkpoint(path)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        expected, got = model(x), loaded.eval()(x)
    assert loaded.config == model.config
    expected, got = (expected, got) if name == "lraspp" else (expected[0], got[0])
    assert torch.equal(expected, got)


@pytest.mark.parametrize("kwargs, message", [
    ({"backbone": "resnet_18"}, r"backbone 'resnet_18' is not registered"),
    ({"backbone": "lraspp_mobilenet_v3_large"}, r"is a dense model, not a classifier"),
    ({"backbone": "resnet18", "output_stride": 16}, r"resnet18 cannot dilate .*mobilenet_v2"),
    ({"backbone": "resnet18", "backbone_kwargs": {"num_classes": 5}}, r"must not hold 'num_classes'"),
    ({"backbone": "resnet18", "backbone_kwargs": ["bn_eps"]}, r"must be a dict"),
    ({"backbone": "lenet5"}, r"'lenet5' has no stage at output stride 8 for LR-ASPP's low-level features "
                             r"\(its stages' strides: 2, 4\)"),
])
def test_a_backbone_that_cannot_serve_is_refused_with_the_reason(kwargs, message):
    with pytest.raises(ValueError, match=message):
        create_segmentation_model("lraspp", **kwargs)


def test_ssdlite_needs_a_backbone_that_reaches_stride_32():
    with pytest.raises(ValueError, match=r"'squeezenet1_1' ends at output stride 16, not 32"):
        create_detection_model("ssdlite", backbone="squeezenet1_1")


def test_a_classifiers_weights_become_the_backbone_and_the_final_conv_where_it_is_read():
    torch.manual_seed(0)
    classifier = create_model("mobilenet_v3_large", width=0.25, num_classes=7)
    model = create_segmentation_model("lraspp_mobilenet_v3_large", width=0.25, num_classes=3)
    head = {k: v.clone() for k, v in model.state_dict().items() if k.startswith("head.")}
    said = init_backbone(model, classifier)
    ours = model.state_dict()
    for key, value in classifier.state_dict().items():
        if not key.startswith("head."):
            assert torch.equal(ours[key if key.startswith("final_conv.") else f"backbone.{key}"], value), key
    assert all(torch.equal(ours[k], v) for k, v in head.items())
    assert said.startswith("backbone: ") and said.endswith("tensors of mobilenet_v3_large copied (not read: head)")


def test_a_classifier_of_another_shape_is_refused_naming_the_tensors():
    classifier = create_model("mobilenet_v3_large", width=0.25, num_classes=7)
    reduced = create_detection_model("ssdlite320_mobilenet_v3_large", width=0.25, num_classes=3)
    with pytest.raises(CheckpointError, match=r"does not fit ssdlite320_mobilenet_v3_large's backbone \(from the "
                                              r"mobilenet_v3_large classifier; its last stage halved, "
                                              r"reduced_tail=True: reduced_tail=false reads a classifier's full "
                                              r"one\): wrong shape \(48\): stages.5.0.project.conv.weight "
                                              r"\(40, 192, 1, 1\) \(ours \(20, 192, 1, 1\)\)"):
        init_backbone(reduced, classifier)
    with pytest.raises(CheckpointError, match=r"does not fit lraspp's backbone \(from the mobilenet_v3_large "
                                              r"classifier\): missing \(\d+\)"):
        init_backbone(create_segmentation_model("lraspp", backbone="resnet18", width=0.25), classifier)
