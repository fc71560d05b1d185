"""The bench/ scripts import repcoach names lazily (inside functions), so a renamed function
only breaks them when someone runs them: check every `from repcoach... import name` they hold."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _repcoach_imports(path: Path) -> list[tuple[str, str, int]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("repcoach"):
            out += [(node.module, a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, "", node.lineno) for a in node.names if a.name.startswith("repcoach")]
    return out


@pytest.mark.parametrize("script", sorted(BENCH.glob("bench_*.py")), ids=lambda p: p.name)
def test_bench_script_imports_exist(script: Path) -> None:
    found = _repcoach_imports(script)
    assert found, f"{script.name} imports nothing from repcoach"
    missing = []
    for module, name, line in found:
        mod = importlib.import_module(module)
        if name and not hasattr(mod, name):
            try:
                importlib.import_module(f"{module}.{name}")
            except ImportError:
                missing.append(f"{script.name}:{line}: {module}.{name}")
    assert not missing, "bench scripts import names that no longer exist: " + ", ".join(missing)
