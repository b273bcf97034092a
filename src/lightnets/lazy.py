"""Names a package loads on first use (PEP 562's module ``__getattr__``), so that importing the package, and the
command line's ``--help``, do not pay for importing torch and what needs it."""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping


def lazy_getattr(package: str, modules: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: the name ``n`` in ``modules`` comes from the module ``modules[n]``
    (relative to ``package``, e.g. ``".model"``), imported when ``n`` is first asked for and then kept in
    ``namespace`` (the package's ``globals()``), so later lookups do not come here."""
    def __getattr__(name: str) -> Any:
        if name not in modules:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(modules[name], package), name)
        namespace[name] = value
        return value

    return __getattr__
