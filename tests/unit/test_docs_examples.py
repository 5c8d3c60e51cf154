"""The examples of README.md, docs/*.md and example_project/README.md stay true: their code runs,
their paths exist, their commands name what exists.

Every ```python block is compiled and every name it imports must import. A block that defines
no test and no fixture is a script: it runs, in a directory holding what the examples read
(``world.toml``: the bundled world; ``reports/amigo.json``: the example project's baseline
report). A pytest snippet (a test or a fixture) is compiled and its imports checked only: it
needs a session to run in.

Every repository path cited in backticks (``pytest_amigo/...``, ``tests/...``, ``scripts/...``,
...) must exist (in example_project/README.md: in the example project, else the repository),
every relative Markdown link must lead to a file, and every dotted name under ``pytest_amigo.``
must resolve.

Every command (a line of a ```sh block, an inline ``pytest ...``) names only what exists: each
``--amigo-*`` option is declared (with a value among its choices), each set id is a set of a
bundled emulator world (so the example runs against the emulator), each version set one of their
version sets, the emulator's and ``pytest-amigo merge``'s command lines parse, and ``pip install``
installs from the checkout (pytest-amigo is not on the package index). The README stays a guide
(at most 170 lines, the Quickstart's two commands as they are); the reference lives in docs/.
"""

from __future__ import annotations

import ast
import importlib
import re
import shlex
import shutil
import textwrap
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_amigo.emulator import Emulator, World

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "example_project/README.md",
]

_FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
_CITED = re.compile(r"`([^`\s]+)`")
_TOP_LEVEL = ("pytest_amigo/", "tests/", "scripts/", "docs/", "example_project/", "bench/")
_DOTTED = re.compile(r"\bpytest_amigo(?:\.\w+)+")

GENERATED = {"example_project/reports/", "example_project/.amigo-artifacts/"}
"""Cited outputs of ``./scripts/demo``: ignored by git, absent from a fresh checkout."""

PENDING = {"docs/exit-codes.md"}
"""Link targets written on other branches of the same issue; remove each once it is merged."""


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
    if "SimulationApi" not in block.source:
        exec(code, namespace)
        return
    # an example against "your organization": the emulator's demo world stands in for it
    with Emulator(World.default()) as emulator:
        for key, value in emulator.env().items():
            monkeypatch.setenv(key, value)
        exec(code, namespace)


def _cited(document: Path) -> set[str]:
    text = document.read_text(encoding="utf-8")
    return {m.group(1) for m in _CITED.finditer(text)}


def _repository_path(cited: str) -> str | None:
    path = cited.removeprefix("./").split("::")[0]
    if not path.startswith(_TOP_LEVEL) or "<" in path or "*" in path:
        return None
    return path


def _found(cited: str, base: Path = ROOT) -> bool:
    """The path exists (below ``base``, else the repository); a test's node id
    (``path::test_name``) names a test of that file."""
    path, _, test = cited.removeprefix("./").partition("::")
    where = next((b / path for b in (base, ROOT) if (b / path).exists()), None)
    if where is None:
        return False
    name = test.split("[")[0].split("::")[-1]
    return not name or f"def {name}(" in where.read_text(encoding="utf-8")


def _label(document: Path) -> str:
    return str(document.relative_to(ROOT))


@pytest.mark.parametrize("document", DOCUMENTS, ids=[_label(d) for d in DOCUMENTS])
def test_cited_repository_paths_exist(document: Path) -> None:
    cited = {c for c in _cited(document) if _repository_path(c) not in (None, *GENERATED)}
    assert sorted(c for c in cited if not _found(c, document.parent)) == []


_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("document", DOCUMENTS, ids=[_label(d) for d in DOCUMENTS])
def test_relative_links_lead_to_files(document: Path) -> None:
    targets = {t for t in _LINK.findall(document.read_text(encoding="utf-8")) if "://" not in t}
    missing = {
        t
        for t in targets
        if not (document.parent / t).exists()
        and str((document.parent / t).resolve().relative_to(ROOT)) not in PENDING
    }
    assert sorted(missing) == []


def test_pending_link_targets_are_still_pending() -> None:
    """An exemption ends when its file arrives: then drop it from PENDING."""
    assert [p for p in sorted(PENDING) if (ROOT / p).exists()] == []


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


@pytest.mark.parametrize("document", DOCUMENTS, ids=[_label(d) for d in DOCUMENTS])
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


# -- commands ---------------------------------------------------------------------------------

_SHELL = ("sh", "shell", "bash", "console")
_COMMAND_START = (
    "pytest ",
    "./scripts/",
    "python -m pytest",
    "pytest-amigo merge",
    "AMIGO_",
    "pip ",
)
_SET_LINE = re.compile(r"--amigo-set|amigo_sets?\b")
_OBJECT_ID = re.compile(r"\b[0-9a-f]{24}\b")
_VERSION_SET = re.compile(
    r"(?:--amigo-version-set|--amigo-compare|AMIGO_VERSION_SET)[= ]([^\s`'\"]+)"
)
_AMIGO_FLAG = re.compile(r"(--amigo-[a-z-]+)(?:=([^\s`'\"\\|)]+))?")


