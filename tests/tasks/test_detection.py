"""Detection: SSDLite against torchvision's ssdlite320_mobilenet_v3_large with the same weights (raw head outputs,
default boxes, postprocessed detections, the loss), box coding, our exact counts against the published rows, and the
errors for bad input."""

import json
import subprocess
import sys
from dataclasses import dataclass

import pytest
import torch
from torch import nn
from torchvision.models.detection import _utils as tv_det_utils
from torchvision.models.detection import ssdlite320_mobilenet_v3_large
from torchvision.models.detection.image_list import ImageList
from torchvision.ops import box_iou

from lightnets import profile
from lightnets.errors import CheckpointError
from lightnets.interop.detection_keys import convert_state_dict, load_torchvision_detection
from lightnets.tasks.detection import BoxCoder, create_detection_model, list_detection_models
from randomised_bn import randomise_bn

TOLERANCE = 1e-5  # max abs difference of float32 outputs, same weights, same ops
SIZE = 320


class TorchvisionFeaturesAndHead(nn.Module):
    """torchvision's SSD backbone (with its extra layers) and head, without its transform: images in, head out."""

    def __init__(self, ssd: nn.Module):
        super().__init__()
        self.backbone, self.head = ssd.backbone, ssd.head

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.head(list(self.backbone(x).values()))


@pytest.fixture(scope="module")
def reference() -> nn.Module:
    """torchvision's SSDLite320 with seeded random weights and randomised BN everywhere (heads and extras too), its
    transform's normalisation made the identity: it then takes our normalised 320x320 batches as they are (its
    fixed-size resize of a 320x320 image is the identity)."""
    torch.manual_seed(0)
    ssd = ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=91)
    randomise_bn(TorchvisionFeaturesAndHead(ssd), size=SIZE)
    ssd.transform.image_mean, ssd.transform.image_std = [0.0] * 3, [1.0] * 3
    return ssd.eval()


@pytest.fixture(scope="module")
def converted(reference) -> nn.Module:
    return load_torchvision_detection(reference.state_dict()).eval()


@pytest.fixture(scope="module")
def outputs(reference, converted) -> dict:
    """One forward of each model on the same two images."""
    torch.manual_seed(1)
    x = torch.randn(2, 3, SIZE, SIZE)
    with torch.no_grad():
        return {"x": x, "ours": converted(x), "features": list(reference.backbone(x).values()),
                "detections": reference(list(x))}


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape
    return (a - b).abs().max().item()


# --- parity with torchvision ----------------------------------------------------------------------------------------

def test_raw_head_outputs_equal_torchvisions_with_the_same_weights(reference, outputs):
    cls_logits, bbox_regression = outputs["ours"]
    with torch.no_grad():
        expected = reference.head(outputs["features"])
    assert cls_logits.shape == (2, 3234, 91) and bbox_regression.shape == (2, 3234, 4)
    assert max_diff(cls_logits, expected["cls_logits"]) <= TOLERANCE
    assert max_diff(bbox_regression, expected["bbox_regression"]) <= TOLERANCE
    assert expected["cls_logits"].std().item() > 1000 * TOLERANCE  # outputs that vary: parity not by accident


def test_the_six_maps_are_torchvisions_c4_expansion_last_conv_and_extras(converted, outputs):
    with torch.no_grad():
        ours = converted.forward_features(outputs["x"])
    assert [tuple(m.shape[1:]) for m in ours] == [(672, 20, 20), (480, 10, 10), (512, 5, 5), (256, 3, 3),
                                                  (256, 2, 2), (128, 1, 1)]
    for mine, theirs in zip(ours, outputs["features"]):
        assert max_diff(mine, theirs) <= TOLERANCE


@pytest.mark.parametrize("image_size", [(320, 320), (65, 97)], ids=["320", "65x97"])
def test_default_boxes_equal_torchvisions(reference, converted, image_size):
    with torch.no_grad():
        maps = converted.forward_features(torch.zeros(1, 3, *image_size))
    assert converted.grid_sizes(image_size) == [tuple(m.shape[-2:]) for m in maps]
    images = ImageList(torch.zeros(1, 3, *image_size), [image_size])
    expected = reference.anchor_generator(images, maps)[0]
    assert torch.equal(converted.anchors(image_size), expected)


