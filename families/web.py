"""Web parts of a declaration, imported on first use.

The pages, callbacks and Overview pieces live in ``layouts/`` and ``callbacks/``, whose imports
(Dash, Plotly) cost about a second and a hundred megabytes that ``python -m ioc`` and the
scheduler never use. A declaration names them as ``web("module:attribute")``: a callable that
imports its target when first called (``inspect.signature`` sees the target's).
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any


class web:  # noqa: N801 - reads as a function in the declarations
    """``module:attribute``, imported on first call."""

    __slots__ = ("target", "_resolved")

    def __init__(self, target: str) -> None:
        if target.count(":") != 1:
            raise ValueError(f"web({target!r}): expected 'module:attribute'")
        self.target = target
        self._resolved: Any = None

    def resolve(self) -> Any:
        if self._resolved is None:
            module, attribute = self.target.split(":")
            self._resolved = getattr(importlib.import_module(module), attribute)
        return self._resolved

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:
        return inspect.signature(self.resolve())

    def __repr__(self) -> str:
        return f"web({self.target!r})"
