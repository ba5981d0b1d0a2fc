"""The house rules, checked on the package's own source with ``ast``:

- data flows one way: no import cycles, and no module imports a room above its own
  (source -> blocks -> PolicyDocument -> ChangeSet -> audit -> renderers);
- imports sit at the top of a module, never inside a function body;
- only the CLI imports click;
- library functions stay short (at most 60 lines).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "policy_tools"

# rooms, lowest first; a module may import its own room or a lower one
LAYERS: tuple[tuple[str, ...], ...] = (
    ("policy_tools", "policy_tools.version", "policy_tools.errors", "policy_tools.io"),
    ("policy_tools.text", "policy_tools.settings"),
    ("policy_tools.vocab",),
    ("policy_tools.model",),
    ("policy_tools.history",),
    ("policy_tools.extract",),
    ("policy_tools.store",),
    ("policy_tools.compare",),
    ("policy_tools.codegen",),
    ("policy_tools.export",),
    ("policy_tools.render",),
    ("policy_tools.app",),
    ("policy_tools.cli", "policy_tools.web"),
)
MAX_FUNCTION_LINES = 60


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(name: str) -> int:
    best = -1
    for rank, rooms in enumerate(LAYERS):
        for room in rooms:
            if (name == room or name.startswith(room + ".")) and len(room) > 0:
                if room == "policy_tools" and name != "policy_tools":
                    continue
                best = rank
    assert best >= 0, f"{name} belongs to no room of LAYERS"
    return best


def imports_of(name: str) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level) for every import of ``policy_tools``."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top = {id(node) for node in tree.body}
    out: list[tuple[str, int, bool]] = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            targets = [stem]
            for alias in node.names:  # "from . import app" imports the module app
                if f"{stem}.{alias.name}" in MODULES:
                    targets.append(f"{stem}.{alias.name}")
        for target in targets:
            if target == "policy_tools" or target.startswith("policy_tools."):
                out.append((target, node.lineno, id(node) in top or _in_type_block(tree, node)))
    return out


def _in_type_block(tree: ast.Module, node: ast.AST) -> bool:
    """An import under a module-level ``if TYPE_CHECKING:`` counts as top level."""
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and any(node is n for n in ast.walk(stmt)):
            return True
    return False


def graph() -> dict[str, set[str]]:
    return {
        name: {t for t, _, _ in imports_of(name) if t in MODULES and t != name} for name in MODULES
    }


def test_every_module_has_a_room() -> None:
    for name in MODULES:
        layer(name)


def test_no_import_cycles() -> None:
    edges = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)


def test_no_upward_imports() -> None:
    upward = [
        f"{name} ({MODULES[name].name}:{line}) imports {target}"
        for name in MODULES
        for target, line, _ in imports_of(name)
        if target in MODULES and layer(target) > layer(name)
    ]
    assert upward == []


def test_no_imports_inside_function_bodies() -> None:
    inner = [
        f"{MODULES[name].relative_to(PACKAGE)}:{line} imports {target}"
        for name in MODULES
        for target, line, top in imports_of(name)
        if not top
    ]
    assert inner == []


def test_only_the_cli_imports_click() -> None:
    users = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            mods = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            if any(m == "click" or m.startswith("click.") for m in mods):
                users.append(name)
    assert sorted(set(users)) == ["policy_tools.cli"]


def test_library_functions_are_short() -> None:
    long = []
    for name, path in MODULES.items():
        if name == "policy_tools.cli":
            continue  # click commands are declarations, not logic
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({lines})")
    assert long == []


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """The parser sees imports inside functions and relative imports up the tree."""
    sample = PACKAGE / "compare" / "diff.py"
    found = {t for t, _, _ in imports_of(module_name(sample))}
    assert "policy_tools.model.changeset" in found and "policy_tools.compare.audit" in found
    assert layer("policy_tools.render.report") > layer("policy_tools.compare.diff")
