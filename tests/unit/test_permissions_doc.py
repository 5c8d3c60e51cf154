"""docs/permissions.md, the one list of the permissions each feature needs, stays true.

- each row's permissions are exactly those the contract names for the row's operations;
- every operation pytest-amigo sends (the client methods its lifecycle and plugin call) is in
  a row;
- every permission pytest-amigo's code names (in its messages) is in the table.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from pytest_amigo.api.endpoints import ENDPOINTS
from support.contract import load_contract

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs/permissions.md"
PERMISSION = re.compile(r"\b(?:Simulation|Metric|Organization|Conversation):[A-Z][A-Za-z]+\b")
TICKED = re.compile(r"`([^`]+)`")
# client methods named by the contract's authoring operations: search_unit_tests ->
# search-simulation-unit-tests, delete_unit_test_set -> delete-simulation-unit-test-set
AUTHORING = re.compile(r"^(search|create|update|delete)_(unit_tests?|unit_test_sets?)$")


def rows() -> list[tuple[str, list[str], set[str]]]:
    """(feature, operations, permissions) per row of the table."""
    lines = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    assert lines[0].startswith("| feature | operations | permissions |"), lines[0]
    table = []
    for line in lines[2:]:
        feature, operations, permissions = [c.strip() for c in line.split(" | ")[:3]]
        table.append((feature, TICKED.findall(operations), set(PERMISSION.findall(permissions))))
    return table


def contract_permissions() -> dict[str, set[str]]:
    """operation id -> the permissions its contract description names."""
    contract = load_contract()
    return {
        op["operationId"]: set(PERMISSION.findall(op.get("description", "")))
        for path in contract["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }


def _source_files(*, api: bool) -> list[Path]:
    package = ROOT / "pytest_amigo"
    return [
        p
        for p in package.rglob("*.py")
        if "emulator" not in p.parts and (p.parent.name == "api") == api
    ]


def _method_operations() -> dict[str, str]:
    """client method name -> the operation it sends (itself, or through another method)."""
    methods: dict[str, str] = {}
    calls: dict[str, set[str]] = {}
    for path in _source_files(api=True):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            inside = list(ast.walk(node))
            named = {
                c.value
                for c in inside
                if isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value in ENDPOINTS
            }
            if len(named) == 1:
                methods[node.name] = named.pop()
            elif (m := AUTHORING.match(node.name)) is not None:
                noun = m[2].replace("_", "-")
                methods[node.name] = f"{m[1]}-simulation-{noun}"
            else:
                calls[node.name] = {a.attr for a in inside if isinstance(a, ast.Attribute)}
    for name, attributes in calls.items():  # download_artifacts -> self.get_artifacts
        sent = {methods[a] for a in attributes if a in methods}
        if len(sent) == 1:
            methods[name] = sent.pop()
    return methods


def sent_operations() -> set[str]:
    """The operations pytest-amigo sends: the client methods called outside the client."""
    methods = _method_operations()
    called: set[str] = {"sign-in-with-api-key"}
    for path in _source_files(api=False):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in methods:
                called.add(methods[node.attr])
    return called


def test_each_row_names_exactly_the_contract_s_permissions_of_its_operations() -> None:
    contract = contract_permissions()
    for feature, operations, permissions in rows():
        assert operations, feature
        assert all(op in contract for op in operations), operations
        assert permissions == set().union(*(contract[op] for op in operations)), feature


def test_every_operation_pytest_amigo_sends_is_in_a_row() -> None:
    documented = {op for _, operations, _ in rows() for op in operations}
    sent = sent_operations()
    assert {
        "get-simulation-unit-test-set-runs",
        "create-simulation-unit-test",
        "delete-simulation-unit-test-set",
        "get-metric-evaluation-results",
        "get-simulation-unit-test-set-run-artifacts",
    } <= sent  # the reader sees what it should
    assert sent <= documented, sorted(sent - documented)


def test_every_permission_the_code_names_is_in_the_table() -> None:
    named = {
        p
        for path in [*_source_files(api=True), *_source_files(api=False)]
        for p in PERMISSION.findall(path.read_text(encoding="utf-8"))
    }
    documented = set().union(*(permissions for _, _, permissions in rows()))
    assert len(named) >= 7
    assert named <= documented, sorted(named - documented)
