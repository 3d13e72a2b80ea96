"""The package's structure, checked from its source with ``ast``: who may commit."""
from __future__ import annotations

import ast
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