def commands(document: Path) -> list[str]:
    """The shell commands of a document: the lines of its shell blocks (continuations joined,
    prompts and comments dropped) and its inline code spans that start like a command."""
    found: list[str] = []
    inside: str | None = None
    pending = ""
    for line in document.read_text(encoding="utf-8").splitlines():
        fence = _FENCE.match(line)
        if fence is not None:
            inside = None if inside is not None else fence.group(2)
            continue
        if inside in _SHELL:
            text = line.strip().removeprefix("$ ").split(" #")[0].strip()
            if text.startswith("#") or not text:
                continue
            if text.endswith("\\"):
                pending += text[:-1] + " "
                continue
            found.append(pending + text)
            pending = ""
        elif inside is None:
            found += [c for c in re.findall(r"`([^`]+)`", line) if c.startswith(_COMMAND_START)]
    return found


def _worlds() -> list[dict[str, Any]]:
    return [
        World.from_toml(ROOT / path).summary()
        for path in ("pytest_amigo/emulator/default_world.toml", "example_project/amigo-world.toml")
    ]


SET_IDS = {s["id"] for w in _worlds() for s in w["sets"]}
VERSION_SETS = {v["name"] for w in _worlds() for sv in w["services"] for v in sv["version_sets"]}


def _flags() -> dict[str, tuple[str, ...]]:
    from pytest_amigo.plugin.declarations import SETTINGS

    return {d.flag: tuple(d.choices) for d in SETTINGS if d.flag}


@pytest.mark.parametrize("document", DOCUMENTS, ids=[_label(d) for d in DOCUMENTS])
def test_every_amigo_option_named_is_declared_with_a_value_among_its_choices(
    document: Path,
) -> None:
    flags = _flags()
    text = document.read_text(encoding="utf-8")
    wrong = []
    for flag, value in _AMIGO_FLAG.findall(text):
        if flag not in flags:
            wrong.append(flag)
        elif flags[flag] and value and value.isalpha() and value not in flags[flag]:
            wrong.append(f"{flag}={value}")
    assert wrong == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=[_label(d) for d in DOCUMENTS])
def test_set_ids_and_version_sets_of_the_examples_exist_in_an_emulator_world(
    document: Path,
) -> None:
    """So every example runs against the bundled emulator as written."""
    lines = document.read_text(encoding="utf-8").splitlines()
    ids = {i for line in lines if _SET_LINE.search(line) for i in _OBJECT_ID.findall(line)}
    assert sorted(ids - SET_IDS) == []
    named = {v for c in commands(document) for v in _VERSION_SET.findall(c)}
    placeholders = {v for v in named if v.startswith(("$", "<", "{")) or v.isupper()}
    assert sorted(named - placeholders - VERSION_SETS) == []


def _arguments(command: str, program: str) -> list[str]:
    return shlex.split(command.split(program, 1)[1].split("|")[0])


@pytest.mark.parametrize("document", DOCUMENTS, ids=[_label(d) for d in DOCUMENTS])
def test_emulator_and_merge_command_lines_parse(document: Path) -> None:
    from pytest_amigo.emulator.__main__ import parser as emulator_parser
    from pytest_amigo.reports.cli import parser as merge_parser

    for command in commands(document):
        for program, parser in [
            ("python -m pytest_amigo.emulator", emulator_parser()),
            ("pytest-amigo merge", merge_parser()),
            ("python -m pytest_amigo merge", merge_parser()),
        ]:
            if program in command and (words := _arguments(command, program)):
                parser.parse_args(
                    ["merge", *words] if program.endswith("merge") else words
                )  # exits (a failure) on an unknown option


@pytest.mark.parametrize("document", DOCUMENTS, ids=[_label(d) for d in DOCUMENTS])
def test_pip_installs_from_the_checkout(document: Path) -> None:
    """pytest-amigo is not on the package index: every ``pip install`` names a directory of
    the checkout (with extras pyproject.toml declares)."""
    extras = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    )
    for command in commands(document):
        if not command.startswith("pip install"):
            continue
        for requirement in [w for w in _arguments(command, "pip install") if not w.startswith("-")]:
            path, _, rest = requirement.partition("[")
            assert (ROOT / path / "pyproject.toml").is_file(), command
            assert set(filter(None, rest.rstrip("]").split(","))) <= extras, command


def test_readme_is_a_guide_of_about_150_lines_with_the_reference_in_docs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 170
    quickstart = readme.split("## Quickstart", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    assert quickstart == (
        "./scripts/demo     # the example project against the bundled emulator\n"
        "./scripts/test     # ruff, mypy and the test suite\n"
    )
    for reference in ("options", "verdicts", "candidates", "permissions", "sharding", "benchmarks"):
        assert f"(docs/{reference}.md)" in readme, reference


def test_the_command_reader_sees_what_it_should(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        "run `pytest --amigo-plan` or `ruff .`\n"
        "```sh\n$ pytest --amigo-set=a \\\n       --amigo-plan   # plan\n# a comment\n```\n"
        "```toml\npytest = 1\n```\n",
        encoding="utf-8",
    )
    assert commands(doc) == ["pytest --amigo-plan", "pytest --amigo-set=a  --amigo-plan"]
