"""SSDLite (MobileNetV2 paper, arXiv:1801.04381, Section 6.2; MobileNetV3 paper, arXiv:1905.02244, Section 6.2):
single-shot detection from six feature maps of a lightnets backbone, with depthwise separable prediction heads.

The maps: the output of the expansion 1x1 conv of the first stride-32 block (output stride 16; torchvision's "C4",
the MobileNetV2 paper's "expansion of layer 15"), the final 1x1 conv's output (output stride 32), and four extra
layers (:class:`~.heads.ExtraBlock`) of 512, 256, 256 and 128 channels, each halving the resolution. Each map gets
``2 + 2 * 2 = 6`` default boxes a cell (:mod:`.default_boxes`), so a 320x320 image has 3,234 of them
(20^2 + 10^2 + 5^2 + 3^2 + 2^2 + 1^2 cells).

``forward(images)`` takes a batch already resized and normalised by our transforms
(:class:`~lightnets.data.dense_transforms.DetectionTransform`, mean and std from ``default_cfg``): unlike
torchvision's ``SSD`` there is no ``GeneralizedRCNNTransform`` inside the model, so it is one tensor in, two
tensors out, in training and evaluation alike: ``(cls_logits (N, A, num_classes), bbox_regression (N, A, 4))``, the
raw outputs of torchvision's SSDLite head. :meth:`SSDLite.postprocess` turns them into boxes, scores and labels in
the input's pixels, :meth:`SSDLite.loss` into SSD's losses (:mod:`.loss`). Classes follow torchvision: label 0 is
the background, so ``num_classes`` counts it (91 for COCO's category ids 1..90).

``ssdlite320_mobilenet_v3_large`` is torchvision's model of that name: MobileNetV3-Large with BatchNorm eps 1e-3 and
momentum 0.03 (TF's decay 0.97), the reduced tail (RF2, the paper's Table 6 "†", torchvision's choice when the
backbone is not ImageNet-trained, and so the backbone of its COCO weights), and N(0, 0.03^2) initial conv weights
everywhere (torchvision's ``_normal_init`` for a backbone without weights). ``ssdlite_mobilenet_v2`` is the
MobileNetV2 paper's SSDLite with the same heads, extra layers and default boxes (torchvision has no such model).
``width`` scales the backbone and, with TF's ``min_depth`` 16, the extra layers (torchvision keeps them at width 1).
``ssdlite`` is the same detector on any registered classifier (``backbone=``): its first two maps are the stage
outputs ``features_only`` gives at output strides 16 and 32.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn
from torch.nn import functional as F
from torchvision.ops import batched_nms, clip_boxes_to_image

from ...models import FeatureNet, LightNet, model_builder
from ...models.base import feature_map
from ...models.tracing import is_tracing
from ..backbones import classifier_backbone, last_stage_at, reduced_tail_widths
from .box_coding import BoxCoder
from .default_boxes import DefaultBoxes
from .heads import ExtraBlock, SSDLiteHead, normal_init
from .loss import check_targets, ssd_loss

INPUT_SIZE = 320
EXTRA_WIDTHS = (512, 256, 256, 128)
MIN_DEPTH = 16  # TF's SSD feature map generator: extra layers keep at least 16 channels at any width
ASPECT_RATIOS = ((2, 3),) * 6
MIN_RATIO, MAX_RATIO = 0.2, 0.95
BN_EPS, BN_MOMENTUM = 1e-3, 0.03
TAP_STRIDE = 32  # the first block reaching this stride is tapped at its expansion (output stride 16)
MEAN = STD = (0.5, 0.5, 0.5)  # torchvision's SSDLite normalisation: [0, 1] pixels to [-1, 1]


class SSDLite(nn.Module):
    """The stem and stages of ``classifier`` (``backbone``), its ``final_conv``, the ``extras`` and the ``head``.

    ``expansion_tap=True`` reads the papers' maps of a MobileNet: the expansion of the first stride-32 block
    (``tap`` = (stage, 0)) and the final conv's output. ``expansion_tap=False`` reads the stage outputs of any
    backbone: the last stage at output stride 16 (``tap`` = (stage, None)) and the last stage, at 32.

    ``score_thresh``, ``nms_thresh``, ``detections_per_img`` and ``topk_candidates`` (per class, before NMS) are
    torchvision's SSDLite320 postprocessing. An ONNX export (``lightnets export``) holds the network up to its raw
    outputs, named ``output_names``; decoding against the default boxes and NMS (:meth:`postprocess`) run outside
    the graph, as on phones, where the runtime's own NMS op follows the network."""

    output_names = ("cls_logits", "bbox_regression")

    def __init__(self, classifier: LightNet, num_classes: int, *, extra_widths: Sequence[int],
                 expansion_tap: bool = True, bn_eps: float = BN_EPS, score_thresh: float = 0.001,
                 nms_thresh: float = 0.55, detections_per_img: int = 300, topk_candidates: int = 300):
        super().__init__()
        self.backbone = FeatureNet(classifier)
        if expansion_tap:
            stage = next(i for i, info in enumerate(classifier.feature_info) if info["reduction"] == TAP_STRIDE)
            self.tap: tuple[int, int | None] = (stage, 0)
            tap = classifier.stages[stage][0]
            if tap.expand is None or tap.has_shortcut:
                raise ValueError(f"stages.{stage}.0 must have an expansion conv and no shortcut to be SSDLite's C4 "
                                 f"tap")
            self.final_conv = classifier.final_conv
            first, last = tap.expand.conv.out_channels, self.final_conv.conv.out_channels
        else:
            stage = last_stage_at(classifier, TAP_STRIDE // 2, "SSDLite's first map")
            if classifier.feature_info[-1]["reduction"] != TAP_STRIDE:
                raise ValueError(f"backbone {classifier.config.get('name')!r} ends at output stride "
                                 f"{classifier.feature_info[-1]['reduction']}, not {TAP_STRIDE}: SSDLite's second "
                                 f"map is the last stage's output at stride {TAP_STRIDE}")
            self.tap, self.final_conv = (stage, None), None
            first, last = classifier.feature_info[stage]["num_chs"], classifier.feature_info[-1]["num_chs"]
        widths = [first, last, *extra_widths]
        self.extras = nn.ModuleList(ExtraBlock(cin, cout, bn_eps) for cin, cout in zip(widths[1:], widths[2:]))
        self.default_boxes = DefaultBoxes(ASPECT_RATIOS, MIN_RATIO, MAX_RATIO)
        self.head = SSDLiteHead(widths, self.default_boxes.num_anchors_per_location(), num_classes, bn_eps)
        self.box_coder = BoxCoder()
        self.score_thresh, self.nms_thresh = score_thresh, nms_thresh
        self.detections_per_img, self.topk_candidates = detections_per_img, topk_candidates
        self.num_classes = num_classes
        self.in_chans = classifier.in_chans
        self.min_input = self.backbone.min_input
        self.default_cfg = {**classifier.default_cfg, "input_size": (self.in_chans, INPUT_SIZE, INPUT_SIZE),
                            "mean": MEAN, "std": STD, "crop_pct": 1.0, "num_classes": num_classes}
        self.config: dict[str, Any] = {}  # the builder's name and arguments (model_builder)
        self._grids: dict[tuple[int, int], list[tuple[int, int]]] = {}  # grid_sizes by input size

    def check_input(self, x: torch.Tensor) -> None:
        """Raise a clear error for an input the backbone cannot take (smaller than its total stride 32)."""
        self.backbone.check_input(x)

    def forward_features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The six maps the head reads. A tapped block runs part by part (expansion, depthwise, SE, projection)
        because its expansion's output is a map; it has no shortcut. The other stages run whole."""
        maps = []
        x = self.backbone.stem(x)
        tap_stage, tap_block = self.tap
        for i, stage in enumerate(self.backbone.stages):
            if i != tap_stage or tap_block is None:
                x = stage(x)
                if i == tap_stage:
                    maps.append(feature_map(x))
                continue
            for j, block in enumerate(stage):
                if j != tap_block:
                    x = block(x)
                    continue
                x = block.expand(x)
                maps.append(x)
                x = block.dw(x)
                x = x if block.se is None else block.se(x)
                x = block.project(x)
        x = feature_map(x)
        x = x if self.final_conv is None else self.final_conv(x)
        maps.append(x)
        for extra in self.extras:
            x = extra(x)
            maps.append(x)
        return maps

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(cls_logits (N, A, num_classes), bbox_regression (N, A, 4))`` for a normalised ``(N, C, H, W)``."""
        if not is_tracing():
            self.check_input(x)
        return self.head(self.forward_features(x))

    def grid_sizes(self, image_size: Sequence[int]) -> list[tuple[int, int]]:
        """The (h, w) of the six maps for an ``image_size`` (h, w) input, as the layers make them (a MobileNet's
        padded stride-2 convs give each side over 16, 32, ... rounded up; an Inception's unpadded ones less):
        found once per size by running :meth:`forward_features` on the meta device, which computes shapes only and
        leaves the weights and BN statistics untouched."""
        key = (int(image_size[0]), int(image_size[1]))
        if key not in self._grids:
            tensors = {f"model.{name}": torch.empty_like(t, device="meta")
                       for name, t in [*self.named_parameters(), *self.named_buffers()]}
            probe = torch.empty(2, self.in_chans, *key, device="meta")  # 2: a train-mode BN refuses one value
            with torch.no_grad():
                maps = torch.func.functional_call(_Maps(self), tensors, (probe,))
            self._grids[key] = [tuple(m.shape[-2:]) for m in maps]
        return list(self._grids[key])

    def anchors(self, image_size: Sequence[int], device: torch.device | str | None = None) -> torch.Tensor:
        """The ``(A, 4)`` default boxes, xyxy pixels, of an ``image_size`` (h, w) input."""
        return self.default_boxes.boxes(self.grid_sizes(image_size), tuple(image_size), device)

    def _checked_anchors(self, output: tuple[torch.Tensor, torch.Tensor], image_size: Sequence[int]) -> torch.Tensor:
        if not (isinstance(output, (tuple, list)) and len(output) == 2):
            raise ValueError("output must be the model's (cls_logits, bbox_regression) pair")
        cls_logits, bbox_regression = output
        anchors = self.anchors(image_size, cls_logits.device)
        expected = (cls_logits.shape[0], anchors.shape[0])
        if cls_logits.shape != (*expected, self.num_classes) or bbox_regression.shape != (*expected, 4):
            raise ValueError(f"an output of {tuple(cls_logits.shape)} class scores and {tuple(bbox_regression.shape)} "
                             f"box offsets does not fit a {tuple(image_size)} input: its {anchors.shape[0]} default "
                             f"boxes and {self.num_classes} classes need (N, {anchors.shape[0]}, {self.num_classes}) "
                             f"and (N, {anchors.shape[0]}, 4)")
        return anchors

    def loss(self, output: tuple[torch.Tensor, torch.Tensor], targets: Sequence[dict[str, torch.Tensor]],
             image_size: Sequence[int]) -> dict[str, torch.Tensor]:
        """SSD's ``{"bbox_regression", "classification"}`` losses (:mod:`.loss`) of ``output`` for an
        ``image_size`` (h, w) batch and its ``targets`` (one dict a image: ``boxes`` (K, 4) xyxy pixels,
        ``labels`` (K,) in 1..num_classes - 1)."""
        anchors = self._checked_anchors(output, image_size)
        check_targets(targets, output[0].shape[0], self.num_classes)
        return ssd_loss(*output, targets, anchors, self.box_coder)

    @torch.no_grad()
    def postprocess(self, output: tuple[torch.Tensor, torch.Tensor],
                    image_size: Sequence[int]) -> list[dict[str, torch.Tensor]]:
        """Per image, ``{"boxes" (D, 4) xyxy pixels clipped to the image, "scores" (D,), "labels" (D,)}``: softmax
        scores above ``score_thresh``, the ``topk_candidates`` best of each class, NMS per class at ``nms_thresh``
        and the ``detections_per_img`` best, as torchvision's ``SSD.postprocess_detections``."""
        anchors = self._checked_anchors(output, image_size)
        cls_logits, bbox_regression = output
        scores_all = F.softmax(cls_logits, dim=-1)
        detections = []
        for regression, scores in zip(bbox_regression, scores_all):
            boxes = clip_boxes_to_image(self.box_coder.decode(regression, anchors), tuple(image_size))
            kept_boxes, kept_scores, kept_labels = [], [], []
            for label in range(1, self.num_classes):
                score = scores[:, label]
                keep = score > self.score_thresh
                score, box = score[keep], boxes[keep]
                score, order = score.topk(min(self.topk_candidates, score.numel()))
                kept_boxes.append(box[order])
                kept_scores.append(score)
                kept_labels.append(torch.full_like(score, label, dtype=torch.int64))
            boxes, scores, labels = torch.cat(kept_boxes), torch.cat(kept_scores), torch.cat(kept_labels)
            keep = batched_nms(boxes, scores, labels, self.nms_thresh)[: self.detections_per_img]
            detections.append({"boxes": boxes[keep], "scores": scores[keep], "labels": labels[keep]})
        return detections


class _Maps(nn.Module):
    """``model.forward_features`` as a module's forward, for :func:`torch.func.functional_call`."""

    def __init__(self, model: SSDLite):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return self.model.forward_features(x)


def check_num_classes(num_classes: int) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2 (the background, label 0, and at least one object "
                         f"class; COCO: 91), got {num_classes!r}")
    return num_classes


def _extra_widths(width: float) -> tuple[int, ...]:
    return tuple(max(MIN_DEPTH, int(c * width)) for c in EXTRA_WIDTHS)


def _finish(model: SSDLite) -> SSDLite:
    """torchvision's from-scratch init (N(0, 0.03^2) for every conv) and BN momentum 0.03."""
    normal_init(model)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.momentum = BN_MOMENTUM
    return model


@model_builder
def ssdlite320_mobilenet_v3_large(*, num_classes: int = 91, in_chans: int = 3, width: float = 1.0,
                                  reduced_tail: bool = True) -> SSDLite:
    """torchvision's ``ssdlite320_mobilenet_v3_large`` (the MobileNetV3 paper's SSDLite, Table 6):
    ``reduced_tail`` halves the last stage and the final conv (RF2, :func:`reduced_tail_widths`)."""
    check_num_classes(num_classes)
    if not isinstance(reduced_tail, bool):
        raise ValueError(f"reduced_tail must be True or False, got {reduced_tail!r}")
    classifier = classifier_backbone("mobilenet_v3_large", in_chans=in_chans, width=width, output_stride=None,
                                     backbone_kwargs={"bn_eps": BN_EPS,
                                                      "widths": reduced_tail_widths(width) if reduced_tail else None})
    return _finish(SSDLite(classifier, num_classes, extra_widths=_extra_widths(width)))


@model_builder
def ssdlite_mobilenet_v2(*, num_classes: int = 91, in_chans: int = 3, width: float = 1.0) -> SSDLite:
    """The MobileNetV2 paper's SSDLite (Section 6.2, Table 6): the first map is the expansion of the first
    stride-32 bottleneck (576 channels at output stride 16, the paper's "layer 15"), the second the final 1x1
    conv's 1280; BN eps 1e-3 as in TF's object detection API, where the paper's model was trained."""
    check_num_classes(num_classes)
    classifier = classifier_backbone("mobilenet_v2", in_chans=in_chans, width=width, output_stride=None,
                                     backbone_kwargs={"bn_eps": BN_EPS})
    return _finish(SSDLite(classifier, num_classes, extra_widths=_extra_widths(width)))


@model_builder
def ssdlite(*, backbone: str = "mobilenet_v1", num_classes: int = 91, in_chans: int = 3, width: float = 1.0,
            backbone_kwargs: dict | None = None) -> SSDLite:
    """SSDLite on any registered classifier (the MobileNetV1 paper's SSD on MobileNet, Section 4.6, by default):
    the first two maps are the outputs of its last stages at output strides 16 and 32, then the same extra layers,
    default boxes and depthwise separable heads as :func:`ssdlite_mobilenet_v2`."""
    check_num_classes(num_classes)
    classifier = classifier_backbone(backbone, in_chans=in_chans, width=width, output_stride=None,
                                     backbone_kwargs=backbone_kwargs)
    return _finish(SSDLite(classifier, num_classes, extra_widths=_extra_widths(width), expansion_tap=False))
