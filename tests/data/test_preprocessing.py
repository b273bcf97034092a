import json

import pytest

from lightnets.data import DataError, Preprocessing
from lightnets.data.preprocessing import CIFAR10_GRAY_MEAN, CIFAR10_MEAN, CIFAR10_STD


@pytest.mark.parametrize("pre", [
    Preprocessing.cifar(),
    Preprocessing.cifar(input_size=40, in_chans=1),
    Preprocessing(224, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), "bicubic", 0.9),
])
def test_round_trip_through_json(pre):
    d = json.loads(json.dumps(pre.to_dict()))
    assert Preprocessing.from_dict(d) == pre


def test_cifar_factory():
    pre = Preprocessing.cifar()
    assert (pre.input_size, pre.mean, pre.std, pre.style, pre.crop_pct, pre.in_chans) == \
        (32, CIFAR10_MEAN, CIFAR10_STD, "cifar", 1.0, 3)
    grey = Preprocessing.cifar(in_chans=1)
    assert grey.mean == CIFAR10_GRAY_MEAN and len(grey.std) == 1
    with pytest.raises(DataError, match=r"in_chans must be one of \[1, 3\].*got 2"):
        Preprocessing.cifar(in_chans=2)


def test_lists_become_tuples_and_resize_size():
    pre = Preprocessing(224, [0.5, 0.5, 0.5], [0.25, 0.25, 0.25])
    assert pre.mean == (0.5, 0.5, 0.5) and pre.resize_size == 256
    assert hash(pre) == hash(Preprocessing(224, (0.5,) * 3, (0.25,) * 3))


GOOD = Preprocessing.cifar().to_dict()


@pytest.mark.parametrize("change, message", [
    ({"input_size": 0}, r"input_size must be an integer >= 1.*got 0"),
    ({"input_size": "32"}, r"input_size must be an integer >= 1.*got '32'"),
    ({"input_size": True}, r"input_size must be an integer"),
    ({"mean": [0.5, 0.5]}, r"mean must have one value per channel \(in_chans=3\), got 2"),
    ({"mean": "0.5"}, r"mean must be a list of 3 numbers"),
    ({"std": [0.2, 0.0, 0.2]}, r"std values must be > 0, got \[0.2, 0.0, 0.2\]"),
    ({"std": [0.2, float("nan"), 0.2]}, r"std must be a list of 3 numbers"),
    ({"interpolation": "lanczos"}, r"unknown interpolation 'lanczos'; valid: bilinear, bicubic, nearest"),
    ({"style": "coco"}, r"unknown preprocessing style 'coco'; valid: imagenet, cifar"),
    ({"crop_pct": 0}, r"crop_pct must be a number in \(0, 1\].*got 0"),
    ({"crop_pct": 1.2}, r"crop_pct must be a number in \(0, 1\].*got 1.2"),
    ({"in_chans": 4}, r"in_chans must be one of \[1, 3\].*got 4"),
    ({"size": 32}, r"unknown preprocessing field\(s\) size; valid: input_size, mean, std, interpolation"),
])
def test_bad_fields_are_named(change, message):
    with pytest.raises(DataError, match=message):
        Preprocessing.from_dict({**GOOD, **change})


def test_missing_and_non_dict():
    d = dict(GOOD)
    del d["std"], d["input_size"]
    with pytest.raises(DataError, match=r"missing required field\(s\) input_size, std"):
        Preprocessing.from_dict(d)
    minimal = Preprocessing.from_dict({"input_size": 8, "mean": [0.5], "std": [0.5], "in_chans": 1})
    assert (minimal.style, minimal.crop_pct, minimal.interpolation) == ("imagenet", 0.875, "bilinear")
    with pytest.raises(DataError, match="preprocessing must be a dict, got list"):
        Preprocessing.from_dict([32])


def test_from_model_follows_the_models_default_cfg():
    from lightnets import create_model

    model = create_model("mobilenet_v3_small", in_chans=1)
    pre = Preprocessing.from_model(model.default_cfg, model.in_chans, 160)
    assert (pre.input_size, pre.mean, pre.style, pre.crop_pct) == (160, (0.449,), "imagenet", 0.875)
    assert Preprocessing.from_model(create_model("mobilenet_v2").default_cfg, 3).input_size == 224
