"""Parts of dsar that other work streams deliver: used when present, named when absent."""
from __future__ import annotations

import importlib
from types import ModuleType


def module(name: str, *needs: str) -> ModuleType | None:
    """``name`` imported if it exists and defines every attribute in ``needs``, else None.

    A module that exists but fails to import for another reason still raises: a real bug
    must not look like a missing feature.
    """
    try:
        found = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not name.startswith(exc.name):
            raise
        return None
    return found if all(hasattr(found, attr) for attr in needs) else None
