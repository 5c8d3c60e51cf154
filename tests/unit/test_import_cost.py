"""A project that installs pytest-amigo but configures no set pays nothing for it (issue 8): the
entry point registers its options, markers, fixtures and hookspecs and imports nothing else until
Amigo work starts (issue 23 §6)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("amigo_sdk", "fastapi", "uvicorn", "httpx", "pydantic")
# The package's modules an unused plugin may import: the public face, the entry point and what
# option registration, the fixtures (their bodies import lazily) and the hookspecs need. Anything
# else (judging, reports, lifecycle, api, emulator, the plugin objects) waits for Amigo work.
ALLOWED = {
    "pytest_amigo",
    "pytest_amigo.contract",
    "pytest_amigo.settings",
    "pytest_amigo.plugin",
    "pytest_amigo.plugin.options",
    "pytest_amigo.plugin.declarations",  # the options, declared once
    "pytest_amigo.plugin.parsers",
    "pytest_amigo.plugin.fixtures",
    "pytest_amigo.plugin.hooks",
    "pytest_amigo.plugin.startup",
}
LOADED = (  # what a snippet prints: the package's modules and the heavy ones, loaded by now
    f"sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r} "
    "or m == 'pytest_amigo' or m.startswith('pytest_amigo.'))"
)


def test_importing_the_plugin_imports_only_what_registering_it_needs() -> None:
    code = f"import json, sys, pytest_amigo, pytest_amigo.plugin\nprint(json.dumps({LOADED}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert loaded - ALLOWED == set(), "imported by the entry point but not allowed"
    assert "pytest_amigo.plugin.startup" in loaded  # the allow-list names real modules


def test_a_session_without_amigo_work_imports_nothing_more(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        f"""
        import json, sys

        def pytest_unconfigure(config):
            with open("loaded.json", "w") as f:
                f.write(json.dumps({LOADED}))
        """
    )
    pytester.makepyfile("def test_plain(): assert True")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "Warning" not in result.stdout.str() + result.stderr.str()  # e.g. assertion rewriting
    loaded = set(json.loads((pytester.path / "loaded.json").read_text()))
    assert loaded - ALLOWED == set(), "imported in a session without Amigo work"
    assert "pytest_amigo.plugin" in loaded  # the plugin was loaded
    assert not list(pytester.path.glob("pytest-amigo-*"))
