"""LeNet-5's trainable subsampling layers S2 and S4 (LeCun et al. 1998, Section II.B).

"The four inputs to a unit in S2 are added, then multiplied by a trainable coefficient, and
added to a trainable bias. The result is passed through a sigmoidal function." One
coefficient and one bias per map: S2 has 12 trainable parameters (6 maps), S4 32 (16 maps).
"""

from __future__ import annotations

from torch import nn

from .activations import make_activation


class Subsampling(nn.Sequential):
    """2x2 subsampling with a trainable coefficient and bias per map, then the squashing function.

    Built as a 2x2 average pool followed by a depthwise 1x1 convolution: the coefficient of
    the window's mean is a quarter of the paper's coefficient of its sum, the same function
    with the same two parameters per map, made of layers every exporter knows.
    """

    def __init__(self, chs: int, kernel_size: int = 2, act: str | None = "tanh"):
        super().__init__()
        self.pool = nn.AvgPool2d(kernel_size)
        self.scale = nn.Conv2d(chs, chs, 1, groups=chs)
        self.act = make_activation(act)
