"""A project that installs pytest-amigo but configures no set pays nothing for it (issue 8)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("amigo_sdk", "fastapi", "uvicorn", "httpx", "pydantic")


def test_importing_the_plugin_imports_no_sdk_emulator_or_http_client() -> None:
    code = (
        "import sys, pytest_amigo, pytest_amigo.plugin\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_a_session_without_amigo_work_never_loads_the_sdk(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import sys

        def pytest_unconfigure(config):
            with open("loaded.txt", "w") as f:
                f.write(str("amigo_sdk" in sys.modules))
        """
    )
    pytester.makepyfile("def test_plain(): assert True")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert (pytester.path / "loaded.txt").read_text() == "False"
    assert not list(pytester.path.glob("pytest-amigo-*"))
