"""One colour per class index for drawn predictions (masks, boxes): matplotlib's ``tab20`` qualitative palette,
repeating after 20 classes, so a class keeps its colour across images and tasks."""

from __future__ import annotations


def class_colour(index: int) -> tuple[int, int, int]:
    """The 8-bit RGB colour of class ``index`` (1 = the first object class; 0, the background, gets the last)."""
    from matplotlib import colormaps

    colours = colormaps["tab20"].colors
    return tuple(round(255 * x) for x in colours[(index - 1) % len(colours)])
