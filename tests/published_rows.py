"""Published rows of the papers' tables for the dense models' count tests (tests/tasks): the row, the lightnets model
that should reproduce it, our exact counts, and whether ours prints as the row does."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Published:
    """A published row, the lightnets model that should reproduce it, and our exact counts (PyTorch convention:
    every nn.Parameter, BN gamma and beta included; MACs of the conv and linear layers only: neither bilinear
    upsampling nor detection postprocessing is counted)."""

    source: str
    row: str
    name: str
    options: dict
    size: int | tuple[int, int]
    params_m: float | None  # as printed, millions (None: not printed)
    macs_b: float | None  # as printed, billions (None: not printed, or not a single-pass count)
    params: int  # ours
    macs: int  # ours
    why: str = ""  # where ours does not print as the row: the convention or the gap, and what was tried


def prints_as(count: float, printed: float) -> bool:
    """Does ``count`` round to ``printed`` at the printed number's decimals?"""
    decimals = len(repr(float(printed)).split(".")[1].rstrip("0"))
    return round(count, decimals) == printed


def prints_as_row(row: Published) -> bool:
    """Do our params and MACs print as the row's printed ones (those it prints)?"""
    return ((row.params_m is None or prints_as(row.params / 1e6, row.params_m))
            and (row.macs_b is None or prints_as(row.macs / 1e9, row.macs_b)))
