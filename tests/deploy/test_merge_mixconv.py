"""merge_mixconv: MixConv's kernel groups as one conv, with the same outputs."""

import pytest
import torch
from torch import nn

from lightnets import create_model
from lightnets.deploy.merge_mixconv import merge_mixconv
from lightnets.layers.mixconv import MixConv


@pytest.mark.parametrize("padding", ["symmetric", "same"])
@pytest.mark.parametrize("merge, merged", [("pointwise", 21), ("all", 34)])
def test_merged_mixnet_computes_the_same(padding, merge, merged):
    torch.manual_seed(0)
    model = create_model("mixnet_s", width=0.5, padding=padding, num_classes=10).eval()
    out, count = merge_mixconv(model, merge)
    assert count == merged
    # MixNet-S has 34 MixConvs: 21 grouped 1x1s, 13 depthwise
    assert sum(isinstance(m, MixConv) for m in out.modules()) == 34 - merged
    for size in (64, 67):  # even and odd: TF's SAME pads differ
        x = torch.randn(2, 3, size, size)
        with torch.no_grad():
            assert torch.allclose(out(x), model(x), atol=1e-5)
    assert sum(isinstance(m, MixConv) for m in model.modules()) == 34  # the model itself is left as it was


def test_a_depthwise_mixconv_becomes_one_conv_of_its_largest_kernel():
    mix = nn.Sequential(MixConv(12, 12, (3, 5, 7), stride=2, depthwise=True))
    out, count = merge_mixconv(mix, "all")
    assert count == 1 and out[0].kernel_size == (7, 7) and out[0].groups == 12
    with pytest.raises(ValueError, match="merge must be one of pointwise, all"):
        merge_mixconv(mix, "depthwise")
