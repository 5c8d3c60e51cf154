"""The examples of README.md and docs/*.md stay true: their code runs, their paths exist.

Every ```python block is compiled and every name it imports must import. A block that defines
no test and no fixture is a script: it runs, in a directory holding what the examples read
(``world.toml``: the bundled world; ``reports/amigo.json``: the example project's baseline
report). A pytest snippet (a test or a fixture) is compiled and its imports checked only: it
needs a session to run in.

Every repository path cited in backticks (``pytest_amigo/...``, ``tests/...``, ``scripts/...``,
...) must exist, and every dotted name under ``pytest_amigo.`` must resolve.
"""

from __future__ import annotations

import ast
import importlib
import re
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
_CITED = re.compile(r"`([^`\s]+)`")
_TOP_LEVEL = ("pytest_amigo/", "tests/", "scripts/", "docs/", "example_project/", "bench/")
_DOTTED = re.compile(r"\bpytest_amigo(?:\.\w+)+")

GENERATED = {"example_project/reports/", "example_project/.amigo-artifacts/"}
"""Cited outputs of ``./scripts/demo``: ignored by git, absent from a fresh checkout."""

PENDING = {("README.md", "pytest_amigo/report.schema.json")}
"""Stale citations in text that is edited elsewhere (README's options table): fixed there."""


@dataclass(frozen=True)
class Block:
    document: Path
    line: int  # of the opening fence
    source: str

    @property
    def name(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"


def python_blocks(document: Path) -> list[Block]:
    """The ```python blocks of a Markdown document, dedented (list items indent theirs)."""
    blocks: list[Block] = []
    lines = document.read_text(encoding="utf-8").splitlines()
    body: list[str] = []
    start = 0
    inside: str | None = None  # the open fence's language
    for number, line in enumerate(lines, start=1):
        fence = _FENCE.match(line)
        if fence is None:
            body.append(line)
        elif inside is None:
            inside, start, body = fence.group(2), number, []
        else:
            if inside == "python":
                blocks.append(Block(document, start, textwrap.dedent("\n".join(body)) + "\n"))
            inside = None
    return blocks


BLOCKS = [block for document in DOCUMENTS for block in python_blocks(document)]


def _is_pytest_snippet(tree: ast.Module) -> bool:
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    return any(
        f.name.startswith("test") or any("pytest" in ast.unparse(d) for d in f.decorator_list)
        for f in functions
    )


def _check_imports(tree: ast.Module) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                importlib.import_module(alias.name)
        elif isinstance(node, ast.ImportFrom):
            assert node.module is not None and node.level == 0, ast.unparse(node)
            module = importlib.import_module(node.module)
            for alias in node.names:
                if alias.name != "*" and not hasattr(
                    module, alias.name
                ):  # a submodule not imported yet
                    importlib.import_module(f"{node.module}.{alias.name}")


def _prepare(directory: Path) -> None:
    """What the examples read, in the directory they run in."""
    shutil.copy(ROOT / "pytest_amigo/emulator/default_world.toml", directory / "world.toml")
    (directory / "reports").mkdir()
    shutil.copy(ROOT / "example_project/baseline/main-amigo.json", directory / "reports/amigo.json")


def test_the_documents_hold_python_examples() -> None:
    assert {b.document.name for b in BLOCKS} >= {"README.md", "emulator.md", "html-report.md"}


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_python_example(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = compile(block.source, block.name, "exec")
    tree = ast.parse(block.source)
    _check_imports(tree)
    if _is_pytest_snippet(tree):
        return
    _prepare(tmp_path)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "__docs_example__"}
    exec(code, namespace)


def _cited(document: Path) -> set[str]:
    text = document.read_text(encoding="utf-8")
    return {m.group(1) for m in _CITED.finditer(text)}


def _repository_path(cited: str) -> str | None:
    path = cited.removeprefix("./").split("::")[0]
    if not path.startswith(_TOP_LEVEL) or "<" in path or "*" in path:
        return None
    return path


def _found(cited: str) -> bool:
    """The path exists; a test's node id (``path::test_name``) names a test of that file."""
    path, _, test = cited.removeprefix("./").partition("::")
    if not (ROOT / path).exists():
        return False
    name = test.split("[")[0].split("::")[-1]
    return not name or f"def {name}(" in (ROOT / path).read_text(encoding="utf-8")


@pytest.mark.parametrize("document", DOCUMENTS, ids=[d.name for d in DOCUMENTS])
def test_cited_repository_paths_exist(document: Path) -> None:
    cited = {c for c in _cited(document) if _repository_path(c) not in (None, *GENERATED)}
    missing = sorted(c for c in cited if not _found(c) and (document.name, c) not in PENDING)
    assert missing == []


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            value: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            if not hasattr(value, attribute):
                return False
            value = getattr(value, attribute)
        return True
    return False


@pytest.mark.parametrize("document", DOCUMENTS, ids=[d.name for d in DOCUMENTS])
def test_cited_pytest_amigo_names_resolve(document: Path) -> None:
    names = {m.group(0) for c in _cited(document) for m in _DOTTED.finditer(c)}
    assert sorted(n for n in names if not _resolves(n)) == []


def test_the_path_and_block_readers_see_what_they_should(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        "text `pytest_amigo/x.py` and `tests/a.py::test_b` and `./scripts/demo` `a/b`\n"
        "```sh\npython\n```\n\n- item:\n\n  ```python\n  import json\n  ```\n",
        encoding="utf-8",
    )
    (block,) = python_blocks(doc)
    assert (block.line, block.source) == (8, "import json\n")
    assert sorted(p for c in _cited(doc) if (p := _repository_path(c))) == [
        "pytest_amigo/x.py",
        "scripts/demo",
        "tests/a.py",
    ]
    assert _found("tests/unit/test_docs_examples.py::test_python_example[README.md:1]")
    assert not _found("tests/unit/test_docs_examples.py::test_no_such_test")
    assert _resolves("pytest_amigo.emulator.derive_id")
    assert not _resolves("pytest_amigo.html_report")
