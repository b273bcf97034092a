"""A segmentation model's prediction on one image, drawn: each object class's pixels tinted in its colour over the
image at its own size (torchvision's ``draw_segmentation_masks``), with the share of the image each class covers."""

from __future__ import annotations

from typing import Sequence

import torch
from PIL import Image
from torch.nn import functional as F
from torchvision.transforms.v2.functional import pil_to_tensor, to_pil_image
from torchvision.utils import draw_segmentation_masks

from ...data.dense_transforms import squashed
from ..palette import class_colour

ALPHA = 0.55  # the tint's opacity


@torch.inference_mode()
def render(model, image: Image.Image, size: int, mean: Sequence[float], std: Sequence[float],
           classes: Sequence[str]) -> tuple[Image.Image, dict]:
    """``(drawn image, {"classes": [{"label", "index", "pixel_share"}, ...]})``: the logits at ``size`` are resized
    bilinearly to the image's own size before the per-pixel argmax; class 0 (the background) is left untinted and
    unlisted."""
    logits = model(squashed(image, size, mean, std).unsqueeze(0))
    logits = F.interpolate(logits, size=(image.height, image.width), mode="bilinear", align_corners=False)
    mask = logits[0].argmax(0)
    present = [int(c) for c in mask.unique() if c != 0]
    drawn = pil_to_tensor(image)
    if present:
        drawn = draw_segmentation_masks(drawn, torch.stack([mask == c for c in present]), alpha=ALPHA,
                                        colors=[class_colour(c) for c in present])
    total = mask.numel()
    found = [{"label": classes[c], "index": c, "pixel_share": (mask == c).sum().item() / total} for c in present]
    return to_pil_image(drawn), {"classes": sorted(found, key=lambda r: -r["pixel_share"])}
