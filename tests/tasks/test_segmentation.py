"""Segmentation: the output-stride backbones, DeepLabv3 / LR-ASPP against torchvision's models with the same weights,
our exact counts against the papers' tables and torchvision's published counts, and the errors for bad input."""

import json
import subprocess
import sys

import pytest
import torch
import torch.fx
import torchvision
from torch import nn
from torchvision.models import segmentation as tv_segmentation

from lightnets import profile
from lightnets.errors import CheckpointError
from lightnets.interop import convert_state_dict as convert_classifier_state_dict
from lightnets.layers import InvertedResidual
from lightnets.interop.segmentation_keys import convert_state_dict, load_torchvision_segmentation
from lightnets.models import create_model, create_model_from_config
from lightnets.tasks.segmentation import create_segmentation_model, list_segmentation_models
from lightnets.tasks.segmentation.metrics import ConfusionMatrix
from lightnets.tasks.segmentation.targets import check_ignore_index, check_target
from published_rows import Published, prints_as, prints_as_row
from randomised_bn import randomise_bn

TOLERANCE = 1e-5  # max abs difference of float32 logits, same weights, same ops
SIZES = [(65, 65), (64, 80)]  # an odd square and a non-square input: upsampling and padding at uneven sizes
TORCHVISION = {"deeplabv3_mobilenet_v3_large": {"aux_loss": False}, "lraspp_mobilenet_v3_large": {}}


@pytest.fixture(scope="module")
def references() -> dict[str, nn.Module]:
    """torchvision's segmentation models with seeded random weights, each built once for the module."""
    torch.manual_seed(0)
    return {name: randomise_bn(getattr(tv_segmentation, name)(weights=None, weights_backbone=None, **options))
            for name, options in TORCHVISION.items()}


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape
    return (a - b).abs().max().item()


# --- output_stride on the backbones -------------------------------------------------------------------------------

def test_output_stride_16_is_torchvisions_dilated_mobilenet_v3_large():
    ref = torchvision.models.mobilenet_v3_large(weights=None, dilated=True)
    ref = randomise_bn(ref)
    ours = create_model("mobilenet_v3_large", output_stride=16, bn_eps=1e-3).eval()
    ours.load_state_dict(convert_classifier_state_dict(ref.state_dict(), "torchvision", "mobilenet_v3_large"))
    x = torch.randn(2, 3, 65, 65)
    with torch.no_grad():
        features = ours.forward_features(x)
        assert features.shape[-2:] == (5, 5)  # ceil(65 / 16)
        assert max_diff(features, ref.features(x)) <= TOLERANCE
    assert [info["reduction"] for info in ours.feature_info] == [2, 4, 8, 16, 16, 16]


def dw_strides_and_dilations(model) -> list[tuple[int, int]]:
    return [(b.dw.conv.stride[0], b.dw.conv.dilation[0]) for stage in model.stages for b in stage]


@pytest.mark.parametrize("output_stride, reductions, tail", [
    # MobileNetV2's seven stages; its stride-2 bottlenecks open stages 1, 2, 3 and 5 (Table 2). Tail: the
    # (stride, dilation) of the depthwise convs of stages 3 to 6 (4 + 3 + 3 + 1 blocks)
    (32, [2, 4, 8, 16, 16, 32, 32], [(2, 1)] + [(1, 1)] * 6 + [(2, 1)] + [(1, 1)] * 3),
    (16, [2, 4, 8, 16, 16, 16, 16], [(2, 1)] + [(1, 1)] * 6 + [(1, 2)] * 4),
    (8, [2, 4, 8, 8, 8, 8, 8], [(1, 2)] * 7 + [(1, 4)] * 4),
])
def test_output_stride_removes_strides_and_dilates_from_there_on(output_stride, reductions, tail):
    with torch.device("meta"):
        model = create_model("mobilenet_v2", output_stride=output_stride)
        default = create_model("mobilenet_v2")
    assert [info["reduction"] for info in model.feature_info] == reductions
    assert model.total_stride == reductions[-1]
    assert dw_strides_and_dilations(model)[-11:] == tail
    assert {k: v.shape for k, v in model.state_dict().items()} == {k: v.shape for k, v in default.state_dict().items()}
    assert (repr(model) == repr(default)) == (output_stride == 32)


