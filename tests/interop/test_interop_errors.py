"""Every mistake a user can make when loading reference weights gets a message naming it."""

import pytest
import timm
import torch
import torchvision

from lightnets.interop import identify, load_reference_weights
from lightnets.io import CheckpointError
from lightnets.models import create_model

ARCH = "mobilenetv3_small_100"


@pytest.fixture(scope="module")
def timm_state():
    return timm.create_model(ARCH, pretrained=False).state_dict()


def saved(state, tmp_path):
    path = tmp_path / "ckpt.pth"
    torch.save(state, path)
    return path


@pytest.mark.parametrize(
    "source, arch, expected",
    [
        ("timmm", ARCH, "unknown source 'timmm'; did you mean timm?"),
        ("timm", "mobilenetv3_large", "unknown timm arch 'mobilenetv3_large'; did you mean mobilenetv3_large_100"),
        ("torchvision", "mobilenetv2_100", "arch 'mobilenetv2_100'; 'mobilenetv2_100' is a timm arch"),
        ("timm", "mobilenetv3_small_050", "unknown timm arch 'mobilenetv3_small_050'"),
    ],
)
def test_unknown_source_or_arch_names_it_and_suggests(source, arch, expected):
    with pytest.raises(ValueError) as err:
        load_reference_weights({}, source, arch)
    assert expected in str(err.value) and "valid: " in str(err.value)


def test_missing_key_is_named(timm_state, tmp_path):
    state = dict(timm_state)
    del state["blocks.2.1.se.conv_reduce.weight"]
    with pytest.raises(CheckpointError, match=r"missing \(1\): blocks\.2\.1\.se\.conv_reduce\.weight"):
        load_reference_weights(saved(state, tmp_path), "timm", ARCH)


def test_wrong_shape_names_key_and_both_shapes(timm_state):
    state = dict(timm_state, **{"blocks.1.0.conv_pwl.weight": torch.zeros(25, 72, 1, 1)})
    with pytest.raises(CheckpointError) as err:
        load_reference_weights(state, "timm", ARCH)
    expected = (
        "blocks.1.0.conv_pwl.weight is (25, 72, 1, 1), "
        "lightnets stages.1.0.project.conv.weight needs (24, 72, 1, 1)"
    )
    assert expected in str(err.value)


def test_another_arch_is_recognised(timm_state):
    with pytest.raises(CheckpointError, match="fit timm 'mobilenetv3_small_100'"):
        load_reference_weights(timm_state, "timm", "mobilenetv3_small_075")
    tv_state = torchvision.models.mobilenet_v2(weights=None).state_dict()
    expected = r"(?s)'mobilenetv2_100'; its tensors fit torchvision 'mobilenet_v2':\n.*unexpected \(\d+\): features\.0\.0\."
    with pytest.raises(CheckpointError, match=expected):
        load_reference_weights(tv_state, "timm", "mobilenetv2_100")
    assert identify(tv_state) == [("torchvision", "mobilenet_v2")]


def test_lightnets_state_dict_is_recognised():
    with pytest.raises(CheckpointError, match="already a lightnets state dict"):
        load_reference_weights(create_model("mobilenet_v2").state_dict(), "torchvision", "mobilenet_v2")


def test_file_that_is_not_a_checkpoint(tmp_path):
    text = tmp_path / "notes.pth"
    text.write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match="notes.pth is not a torch checkpoint"):
        load_reference_weights(text, "timm", ARCH)
    empty = tmp_path / "empty.pth"
    empty.write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty.pth is empty \\(0 bytes\\), not a checkpoint"):
        load_reference_weights(empty, "timm", ARCH)
    listing = saved([1, 2, 3], tmp_path)
    with pytest.raises(CheckpointError, match="does not hold a state dict"):
        load_reference_weights(listing, "timm", ARCH)
    with pytest.raises(CheckpointError, match="not found"):
        load_reference_weights(tmp_path / "absent.pth", "timm", ARCH)


def test_non_tensor_values_are_named(timm_state):
    with pytest.raises(CheckpointError, match="'epoch' holds a int, not a tensor"):
        load_reference_weights({**timm_state, "epoch": 3}, "timm", ARCH)


@pytest.mark.parametrize(
    "option, expected",
    [
        ({"in_chans": 4}, "in_chans=4 does not match .* takes 3 input channels"),
        ({"num_classes": 10}, r"num_classes=10 does not match .* a 1000-class classifier.*reset_classifier\(10\)"),
    ],
)
def test_user_values_that_contradict_the_checkpoint(timm_state, option, expected):
    with pytest.raises(ValueError, match=expected):
        load_reference_weights(timm_state, "timm", ARCH, **option)
    load_reference_weights(timm_state, "timm", ARCH, in_chans=3, num_classes=1000)
