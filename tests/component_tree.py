"""Reading a Dash layout in tests: every component below one, their texts, their ids."""

from __future__ import annotations

from typing import Any


def walk(component: Any) -> list[Any]:
    """``component`` and everything below it (Dash components, lists)."""
    out = [component]
    children = component if isinstance(component, list | tuple) else getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children] if children is not None else []:
        if not isinstance(child, str | int | float):
            out += walk(child)
    return out


def texts(component: Any) -> str:
    """The text children of everything below ``component``, joined by spaces."""
    parts = []
    for c in walk(component):
        children = c if isinstance(c, str) else getattr(c, "children", None)
        if isinstance(children, str | int | float):
            parts.append(str(children))
        elif isinstance(children, list | tuple):
            parts += [str(x) for x in children if isinstance(x, str | int | float)]
    return " ".join(parts)


def ids(component: Any) -> set[str]:
    """The string ids below ``component``."""
    return {c.id for c in walk(component) if isinstance(getattr(c, "id", None), str)}


def body(app: Any, output: str) -> Any:
    """The function registered for the callback whose outputs include ``output`` (``id.prop``)."""
    [entry] = [v for k, v in app.callback_map.items() if output in k and "callback" in v]
    function = entry["callback"]
    while hasattr(function, "__wrapped__"):
        function = function.__wrapped__
    return function