def test_output_stride_maps_and_checkpoint_config():
    model = create_model("mobilenet_v3_small", output_stride=8).eval()
    with torch.no_grad():
        assert model.forward_features(torch.randn(1, 3, 64, 64)).shape[-2:] == (8, 8)
    config = json.loads(json.dumps(model.config))
    assert config["output_stride"] == 8
    assert repr(create_model_from_config(config)) == repr(model)


@pytest.mark.parametrize("value", [4, 12, 64, 16.0, "16", True, None])
def test_an_invalid_output_stride_is_refused_naming_it(value):
    with pytest.raises(ValueError, match=rf"output_stride must be one of 8, 16, 32 .*got {value!r}"):
        create_model("mobilenet_v3_large", output_stride=value)


def test_mixconv_kernels_take_no_dilation():
    with pytest.raises(ValueError, match=r"dilation=2 applies to a single-kernel depthwise conv, not to MixConv's "
                                         r"kernels \(3, 5\)"):
        InvertedResidual(8, 8, 16, (3, 5), dilation=2)


def test_output_stride_and_small_input_exclude_each_other():
    with pytest.raises(ValueError, match="output_stride=16 applies to the ImageNet strides; small_input=True"):
        create_model("mobilenet_v2", output_stride=16, small_input=True)


# --- parity with torchvision ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_outputs_equal_torchvisions_with_the_same_weights(name, size, references):
    ref = references[name]
    model = load_torchvision_segmentation(ref.state_dict(), name).eval()
    x = torch.randn(2, 3, *size)
    with torch.no_grad():
        out, expected = model(x), ref(x)["out"]
    assert out.shape == (2, 21, *size)
    print(f"{name} {size[0]}x{size[1]}: max abs diff {max_diff(out, expected):.3g}")
    assert max_diff(out, expected) <= TOLERANCE
    assert expected.std().item() > 1000 * TOLERANCE  # logits that vary: a parity that could not pass by accident


def test_parity_catches_the_stage_output_as_low_level_features_and_a_wrong_backbone_eps(references):
    """LR-ASPP's skip connection reads the first stride-8 block (torchvision's "C2"), not the stage's last block,
    and torchvision's MobileNetV3 BatchNorm eps is 1e-3: either change must break parity."""
    ref = references["lraspp_mobilenet_v3_large"]
    x = torch.randn(2, 3, 65, 65)
    with torch.no_grad():
        expected = ref(x)["out"]
        model = load_torchvision_segmentation(ref.state_dict(), "lraspp_mobilenet_v3_large").eval()
        assert model.low_level == (2, 0)
        model.low_level = (2, 2)  # same 40 channels, same stride, one block later
        assert max_diff(model(x), expected) > 100 * TOLERANCE
        model = load_torchvision_segmentation(ref.state_dict(), "lraspp_mobilenet_v3_large").eval()
        for module in model.backbone.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.eps = 1e-5
        assert max_diff(model(x), expected) > 100 * TOLERANCE


def test_a_state_dict_that_does_not_fit_names_its_keys(references):
    state = references["deeplabv3_mobilenet_v3_large"].state_dict()
    model = create_segmentation_model("deeplabv3_mobilenet_v3_large")
    with_aux = {**state, "aux_classifier.4.bias": torch.zeros(21)}
    with pytest.raises(CheckpointError, match=r"unexpected \(1\): aux_classifier.4.bias"):
        convert_state_dict(with_aux, model)
    with pytest.raises(CheckpointError, match=r"wrong shape \(2\): classifier.4.weight \(21, 256, 1, 1\) "
                                              r"\(ours \(19, 256, 1, 1\)\)"):
        convert_state_dict(state, create_segmentation_model("deeplabv3_mobilenet_v3_large", num_classes=19))
    with pytest.raises(ValueError, match="torchvision has no segmentation model for lightnets' "
                                         "'deeplabv3_mobilenet_v2'"):
        convert_state_dict(state, create_segmentation_model("deeplabv3_mobilenet_v2"))


