"""The package's structure, checked from its source with ``ast``: who may commit."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from dsar.services import checkpoint

PACKAGE = Path(__file__).resolve().parents[1] / "dsar"

#: Modules that may call ``commit()``: the entry points, the checkpoint helper, and the
#: retention batches on the customer's own connection (documented in ``services.checkpoint``).
MAY_COMMIT = {
    "dsar/web/unit_of_work.py",
    "dsar/cli_base.py",
    "dsar/services/checkpoint.py",
    "dsar/retention/enforcement.py",
    "dsar/retention/statements.py",
    "dsar/demo/__init__.py",  # `dsar demo` builds the demo and commits it before printing how to sign in
}


def _modules() -> list[tuple[str, ast.Module]]:
    return [(path.relative_to(PACKAGE.parent).as_posix(), ast.parse(path.read_text(), str(path)))
            for path in sorted(PACKAGE.rglob("*.py"))]


def test_only_entry_points_and_the_checkpoint_commit():
    found = []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "commit" and name not in MAY_COMMIT:
                found.append(f"{name}:{node.lineno}")
    assert found == [], f"commit() outside an entry point (use services.checkpoint): {found}"


def test_a_checkpoint_names_a_known_reason(app):
    with app.app_context(), pytest.raises(ValueError, match="not one of"):
        checkpoint.checkpoint("because")


# --- imports: no cycles, not even through imports inside functions ------------------------------

#: Packages built as Flask documents for blueprints: ``__init__`` makes ``bp``, then imports the
#: views, which import ``bp`` back. Only that one name is let through; any other import of the
#: package's ``__init__`` from inside it counts.
BLUEPRINT_PACKAGES = {"dsar.auth", "dsar.dashboard", "dsar.downloads", "dsar.portal"}


def _module_name(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(name: str, path: str, tree: ast.Module, modules: set[str]):
    """(imported module, import node, inside a function?) for every import of a dsar module."""
    inside = {id(node) for function in ast.walk(tree) if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
              for node in ast.walk(function)}
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            blueprint = base in BLUEPRINT_PACKAGES and name.startswith(base + ".")
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names if not (blueprint and alias.name == "bp")]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target, node, id(node) in inside


def import_graph() -> dict[str, set[str]]:
    """Module -> the dsar modules it imports, at module level or inside a function."""
    parsed = [(_module_name(path), path, tree) for path, tree in _modules()]
    modules = {name for name, _, _ in parsed}
    return {name: {target for target, _, _ in _imports(name, path, tree, modules)} for name, path, tree in parsed}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of more than one module, as one path around it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in sorted(graph[module]):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                other = stack.pop()
                group.append(other)
                if other == module:
                    break
            if len(group) > 1:
                found.append(_path_around(graph, set(group)))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def _path_around(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """One cycle through the group, from its first module back to it (breadth first)."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        module = queue.pop(0)
        for other in sorted(graph[module] & group):
            if other == start:
                return paths[module] + [start]
            if other not in paths:
                paths[other] = paths[module] + [other]
                queue.append(other)
    return sorted(group)


def test_the_package_has_no_import_cycle():
    found = cycles(import_graph())
    assert found == [], "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in found)


def test_the_cycle_finder_names_a_cycle_through_a_function_level_import():
    tree = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(tree) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_imports_inside_functions_are_marked_as_being_for_start_up():
    parsed = _modules()
    modules = {_module_name(path) for path, _ in parsed}
    unmarked = []
    for path, tree in parsed:
        lines = (PACKAGE.parent / path).read_text().splitlines()
        for _, node, inside in _imports(_module_name(path), path, tree, modules):
            if inside and "# start-up" not in lines[node.lineno - 1]:
                unmarked.append(f"{path}:{node.lineno}")
    assert unmarked == [], f"imports inside functions (move them to the top, or mark `# start-up`): {unmarked}"


def test_the_readmes_map_names_every_part_of_the_package():
    """The README's map of the code keeps up with the tree: every module and package directly
    under dsar/ is named there (`dsar/<name>`, or after another name on its line)."""
    readme = (PACKAGE.parent / "README.md").read_text()
    chart = readme.split("## A map of the code", 1)[1].split("```")[1]
    named = set(re.findall(r"(?<![\w.])([a-z_]+(?:\.py|/))", chart))
    parts = {p.name + ("/" if p.is_dir() else "") for p in PACKAGE.iterdir()
             if (p.suffix == ".py" and p.name != "__init__.py") or (p.is_dir() and (p / "__init__.py").exists())}
    assert sorted(parts - named) == []
