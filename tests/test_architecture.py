"""The package map of docs/architecture.md holds in the code: no import circles, no upward
imports between stages, imports inside functions only for the heavy libraries, the analysis path
free of TensorFlow, and scikit-learn-shaped estimators."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "repcoach"
#: Libraries a function may import on first use (kept off light paths), or optional extras.
LAZY_OK = ("tensorflow", "keras", "mediapipe", "matplotlib", "ai_edge_litert", "ray", "uvicorn",
           "imageio_ffmpeg", "playwright")


def _stages() -> list[list[str]]:
    """Stage order from docs/architecture.md's ``stages`` block (lowest first)."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = re.search(r"```stages\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md needs a ```stages block"
    return [line.split(":", 1)[1].split() for line in block.group(1).strip().splitlines()]


def _modules() -> dict[str, Path]:
    out = {}
    for f in PKG.rglob("*.py"):
        parts = f.relative_to(PKG.parent).with_suffix("").parts
        out[".".join(parts).removesuffix(".__init__")] = f
    return out


def _is_module(name: str) -> bool:
    parts = name.split(".")
    if parts[0] != "repcoach":
        return False
    base = PKG.parent.joinpath(*parts)
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(f: Path) -> tuple[list[str], list[tuple[int, str]]]:
    """(module-level repcoach imports, (line, module) of imports inside functions)."""
    tree = ast.parse(f.read_text(encoding="utf-8"))
    top, inner = [], []
    parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.ImportFrom):  # `from pkg import submodule` depends on it
            mod = node.module or ""
            names = [f"{mod}.{a.name}" if _is_module(f"{mod}.{a.name}") else mod
                     for a in node.names]
        else:
            names = [a.name for a in node.names]
        p, in_func, guarded = parents.get(node), False, False
        while p is not None:
            in_func |= isinstance(p, ast.FunctionDef | ast.AsyncFunctionDef)
            guarded |= isinstance(p, ast.If) and "TYPE_CHECKING" in ast.unparse(p.test)
            p = parents.get(p)
        if guarded:
            continue
        if in_func:
            inner += [(node.lineno, n) for n in names]
        else:
            top += [n for n in names if n.startswith("repcoach")]
    return top, inner


def _stage_of(module: str, order: list[list[str]]) -> int:
    head = module.split(".")[1] if "." in module else ""
    for i, names in enumerate(order):
        if head in names:
            return i
    raise AssertionError(f"{module}: its folder {head!r} is in no stage of docs/architecture.md")


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, f in mods.items():
        for target in _imports(f)[0]:
            while target not in mods and "." in target:
                target = target.rsplit(".", 1)[0]
            if target != name:
                graph[name].add(target)
    return graph


def test_every_module_belongs_to_a_stage():
    order = _stages()
    for name in _modules():
        if name != "repcoach":
            _stage_of(name, order)


def test_no_upward_imports_between_stages():
    order = _stages()
    bad = []
    for name, targets in _graph().items():
        if name == "repcoach":  # the package face re-exports the base types
            continue
        for t in targets:
            if t != "repcoach" and _stage_of(t, order) > _stage_of(name, order):
                bad.append(f"{name} -> {t}")
    assert not bad, "upward imports:\n" + "\n".join(sorted(bad))


def test_no_import_circles():
    graph = _graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(v: str, path: list[str]) -> None:
        state[v] = 1
        for w in sorted(graph.get(v, ())):
            if state.get(w) == 1:
                cycles.append(" -> ".join([*path[path.index(w):], w]))
            elif w not in state:
                visit(w, [*path, w])
        state[v] = 2

    for v in sorted(graph):
        if v not in state:
            visit(v, [v])
    assert not cycles, "import circles:\n" + "\n".join(cycles)


def test_imports_inside_functions_only_for_heavy_libraries():
    bad = [f"{f.relative_to(ROOT)}:{line} imports {mod}"
           for f in PKG.rglob("*.py") for line, mod in _imports(f)[1]
           if mod.split(".")[0] not in LAZY_OK]
    assert not bad, "\n".join(bad)


def test_split_modules_stay_small():
    for folder in ("analyze", "segment"):
        for f in (PKG / folder).glob("*.py"):
            n = len(f.read_text(encoding="utf-8").splitlines())
            assert n <= 400, f"{f.relative_to(ROOT)} has {n} lines"


@pytest.mark.parametrize("module", ["repcoach.deploy.runtime", "repcoach.analyze", "repcoach.io",
                                    "repcoach.io.pose_csv", "repcoach.segment"])
def test_analysis_path_imports_no_tensorflow(module):
    code = (f"import sys, {module}; bad = [m for m in ('tensorflow', 'keras', 'mediapipe') "
            "if m in sys.modules]; print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "", f"{module} loads {out.stdout.strip()}"


def test_estimators_clone_like_scikit_learn():
    from sklearn.base import clone

    from repcoach.imu.model import ImuClassifier
    from repcoach.models import BiLSTMClassifier, CorrectnessScorer, PoseClassifier

    for est in (PoseClassifier(arch="cnn_deep", n_models=2, dense_units=[8]),
                BiLSTMClassifier(lstm_units=8), CorrectnessScorer(label="squat", epochs=3),
                ImuClassifier(arch="cnn_deep", epochs=2)):
        twin = clone(est)
        assert type(twin) is type(est) and twin is not est
        assert twin.get_params() == est.get_params()
        twin.set_params(seed=7)
        assert twin.seed == 7 and est.seed == 0
    paper = BiLSTMClassifier()
    assert paper.arch == "bilstm" and paper.to_config()["arch"] == "bilstm"
    with pytest.raises(ValueError, match="invalid parameter"):
        PoseClassifier().set_params(units=3)
