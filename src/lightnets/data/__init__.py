"""Training data: ImageFolder trees, CIFAR-10 (python batches or the embedded sample),
the preprocessing a model is trained with, and the transforms that apply it; for detection and
segmentation, COCO and VOC readers, joint transforms and the pasted-scenes sample (these load on
first use, PEP 562)."""

from typing import TYPE_CHECKING

from ..lazy import lazy_getattr

from .datasets import ArrayImages, EncodedImages
from .errors import DataError
from .held_out import open_as_trained
from .images import IMAGE_EXTENSIONS, load_image
from .mixing import mixup_cutmix
from .preprocessing import Preprocessing
from .sample import SAMPLE, sample_path
from .sources import DataSplits, open_data
from .transforms import AUGMENTS, eval_transform, train_transform

__all__ = [
    "AUGMENTS", "ArrayImages", "DataError", "DataSplits", "EncodedImages", "IMAGE_EXTENSIONS", "Preprocessing",
    "SAMPLE", "eval_transform", "load_image", "mixup_cutmix", "open_as_trained", "open_data", "sample_path",
    "train_transform",
    "CocoDetection", "DetectionTransform", "SegmentationTransform", "VOCSegmentation", "detection_collate",
    "make_pasted_scenes", "open_detection_data", "open_segmentation_data", "pasted_sample_dir",
]

_LAZY = {"CocoDetection": ".coco", "DetectionTransform": ".dense_transforms", "SegmentationTransform":
         ".dense_transforms", "VOCSegmentation": ".voc_segmentation", "detection_collate": ".dense_transforms",
         "make_pasted_scenes": ".pasted", "open_detection_data": ".dense_sources",
         "open_segmentation_data": ".dense_sources", "pasted_sample_dir": ".pasted"}

if TYPE_CHECKING:
    from .coco import CocoDetection
    from .dense_sources import open_detection_data, open_segmentation_data
    from .dense_transforms import DetectionTransform, SegmentationTransform, detection_collate
    from .pasted import make_pasted_scenes, pasted_sample_dir
    from .voc_segmentation import VOCSegmentation


__getattr__ = lazy_getattr(__name__, _LAZY, globals())
