"""The published metadata, read from pyproject.toml (building a wheel is left to release)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]


def test_license_is_an_spdx_expression_with_its_file() -> None:
    # PEP 639: a string (the table form makes setuptools warn on every build), the file
    # shipped in .dist-info/licenses/, and no license classifier beside the expression.
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert not [c for c in PROJECT.get("classifiers", []) if c.startswith("License ::")]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 The pytest-amigo authors" in text


def test_the_build_backend_understands_the_license_expression() -> None:
    (setuptools,) = [
        Requirement(r)
        for r in PYPROJECT["build-system"]["requires"]
        if Requirement(r).name == "setuptools"
    ]
    assert not setuptools.specifier.contains(Version("76.99"))  # PEP 639 support: 77.0


def test_no_dependency_is_pinned_to_one_version() -> None:
    extras = PROJECT.get("optional-dependencies", {})
    for req in [*PROJECT["dependencies"], *(r for group in extras.values() for r in group)]:
        assert not [s for s in Requirement(req).specifier if s.operator in ("==", "===")], req


def test_every_data_file_of_the_package_is_package_data() -> None:
    # A file the package reads at run time (importlib.resources or beside its module) ships only
    # if [tool.setuptools.package-data] names it; __pycache__ and sources ship anyway.
    package = ROOT / "pytest_amigo"
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["pytest_amigo"]
    data = sorted(
        path.relative_to(package)
        for path in package.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    )
    assert Path("emulator/contract_enums.json") in data  # the contract's enums (scripts/)
    shipped = [p for p in data for g in patterns if p.match(g) and len(p.parts) == g.count("/") + 1]
    assert sorted(set(data) - set(shipped)) == []