# --- counts against published numbers -------------------------------------------------------------------------------

# Table numbers of the latest revisions (MobileNetV2's Table 7 is Table 6 in earlier ones, with the same numbers)
MNV2 = "MobileNetV2, arXiv:1801.04381, Section 6.3, Table 7 (PASCAL VOC 2012 val, 21 classes, 512x512 images)"
MNV3 = "MobileNetV3, arXiv:1905.02244, Section 6.3, Table 7 (Cityscapes val, 19 classes, 1024x2048)"
MNV3_TEST = "MobileNetV3, arXiv:1905.02244, Table 8 (Cityscapes test, 19 classes, MAdds (f) at 1024x2048)"
TV = "torchvision 0.29 weights meta (COCO_WITH_VOC_LABELS_V1): num_params, _ops (GMACs at 520x520)"
TABLE7_UNEXPLAINED = ("the params print as the paper's (the head: ASPP's branches, projection and classifier on the "
                      "320-channel map, 3x3 atrous convs not separable); tried for the MAdds: 512 and DeepLab's 513 "
                      "crop (513: 2,740,709,056 without ASPP, 5,363,508,928 with); at 513 the ASPP row would print "
                      "as 5.8B with MobileNetV2's 320->1280 final conv counted (446,054,400 MACs at 33x33), but the "
                      "row without ASPP then would not (3.19B); the gap is unexplained")
MF = "OS 8 rows are multi-scale + flipped inputs (MF): the printed MAdds sum many passes, not one"
RF2_UNEXPLAINED = ("RF2 halves the last stage's outputs, its later expansions and the final 1x1 conv (TF-slim's "
                   "V3_LARGE_DETECTION, torchvision's reduced_tail); tried, by arithmetic: the high-level map taken "
                   "before the final conv (1,605,118 params, still above 1.51M); the paper's 49x49 pooling, stride "
                   "(16, 20), instead of the global pool adds 184,320 MACs; the gap is unexplained")

PUBLISHED = [
    Published(MNV2, "MNet V2*, OS 16, ASPP", "deeplabv3_mobilenet_v2", {"output_stride": 16, "aspp": True}, 512,
              4.52, 5.8, 4_523_541, 5_070_209_024, TABLE7_UNEXPLAINED),
    Published(MNV2, "MNet V2*, OS 8, ASPP, MF", "deeplabv3_mobilenet_v2", {"output_stride": 8, "aspp": True}, 512,
              4.52, None, 4_523_541, 18_429_919_232, MF),
    Published(MNV2, "MNet V2*, OS 16, no ASPP", "deeplabv3_mobilenet_v2", {"output_stride": 16, "aspp": False}, 512,
              2.11, 2.75, 2_113_557, 2_603_958_272, TABLE7_UNEXPLAINED),
    Published(MNV2, "MNet V2*, OS 8, no ASPP, MF", "deeplabv3_mobilenet_v2", {"output_stride": 8, "aspp": False},
              512, 2.11, None, 2_113_557, 8_564_916_224, MF),
    Published(MNV3, "row 8: V3, RF2, LR-ASPP, F=128", "lraspp_mobilenet_v3_large",
              {"num_classes": 19, "reduced_tail": True, "channels": 128}, (1024, 2048),
              1.51, 9.74, 1_746_878, 9_915_229_056, RF2_UNEXPLAINED),
    Published(MNV3_TEST, "V3, OS 32 (row 8's model without atrous convolution)", "lraspp_mobilenet_v3_large",
              {"num_classes": 19, "reduced_tail": True, "output_stride": 32}, (1024, 2048),
              None, 7.74, 1_746_878, 7_777_117_056, RF2_UNEXPLAINED),
    Published(TV, "lraspp_mobilenet_v3_large", "lraspp_mobilenet_v3_large", {}, 520,
              3.221538, 2.086, 3_221_538, 2_086_219_688),
]


