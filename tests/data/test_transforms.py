import numpy as np
import pytest
import torch
from PIL import Image

from lightnets.data import DataError, Preprocessing, eval_transform, mixup_cutmix, train_transform

IMAGENET = Preprocessing(24, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), crop_pct=0.75)


def expected_constant(pre, value):
    mean, std = torch.tensor(pre.mean).view(-1, 1, 1), torch.tensor(pre.std).view(-1, 1, 1)
    return ((torch.tensor(value, dtype=torch.float32).view(-1, 1, 1) / 255 - mean) / std).expand(
        pre.in_chans, pre.input_size, pre.input_size)


@pytest.mark.parametrize("pre, size", [
    (Preprocessing.cifar(), (32, 32)),
    (Preprocessing.cifar(), (50, 40)),
    (IMAGENET, (60, 45)),
])
def test_eval_of_a_constant_image_is_value_minus_mean_over_std(pre, size):
    out = eval_transform(pre)(Image.new("RGB", size, (200, 100, 30)))
    assert type(out) is torch.Tensor and out.dtype == torch.float32
    torch.testing.assert_close(out, expected_constant(pre, (200, 100, 30)))


def test_eval_grey():
    pre = Preprocessing.cifar(input_size=16, in_chans=1)
    out = eval_transform(pre)(Image.new("L", (20, 16), 90))
    torch.testing.assert_close(out, expected_constant(pre, (90,)))


def test_eval_resizes_the_shorter_side_then_centre_crops():
    # 64 x 32 image: left half 0, right half 255. Resize shorter side to 24/0.75 = 32 (a no-op),
    # centre-crop 24 x 24 from x = 20..44: columns 20..31 dark, 32..43 bright.
    pixels = np.zeros((32, 64, 3), np.uint8)
    pixels[:, 32:] = 255
    out = eval_transform(IMAGENET)(Image.fromarray(pixels))
    assert out.shape == (3, 24, 24)
    dark, bright = expected_constant(IMAGENET, (0, 0, 0))[:, 0, 0], expected_constant(IMAGENET, (255,) * 3)[:, 0, 0]
    torch.testing.assert_close(out[:, :, :12], dark.view(3, 1, 1).expand(3, 24, 12))
    torch.testing.assert_close(out[:, :, 12:], bright.view(3, 1, 1).expand(3, 24, 12))


@pytest.mark.parametrize("augment", [None, "randaugment", "trivialaugment"])
@pytest.mark.parametrize("pre", [Preprocessing.cifar(), Preprocessing.cifar(in_chans=1), IMAGENET])
def test_train_shapes(pre, augment):
    mode = "L" if pre.in_chans == 1 else "RGB"
    noise = np.random.default_rng(0).integers(0, 256, (37, 53, 3), dtype=np.uint8)
    transform = train_transform(pre, augment)
    outs = [transform(Image.fromarray(noise).convert(mode)) for _ in range(4)]
    for out in outs:
        assert type(out) is torch.Tensor and out.dtype == torch.float32
        assert out.shape == (pre.in_chans, pre.input_size, pre.input_size)
    assert not all(torch.equal(outs[0], o) for o in outs[1:])  # random


def test_cifar_train_pads_by_reflection():
    # Reflect padding keeps a constant image constant; zero padding would show black borders.
    pre = Preprocessing.cifar()
    transform = train_transform(pre)
    for _ in range(30):
        torch.testing.assert_close(transform(Image.new("RGB", (32, 32), (10, 120, 250))),
                                   expected_constant(pre, (10, 120, 250)))


def test_cifar_train_shifts_by_up_to_4_pixels():
    pixels = np.zeros((32, 32, 3), np.uint8)
    pixels[16, 16] = 255  # one bright pixel; it lands within 4 pixels of the centre (or mirrored)
    pre = Preprocessing.cifar()
    transform = train_transform(pre)
    seen = set()
    for _ in range(200):
        out = transform(Image.fromarray(pixels))[0]
        (y, x), = (out == out.max()).nonzero().tolist()
        assert 12 <= y <= 20 and (12 <= x <= 20 or 11 <= x <= 19)  # x mirrored by the flip: 31 - x
        seen.add((y, x))
    assert len(seen) > 20


def test_unknown_augment_lists_the_valid_ones():
    with pytest.raises(DataError, match=r"unknown augment 'autoaugment'; valid: None .*randaugment, trivialaugment"):
        train_transform(Preprocessing.cifar(), "autoaugment")


def test_mixup_cutmix_off():
    assert mixup_cutmix(10) is None
    assert mixup_cutmix(1, 0.0, 0.0) is None


@pytest.mark.parametrize("mixup, cutmix", [(0.2, 0.0), (0.0, 1.0), (0.8, 1.0)])
def test_mixup_cutmix_soft_labels(mixup, cutmix):
    mixer = mixup_cutmix(5, mixup, cutmix)
    images = torch.randn(8, 3, 16, 16)
    labels = torch.tensor([0, 1, 2, 3, 4, 0, 1, 2])
    for _ in range(5):
        mixed, soft = mixer(images, labels)
        assert mixed.shape == images.shape and soft.shape == (8, 5) and soft.dtype == torch.float32
        torch.testing.assert_close(soft.sum(1), torch.ones(8))
        assert (soft >= 0).all()
        # the weight sits on the image's own label and its partner's (the batch rolled by one)
        partner = labels.roll(1)
        lam = soft[torch.arange(8), labels]
        torch.testing.assert_close(lam + soft[torch.arange(8), partner] * (labels != partner), torch.ones(8))
        if cutmix == 0:  # MixUp: a convex combination of the image and its partner, same lambda
            torch.testing.assert_close(mixed, lam[0] * images + (1 - lam[0]) * images.roll(1, 0))


@pytest.mark.parametrize("args, message", [
    ((10, -0.1), r"mixup_alpha must be a number >= 0.*got -0.1"),
    ((10, 0.0, float("inf")), r"cutmix_alpha must be a number >= 0.*got inf"),
    ((1, 0.2), r"mixing labels needs num_classes >= 2, got 1"),
])
def test_mixup_cutmix_errors(args, message):
    with pytest.raises(DataError, match=message):
        mixup_cutmix(*args)
