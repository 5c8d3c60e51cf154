"""pytest-amigo: gate software on Amigo AI-agent simulations with plain pytest.

The public face: what a test receives from the ``amigo_result`` fixture and what it holds. The
plugin itself (``pytest_amigo.plugin``) is loaded by pytest through its entry point.

The names are imported on first use: pytest imports this package before the entry point, and an
installed plugin that no session uses must cost nothing (``tests/unit/test_import_cost.py``).
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_amigo.domain import Criterion, UnitTest, UnitTestSet
    from pytest_amigo.judging.verdict import (
        CriterionTally,
        ErrorKind,
        Outcome,
        SessionResult,
        Verdict,
    )
    from pytest_amigo.plugin.amigo_result import AmigoResult, ResultOutcome, UnitTestRef

try:
    __version__ = version("pytest-amigo")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

# public name -> the module that defines it
_HOME = {
    "Criterion": "pytest_amigo.domain",
    "UnitTest": "pytest_amigo.domain",
    "UnitTestSet": "pytest_amigo.domain",
    "UnitTestRef": "pytest_amigo.domain",
    "AmigoResult": "pytest_amigo.plugin.amigo_result",
    "ResultOutcome": "pytest_amigo.plugin.amigo_result",
    "CriterionTally": "pytest_amigo.judging.verdict",
    "ErrorKind": "pytest_amigo.judging.verdict",
    "Outcome": "pytest_amigo.judging.verdict",
    "SessionResult": "pytest_amigo.judging.verdict",
    "Verdict": "pytest_amigo.judging.verdict",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'pytest_amigo' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # once
    return value


__all__ = [
    "AmigoResult",
    "Criterion",
    "CriterionTally",
    "ErrorKind",
    "Outcome",
    "ResultOutcome",
    "SessionResult",
    "UnitTest",
    "UnitTestRef",
    "UnitTestSet",
    "Verdict",
    "__version__",
]
