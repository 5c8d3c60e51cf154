"""pytest-amigo: gate software on Amigo AI-agent simulations with plain pytest.

The public face: what a test receives from the ``amigo_result`` fixture and what it holds. The
plugin itself (``pytest_amigo.plugin``) is loaded by pytest through its entry point.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from pytest_amigo.domain import Criterion, UnitTest, UnitTestSet
from pytest_amigo.judging.verdict import CriterionTally, ErrorKind, Outcome, SessionResult, Verdict
from pytest_amigo.plugin.amigo_result import AmigoResult, ResultOutcome, UnitTestRef

try:
    __version__ = version("pytest-amigo")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

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
