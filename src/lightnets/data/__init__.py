"""Training data: ImageFolder trees, CIFAR-10 (python batches or the embedded sample),
the preprocessing a model is trained with, and the transforms that apply it."""

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
]
