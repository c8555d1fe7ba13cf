"""The code's layering, checked on its source (AST, no import executed).

Dependencies point one way: ``data_sources`` → ``ioc``; ``layouts`` build components from data
handed to them; ``callbacks`` wire; ``families`` (the composition layer) and ``app.py`` may
import every layer and nothing imports them back (``ioc`` loads ``families`` by name).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ioc", "data_sources", "layouts", "callbacks", "families")
FORBIDDEN = {
    "ioc": {"data_sources", "layouts", "callbacks", "families", "app"},
    "data_sources": {"layouts", "callbacks", "families", "app"},
    "layouts": {"callbacks", "families", "app"},
    "callbacks": {"families", "app"},
    "families": {"app"},
    "app": set(),
}


def _modules() -> dict[str, Path]:
    """Dotted module name → file, for every package above and app.py."""
    out = {"app": ROOT / "app.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every absolute import in ``path``, function-level ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module, [alias.name for alias in node.names]))
    return found


def _top(module: str) -> str:
    return module.split(".")[0]


def test_no_forbidden_imports() -> None:
    bad = [f"{path.relative_to(ROOT)}:{line} imports {module}"
           for name, path in _modules().items() for line, module, _ in _imports(path)
           if _top(module) in FORBIDDEN[_top(name)]]
    assert bad == []


def test_no_cycle_between_top_level_folders() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in _modules().items():
        for _, module, _ in _imports(path):
            if _top(module) in (*PACKAGES, "app") and _top(module) != _top(name):
                graph[_top(name)].add(_top(module))
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(node: str, trail: tuple[str, ...]) -> None:
        if state.get(node) == "done":
            return
        assert state.get(node) != "open", f"import cycle: {' → '.join((*trail, node))}"
        state[node] = "open"
        for nxt in sorted(graph[node]):
            visit(nxt, (*trail, node))
        state[node] = "done"
        order.append(node)

    for node in sorted(graph):
        visit(node, ())
    assert set(order) >= {"ioc", "data_sources", "layouts", "callbacks", "families", "app"}


def test_no_private_name_is_imported_from_another_module() -> None:
    modules = _modules()
    bad = [f"{path.relative_to(ROOT)}:{line} imports {module}.{n}"
           for name, path in modules.items() for line, module, names in _imports(path)
           if module in modules and module != name
           for n in names if n.startswith("_") and not n.startswith("__")]
    assert bad == []


def test_layouts_never_touch_the_store() -> None:
    """A layout builds components from data it is handed: no engine, connection or store import."""
    bad = []
    for path in sorted((ROOT / "layouts").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("engine", "connect", "begin"):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} uses .{node.attr}")
        bad += [f"{path.relative_to(ROOT)}:{line} imports {module}" for line, module, _ in _imports(path)
                if module.startswith(("ioc.store", "sqlalchemy", "ioc.context"))]
    assert bad == []


def test_the_checks_see_a_forbidden_import(tmp_path: Path) -> None:
    """The scanner itself: an import of the web layer from the core is found."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from layouts import ids\n    from ioc.x import _private\n", encoding="utf-8")
    assert [(line, module, names) for line, module, names in _imports(sample)] == [
        (2, "layouts", ["ids"]), (3, "ioc.x", ["_private"])]