@pytest.mark.parametrize("row", PUBLISHED, ids=lambda r: f"{r.name}|{r.row}")
def test_counts_against_published_rows(row):
    with torch.device("meta"):
        model = create_segmentation_model(row.name, **row.options)
    counted = profile(model, row.size)
    print(f"{row.row}: ours {counted.params:,} params, {counted.macs:,} MACs; printed {row.params_m}M, {row.macs_b}B")
    assert (counted.params, counted.macs) == (row.params, row.macs)
    assert prints_as_row(row) == (not row.why or row.why == MF), \
        "a row that prints as ours needs no note; one that does not needs one"


def test_deeplabv3_mobilenet_v3_large_is_torchvisions_count_less_its_aux_head():
    """torchvision's published count includes its aux head (FCNHead on the 40-channel stride-8 features: a 3x3 conv
    to 40 // 4 = 10 channels without bias, BN, a 1x1 conv to 21 classes with bias), which ours leaves out."""
    with torch.device("meta"):
        model = create_segmentation_model("deeplabv3_mobilenet_v3_large")
    counted = profile(model, 520)
    aux_params = 40 * 10 * 9 + 2 * 10 + 10 * 21 + 21
    aux_macs = 65 * 65 * (40 * 10 * 9 + 10 * 21)  # at 520 / 8 = 65
    assert counted.params == 11_029_328 - aux_params == 11_025_477
    assert counted.macs == 10_436_350_688 and prints_as((counted.macs + aux_macs) / 1e9, 10.452)


# --- the model and its errors ---------------------------------------------------------------------------------------

def test_the_config_rebuilds_the_model():
    with torch.device("meta"):
        model = create_segmentation_model("deeplabv3_mobilenet_v2", aspp=False, output_stride=8, num_classes=5)
        rebuilt = create_segmentation_model(**json.loads(json.dumps(model.config)))
    assert model.config["name"] == "deeplabv3_mobilenet_v2" and model.output_stride == 8
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == {k: v.shape for k, v in model.state_dict().items()}
    assert repr(rebuilt) == repr(model)


def test_forward_gives_one_map_of_class_scores_at_the_input_size():
    model = create_segmentation_model("deeplabv3_mobilenet_v2", num_classes=3).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, 65, 65)).shape == (1, 3, 65, 65)


def test_the_model_traces_with_fx_and_exports():
    model = create_segmentation_model("lraspp_mobilenet_v3_large").eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        expected = model(x)
        assert torch.equal(torch.fx.symbolic_trace(model)(x), expected)
        assert torch.equal(torch.export.export(model, (x,)).module()(x), expected)


@pytest.mark.parametrize("num_classes", [0, -1, True, 2.5])
def test_num_classes_below_one_is_refused_naming_it(num_classes):
    with pytest.raises(ValueError, match=rf"num_classes must be an integer >= 1 .*got {num_classes!r}"):
        create_segmentation_model("lraspp_mobilenet_v3_large", num_classes=num_classes)


def test_invalid_output_strides_are_refused_naming_them():
    with pytest.raises(ValueError, match="output_stride must be 8 or 16 for Mobile DeepLabv3.*got 32"):
        create_segmentation_model("deeplabv3_mobilenet_v2", output_stride=32)
    with pytest.raises(ValueError, match="output_stride must be one of 8, 16, 32 .*got 4"):
        create_segmentation_model("lraspp_mobilenet_v3_large", output_stride=4)


def test_an_input_smaller_than_the_output_stride_is_refused_naming_its_size():
    model = create_segmentation_model("lraspp_mobilenet_v3_large").eval()
    with pytest.raises(ValueError, match="input 15x40 is smaller than the network's total stride 16; use at least "
                                         "16x16"):
        model(torch.randn(1, 3, 15, 40))


def test_an_unknown_name_suggests_close_ones():
    with pytest.raises(ValueError, match="unknown segmentation model 'lraspp_mobilenet_v3'; did you mean "
                                         "lraspp_mobilenet_v3_large"):
        create_segmentation_model("lraspp_mobilenet_v3")


