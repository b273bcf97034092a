"""A factorised, per-stage search space around MobileNetV3's table (MnasNet, Tan et al.
2019, arXiv:1807.11626, Section 4.1 and Figure 4): each stage after the first chooses its
kernel (3, 5 or 7), expansion ratio (3, 4 or 6), squeeze-and-excite (on or off) and number
of layers (the table's, one fewer or one more), every layer of a stage alike; the stage's
output width, first stride and nonlinearity stay the table's, and so do the first stage,
the stem, the last conv and the head. A sampled point is an ordinary MobileNetV3 model:
its rows go into ``stages=`` (:func:`lightnets.models.mobilenet_v3.parse_stages`), which
saves and reloads with the rest of its config.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from ..models.mobilenet_v3 import ARCHITECTURES

KERNELS = (3, 5, 7)
EXPANSIONS = (3, 4, 6)
SQUEEZE_EXCITE = (False, True)


@dataclass(frozen=True)
class StageChoice:
    kernel: int
    expansion: int
    se: bool
    layers: int


class MobileNetV3Space:
    """The space around MobileNetV3-``size``'s table; ``model_name`` is the registered name
    its points are built as."""

    def __init__(self, size: str):
        self.size = size
        self.model_name = f"mobilenet_v3_{size}"
        self.table = ARCHITECTURES[size]

    def layer_choices(self, stage: int) -> tuple[int, ...]:
        n = len(self.table.stages[stage])
        return tuple(m for m in (n - 1, n, n + 1) if m >= 1)

    @property
    def searched(self) -> range:
        return range(1, len(self.table.stages))

    def size_of_space(self) -> int:
        total = 1
        for stage in self.searched:
            total *= len(KERNELS) * len(EXPANSIONS) * len(SQUEEZE_EXCITE) * len(self.layer_choices(stage))
        return total

    def sample(self, rng: random.Random) -> tuple[StageChoice, ...]:
        return tuple(StageChoice(rng.choice(KERNELS), rng.choice(EXPANSIONS), rng.choice(SQUEEZE_EXCITE),
                                 rng.choice(self.layer_choices(stage))) for stage in self.searched)

    def smallest(self) -> tuple[StageChoice, ...]:
        """The point of least work: 3x3, ratio 3, no SE, the fewest layers in every stage."""
        return tuple(StageChoice(KERNELS[0], EXPANSIONS[0], False, self.layer_choices(stage)[0])
                     for stage in self.searched)

    def stages(self, choices: tuple[StageChoice, ...]) -> list[list[dict]]:
        """The bneck rows of a point, as ``stages=`` takes them."""
        if len(choices) != len(self.searched):
            raise ValueError(f"the {self.model_name} space has {len(self.searched)} searched stages, "
                             f"got {len(choices)} choices")
        rows = [[asdict(row) for row in self.table.stages[0]]]
        width_in = self.table.stages[0][-1].c
        for stage, choice in zip(self.searched, choices):
            first = self.table.stages[stage][0]
            stage_rows = []
            for i in range(choice.layers):
                stage_rows.append({"k": choice.kernel, "exp": choice.expansion * width_in, "c": first.c,
                                   "se": choice.se, "nl": first.nl, "s": first.s if i == 0 else 1})
                width_in = first.c
            rows.append(stage_rows)
        return rows


SPACES = {"mobilenet_v3": MobileNetV3Space("large"), "mobilenet_v3_small": MobileNetV3Space("small")}


def get_space(name: str) -> MobileNetV3Space:
    if name not in SPACES:
        raise ValueError(f"unknown search space {name!r}; valid: {', '.join(SPACES)}")
    return SPACES[name]
