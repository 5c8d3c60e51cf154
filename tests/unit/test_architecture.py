"""The package's rooms and the direction of imports between them (docs/architecture.md).

Every import counts: at module level, inside functions and under ``TYPE_CHECKING``, since each one
is a dependency a reader has to follow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import pytest_amigo

PACKAGE = Path(pytest_amigo.__file__).parent
NAME = "pytest_amigo"

LEAVES = ("domain", "contract", "errors", "settings")  # shared by every part, import only leaves
# part -> the parts it may import (besides itself and the leaves)
MAY_IMPORT: dict[str, set[str]] = {
    "judging": set(),
    "reports": {"judging"},
    "api": set(),
    "lifecycle": {"api", "judging"},
    "emulator": {"api"},
    "as_code": {"api"},  # tests as code: definitions files, plan, lock; reads via the client
    "plugin": {"api", "judging", "lifecycle", "reports", "emulator"},
    "__main__": {"reports", "as_code"},  # the pytest-amigo command: merge; validate, plan, export
    "": {"plugin", "judging"},  # the public face (pytest_amigo/__init__.py)
}


def module_name(path: Path) -> str:
    parts = [NAME, *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path) -> Iterator[str]:
    """The package's modules ``path`` imports (absolute names; a name may be a module or an
    attribute of one: ``resolve`` finds the module)."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            yield base
            yield from (f"{base}.{a.name}" for a in node.names)


def resolve(name: str, known: dict[str, Path]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        targets = {resolve(t, known) for t in imports(path) if t.startswith(NAME)}
        # importing a module imports its packages' __init__ first: not an edge worth a rule
        edges[name] = {t for t in targets if t and t != name and not name.startswith(t + ".")}
    return edges


def part_of(module: str) -> str:
    """``pytest_amigo.judging.verdict`` -> ``judging``; a leaf module -> ``leaf``."""
    rest = module.split(".")[1:]
    if not rest:
        return ""
    if rest[0] in LEAVES:
        return "leaf"
    return rest[0]


def test_the_top_level_holds_the_public_face_the_command_leaves_and_parts() -> None:
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == {"__init__", "__main__", *LEAVES}
    parts = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    # the pytest side (``plugin``) is a part, and its ``__init__`` is the entry point
    assert parts == set(MAY_IMPORT) - {"", "__main__"}


def test_imports_go_one_way_between_the_parts() -> None:
    wrong = []
    for module, targets in graph().items():
        part = part_of(module)
        allowed = {"leaf"} if part == "leaf" else {"leaf", part, *MAY_IMPORT[part]}
        wrong += [f"{module} -> {t}" for t in sorted(targets) if part_of(t) not in allowed]
    assert not wrong, "imports against the direction of docs/architecture.md:\n" + "\n".join(wrong)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_anywhere_in_the_package() -> None:
    assert cycles(graph()) == []


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ],
)
def test_the_cycle_finder_finds_cycles(
    edges: dict[str, set[str]], expected: list[list[str]]
) -> None:
    assert cycles(edges) == expected


def test_the_import_reader_sees_lazy_relative_and_type_checking_imports() -> None:
    module = PACKAGE / "plugin" / "context.py"
    seen = set(imports(module))
    assert "pytest_amigo.lifecycle.connection.connect" in seen  # inside a method
    assert "pytest_amigo.lifecycle.coordinator" in seen  # under TYPE_CHECKING


# -- size (docs/architecture.md: "Size") ----------------------------------------------------------
MAX_FUNCTION = 60  # lines of a function or method, its decorators aside
MAX_CLASS = 300
MAX_MODULE = 500
# Data, not code: tables whose length is the contract's, not a design's.
# None today: the contract's enums are package data (emulator/contract_enums.json).
DATA_MODULES: set[str] = set()


def too_long(text: str, name: str) -> Iterator[str]:
    """The functions and classes of a module over their size, as ``module.name (n lines)``."""
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            limit = MAX_CLASS if isinstance(node, ast.ClassDef) else MAX_FUNCTION
            if lines > limit:
                yield f"{name}.{node.name} ({lines} lines, at most {limit})"


def test_no_function_over_60_lines_nor_class_over_300() -> None:
    found = [
        entry
        for name, path in modules().items()
        for entry in too_long(path.read_text(encoding="utf-8"), name)
    ]
    assert not found, "too long (docs/architecture.md, Size):\n" + "\n".join(found)


def test_no_module_over_500_lines_except_declared_data() -> None:
    found = []
    for name, path in modules().items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE and name not in DATA_MODULES:
            found.append(f"{name} ({lines} lines)")
    assert not found, f"modules over {MAX_MODULE} lines:\n" + "\n".join(found)


def test_the_size_allow_lists_name_real_modules() -> None:
    assert DATA_MODULES <= set(modules())


def test_the_size_reader_counts_a_method_and_its_class() -> None:
    def body(n: int, indent: str) -> str:
        return "\n".join(f"{indent}x{i} = {i}" for i in range(n))

    fits = f"def f():\n{body(MAX_FUNCTION - 1, '    ')}\n"
    assert list(too_long(fits, "m")) == []
    method = f"class C:\n    def f(self):\n{body(MAX_FUNCTION, '        ')}\n"
    assert list(too_long(method, "m")) == [f"m.f ({MAX_FUNCTION + 1} lines, at most 60)"]
    big = f"class C:\n{body(MAX_CLASS, '    ')}\n"
    assert list(too_long(big, "m")) == [f"m.C ({MAX_CLASS + 1} lines, at most 300)"]
