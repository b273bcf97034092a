"""Output stride: atrous convolution in place of a backbone's last downsamplings, for dense prediction.

DeepLabv3 (Chen et al. 2017, arXiv:1706.05587, Section 3.1) calls *output_stride* the ratio of the input's
resolution to the feature map's: 32 for the ImageNet networks. To keep denser features for segmentation, the
downsamplings that would take the network beyond the requested output stride run at stride 1 instead, and each
removed stride multiplies the dilation (the "atrous rate") of every later depthwise conv by it, so the receptive
fields stay those of the undilated network.

The block whose stride is removed is itself dilated, as torchvision's ``mobilenet_v3_large(dilated=True)`` does
(output stride 16: the last stage at stride 1 and dilation 2); TF-slim's MobileNet ``output_stride`` keeps that one
block at the rate before it and dilates from the next block on. Params and MACs are the same either way.
"""

from __future__ import annotations

OUTPUT_STRIDES = (8, 16, 32)  # 32: the classification network unchanged


def check_output_stride(output_stride: int, small_input: bool = False) -> int:
    """``output_stride`` as given, or a ValueError naming the valid values."""
    if isinstance(output_stride, bool) or not isinstance(output_stride, int) or output_stride not in OUTPUT_STRIDES:
        raise ValueError(f"output_stride must be one of {', '.join(map(str, OUTPUT_STRIDES))} (the ratio of the input "
                         f"side to the last feature map's; 32 keeps the classification strides), got {output_stride!r}")
    if small_input and output_stride != 32:
        raise ValueError(f"output_stride={output_stride} applies to the ImageNet strides; small_input=True already "
                         "keeps two of them at 1 (total stride 8): pass one of the two")
    return output_stride


class AtrousStrides:
    """The (stride, dilation) of each layer a builder asks for, in network order, under ``output_stride``:
    ``atrous = AtrousStrides(output_stride, stem_stride)``, then ``stride, dilation = atrous(row.s)`` per block."""

    def __init__(self, output_stride: int, stride: int = 1):
        self.output_stride, self.stride, self.dilation = output_stride, stride, 1

    def __call__(self, stride: int) -> tuple[int, int]:
        if stride > 1 and self.stride * stride > self.output_stride:
            self.dilation *= stride
            return 1, self.dilation
        self.stride *= stride
        return stride, self.dilation
