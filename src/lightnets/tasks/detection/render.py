"""A detection model's prediction on one image, drawn: each box kept above ``min_score`` outlined in its class's
colour and labelled with the class and score, over the image at its own size (torchvision's ``draw_bounding_boxes``).
"""

from __future__ import annotations

from typing import Sequence

import torch
from PIL import Image
from torchvision.transforms.v2.functional import pil_to_tensor, to_pil_image
from torchvision.utils import draw_bounding_boxes

from ...data.dense_transforms import squashed
from ..palette import class_colour

MIN_SCORE = 0.3  # detections drawn and listed; the postprocessing keeps every one above the model's score_thresh


@torch.inference_mode()
def render(model, image: Image.Image, size: int, mean: Sequence[float], std: Sequence[float],
           classes: Sequence[str], min_score: float = MIN_SCORE) -> tuple[Image.Image, dict]:
    """``(drawn image, {"detections": [{"label", "index", "score", "box"}, ...]})``, best first: the boxes found on
    the image squashed to ``size x size`` are scaled back to its own width and height (xyxy pixels)."""
    found = model.postprocess(model(squashed(image, size, mean, std).unsqueeze(0)), (size, size))[0]
    keep = found["scores"] >= min_score
    scale = torch.tensor([image.width / size, image.height / size] * 2)
    boxes, scores, labels = found["boxes"][keep] * scale, found["scores"][keep], found["labels"][keep]
    drawn = pil_to_tensor(image)
    if len(boxes):
        drawn = draw_bounding_boxes(drawn, boxes, [f"{classes[c]} {s:.2f}" for c, s in zip(labels.tolist(),
                                                                                            scores.tolist())],
                                    colors=[class_colour(c) for c in labels.tolist()], width=2)
    detections = [{"label": classes[c], "index": c, "score": s, "box": b}
                  for c, s, b in zip(labels.tolist(), scores.tolist(), boxes.tolist())]
    return to_pil_image(drawn), {"detections": detections}