def test_postprocessed_detections_equal_torchvisions(converted, outputs):
    ours = converted.postprocess(outputs["ours"], (SIZE, SIZE))
    for mine, theirs in zip(ours, outputs["detections"]):
        assert mine["labels"].shape[0] == converted.detections_per_img
        assert torch.equal(mine["labels"], theirs["labels"])
        assert max_diff(mine["scores"], theirs["scores"]) <= TOLERANCE
        assert max_diff(mine["boxes"], theirs["boxes"]) <= 1e-3  # pixels: decoded from offsets, then rescaled


def random_targets(generator: torch.Generator, counts=(3, 1)) -> list[dict[str, torch.Tensor]]:
    targets = []
    for k in counts:
        xy = torch.rand(k, 2, generator=generator) * 200
        wh = 20 + torch.rand(k, 2, generator=generator) * 100
        targets.append({"boxes": torch.cat([xy, xy + wh], dim=1),
                        "labels": torch.randint(1, 91, (k,), generator=generator)})
    return targets


def test_the_loss_equals_torchvisions_compute_loss(reference, converted, outputs):
    targets = random_targets(torch.Generator().manual_seed(2))
    cls_logits, bbox_regression = outputs["ours"]
    anchors = converted.anchors((SIZE, SIZE))
    matched = [reference.proposal_matcher(box_iou(t["boxes"], anchors)) for t in targets]
    expected = reference.compute_loss(targets, {"cls_logits": cls_logits, "bbox_regression": bbox_regression},
                                      [anchors] * len(targets), matched)
    ours = converted.loss(outputs["ours"], targets, (SIZE, SIZE))
    assert ours.keys() == expected.keys()
    for key in ours:
        assert ours[key].item() == pytest.approx(expected[key].item(), rel=1e-6)
        assert ours[key].item() > 0
    empty = [{"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}] * 2
    background = converted.loss(outputs["ours"], empty, (SIZE, SIZE))
    assert background["bbox_regression"].item() == 0 and background["classification"].item() == 0


def test_box_coding_equals_torchvisions_and_round_trips():
    generator = torch.Generator().manual_seed(3)
    anchors = torch.cat([torch.rand(50, 2, generator=generator) * 100, 100 + torch.rand(50, 2, generator=generator)
                         * 100], dim=1)
    boxes = anchors + torch.randn(50, 4, generator=generator) * 5
    theirs = tv_det_utils.BoxCoder(weights=(10.0, 10.0, 5.0, 5.0))
    ours = BoxCoder()
    codes = ours.encode(boxes, anchors)
    assert max_diff(codes, theirs.encode_single(boxes, anchors)) <= TOLERANCE
    assert max_diff(ours.decode(codes, anchors), boxes) <= 1e-4
    wild = torch.randn(50, 4, generator=generator) * 20
    assert max_diff(ours.decode(wild, anchors), theirs.decode_single(wild, anchors)) <= 1e-2
    assert torch.isfinite(ours.decode(wild, anchors)).all()


def test_a_state_dict_that_does_not_fit_names_its_keys(reference):
    state = reference.state_dict()
    with pytest.raises(CheckpointError, match=r"wrong shape \(12\): head.classification_head.module_list.0.1.weight "
                                              r"\(546, 672, 1, 1\) \(ours \(66, 672, 1, 1\)\)"):
        convert_state_dict(state, create_detection_model("ssdlite320_mobilenet_v3_large", num_classes=11))
    with pytest.raises(CheckpointError, match=r"reduced_tail=False\): wrong shape"):
        convert_state_dict(state, create_detection_model("ssdlite320_mobilenet_v3_large", reduced_tail=False))
    with pytest.raises(ValueError, match="torchvision has no detection model for lightnets' 'ssdlite_mobilenet_v2'"):
        convert_state_dict(state, create_detection_model("ssdlite_mobilenet_v2"))