@pytest.mark.parametrize("ignore_index, message", [
    (3, "ignore_index=3 is one of the 21 classes (0 to 20)"),
    (0, "ignore_index=0 is one of the 21 classes"),
    (2.0, "ignore_index must be an integer"),
])
def test_an_ignore_index_that_is_a_class_is_refused_naming_it(ignore_index, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_ignore_index(ignore_index, 21)


def test_labels_outside_the_classes_and_the_ignore_index_are_refused_naming_them():
    assert check_ignore_index(255, 21) == 255 and check_ignore_index(-1, 21) == -1
    check_target(torch.tensor([[0, 20], [255, 3]]), 21, 255)
    with pytest.raises(ValueError, match="label 21 is out of range: the labels must be classes 0 to 20 or the "
                                         "ignore index 255"):
        check_target(torch.tensor([[0, 21], [255, 3]]), 21, 255)
    with pytest.raises(ValueError, match="label 255 is out of range: the labels must be classes 0 to 20$"):
        check_target(torch.tensor([255]), 21, None)


def test_listing_the_segmentation_models_imports_no_torch():
    code = ("import json, sys\nfrom lightnets.tasks.segmentation import list_segmentation_models\n"
            "print(json.dumps([list_segmentation_models(), 'torch' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    names, imported_torch = json.loads(out.splitlines()[-1])
    assert names == list_segmentation_models() == ["deeplabv3", "deeplabv3_mobilenet_v2",
                                                   "deeplabv3_mobilenet_v3_large", "lraspp",
                                                   "lraspp_mobilenet_v3_large"]
    assert not imported_torch


# --- mIoU -----------------------------------------------------------------------------------------------------------

def test_miou_of_a_hand_computed_case():
    """Labels and predictions of six pixels, one of them ignored (255), three classes of which class 2 occurs
    nowhere. Confusion (rows labelled, columns predicted): class 0 [1, 1, 0], class 1 [1, 2, 0]. IoU: class 0
    1 / (2 + 2 - 1) = 1/3, class 1 2 / (3 + 3 - 2) = 1/2, class 2 none; mIoU = (1/3 + 1/2) / 2 = 5/12."""
    target = torch.tensor([[[0, 0, 1], [1, 255, 1]]])
    prediction = torch.tensor([[[0, 1, 1], [0, 2, 1]]])  # class 2 predicted only on the ignored pixel
    metric = ConfusionMatrix(3, ignore_index=255)
    metric.update(prediction, target)
    assert metric.matrix.tolist() == [[1, 1, 0], [1, 2, 0], [0, 0, 0]]
    iou = metric.iou()
    assert iou[:2].tolist() == [1 / 3, 1 / 2] and torch.isnan(iou[2])
    assert metric.miou() == pytest.approx(5 / 12, abs=1e-12)
    scores = torch.nn.functional.one_hot(prediction, 3).permute(0, 3, 1, 2).float()  # the same, as class scores
    metric.update(scores, target)
    assert metric.matrix.tolist() == [[2, 2, 0], [2, 4, 0], [0, 0, 0]] and metric.miou() == pytest.approx(5 / 12)


def test_miou_refuses_bad_labels_and_shapes():
    with pytest.raises(ValueError, match="ignore_index=1 is one of the 3 classes"):
        ConfusionMatrix(3, ignore_index=1)
    metric = ConfusionMatrix(3)
    with pytest.raises(ValueError, match="label 7 is out of range"):
        metric.update(torch.tensor([[0, 1]]), torch.tensor([[0, 7]]))
    with pytest.raises(ValueError, match=r"predictions \(1, 3\) and labels \(1, 2\)"):
        metric.update(torch.tensor([[0, 1, 2]]), torch.tensor([[0, 1]]))
    with pytest.raises(ValueError, match=r"class scores must be \(N, 3, H, W\), got \(1, 2, 4, 4\)"):
        metric.update(torch.randn(1, 2, 4, 4), torch.zeros(1, 4, 4, dtype=torch.long))
