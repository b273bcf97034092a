"""The one error type for data a user pointed lightnets at."""

from __future__ import annotations


class DataError(ValueError):
    """A data folder, file, image or setting that lightnets cannot use.

    The message names the path or value and says what would be valid.
    """
