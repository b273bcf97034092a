import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader

from lightnets.data import DetectionTransform, SegmentationTransform, VOCSegmentation, detection_collate

MEAN, STD = (0.2, 0.3, 0.4), (0.5, 0.6, 0.7)


def _pixels(image):
    """A normalised tensor back to [0, 1] values."""
    return image * torch.tensor(STD)[:, None, None] + torch.tensor(MEAN)[:, None, None]


def _bbox(region):
    rows, cols = torch.nonzero(region, as_tuple=True)
    return [int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1]


def _scene(box=(8, 4, 24, 16), size=(40, 30)):
    """A black image with a white rectangle at ``box`` (xyxy) and its target."""
    pixels = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    pixels[box[1]:box[3], box[0]:box[2]] = 255
    target = {"boxes": torch.tensor([box], dtype=torch.float32), "labels": torch.tensor([3]), "image_id": 7,
              "orig_size": (size[1], size[0])}
    return Image.fromarray(pixels), target


def test_resize_scales_boxes_exactly():
    image, target = _scene()
    out, resized = DetectionTransform(20, MEAN, STD, train=False)(image, target)
    assert out.shape == (3, 20, 20) and out.dtype == torch.float32 and type(resized["boxes"]) is torch.Tensor
    assert torch.equal(resized["boxes"], torch.tensor([[8 * 0.5, 4 * 2 / 3, 24 * 0.5, 16 * 2 / 3]]))
    assert (resized["labels"].tolist(), resized["image_id"], resized["orig_size"]) == ([3], 7, (30, 40))
    assert torch.allclose(_pixels(out)[:, 0, 0], torch.zeros(3), atol=1e-6)


def test_flipped_box_matches_the_flipped_image():
    image, target = _scene(box=(8, 6, 24, 18), size=(40, 24))
    transform = DetectionTransform(40, MEAN, STD, train=True)  # 40x24 -> 40x40: x unchanged, y * 5/3
    seen = set()
    for seed in range(8):
        torch.manual_seed(seed)
        out, flipped = transform(image, target)
        box = flipped["boxes"][0].tolist()
        seen.add(box[0])
        assert box in ([8, 10, 24, 30], [16, 10, 32, 30])
        assert _bbox(_pixels(out)[0] > 0.5) == [round(v) for v in box]
    assert seen == {8, 16}


def _block_mask(size=(48, 40)):
    """Blocks of classes 1..4, 255 on a thin border, and an image whose red channel is 50 x class."""
    mask = np.zeros((size[1], size[0]), dtype=np.uint8)
    for k, (x, y) in enumerate(((0, 0), (24, 0), (0, 20), (24, 20)), start=1):
        mask[y:y + 20, x:x + 24] = k
    mask[0, :] = 255
    pixels = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    pixels[..., 0] = np.where(mask == 255, 0, mask.astype(np.int32) * 50)
    return Image.fromarray(pixels), Image.fromarray(mask)


def test_segmentation_train_keeps_mask_and_image_aligned_and_pads_with_ignore():
    image, mask = _block_mask()
    transform = SegmentationTransform(32, MEAN, STD, train=True)
    padded = 0
    for seed in range(12):
        torch.manual_seed(seed)
        out, labels = transform(image, mask)
        assert out.shape == (3, 32, 32) and labels.shape == (32, 32) and labels.dtype == torch.int64
        red = _pixels(out)[0] * 255
        padding = (labels == 255) & (red.abs() < 1)
        padded += int(padding.any())
        # away from the blocks' edges (resampling blends neighbours there), the image shows the mask's class
        interior = torch.ones_like(labels, dtype=torch.bool)
        for shift in ((1, 0), (-1, 0), (0, 1), (0, -1), (2, 0), (-2, 0), (0, 2), (0, -2)):
            interior &= torch.roll(labels, shift, (0, 1)) == labels
        interior[[0, -1], :] = interior[:, [0, -1]] = False
        interior &= (labels >= 1) & (labels <= 4)
        assert interior.sum() > 0
        assert torch.allclose(red[interior], labels[interior].float() * 50, atol=6)
    assert padded > 0  # a scale below 1 left part of the crop beyond the image: mask 255 there, image 0


def test_segmentation_eval_is_deterministic_nearest_resize():
    image, mask = _block_mask()
    transform = SegmentationTransform(24, MEAN, STD, train=False)
    first, second = transform(image, mask), transform(image, mask)
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    assert set(first[1].unique().tolist()) == {1, 2, 3, 4, 255}


def test_same_seed_same_draws_in_workers(pasted_scenes):
    data = VOCSegmentation(pasted_scenes, "train", transform=SegmentationTransform(32, MEAN, STD, train=True))

    def batches(seed):
        torch.manual_seed(seed)
        return [b for b in DataLoader(data, batch_size=3, shuffle=True, num_workers=2)]

    first, again, other = batches(0), batches(0), batches(1)
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(first, again))
    assert not torch.equal(first[0][0], other[0][0])


def test_detection_collate():
    image, target = _scene()
    transform = DetectionTransform(16, MEAN, STD, train=False)
    images, targets = detection_collate([transform(image, target), transform(image, {**target, "image_id": 8})])
    assert images.shape == (2, 3, 16, 16) and [t["image_id"] for t in targets] == [7, 8]
