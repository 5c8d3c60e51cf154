"""The files written at the end of a session from the JSON document of every unit test:
``--amigo-json``, ``--amigo-html`` and, on GitHub Actions, the step summary.

One document (``json_report.document``) feeds all three, so they never disagree. Writing a report
never fails the session: a problem is a one-line warning.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pytest_amigo.reports import ci_summary, json_report
from pytest_amigo.reports.document import Report
from pytest_amigo.settings import Settings

GITHUB_SUMMARY = "GITHUB_STEP_SUMMARY"


def _shown(path: Path) -> str:
    """A path as a person reads it in CI: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _write_html(path: Path, report: Report) -> None:
    from pytest_amigo.reports import html_report  # imported only when a page is asked for

    html_report.write(path, report)


@dataclass
class Written:
    """What ``write_reports`` wrote: each file as (kind, path as given), and one-line warnings
    for those it could not write."""

    files: list[tuple[str, Path]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def write_all(
    report: Report,
    settings: Settings,
    *,
    junit: Path | None = None,
    environ: Mapping[str, str] = os.environ,
) -> list[str]:
    """Write every report asked for; returns warnings (one line each)."""
    return write_reports(report, settings, junit=junit, environ=environ).warnings


def write_reports(
    report: Report,
    settings: Settings,
    *,
    junit: Path | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Written:
    """Write every report asked for: the JSON and HTML files, then the step summary, which lists
    them (``junit``: the JUnit file pytest writes, listed too)."""
    done = Written()
    written: list[tuple[str, str]] = []
    if junit is not None:
        written.append(("JUnit", _shown(junit)))
    files = (
        ("JSON report", settings.reports.json_path, json_report.write),
        ("HTML report", settings.reports.html_path, _write_html),
    )
    for kind, path, write in files:
        if path is None:
            continue
        try:
            write(path, report)
            written.append((kind, _shown(path)))
            done.files.append((kind, path))
        except OSError as exc:
            done.warnings.append(f"could not write the {kind} {path}: {exc}")
    summary = environ.get(GITHUB_SUMMARY)
    if summary:
        text = ci_summary.markdown(report, report_paths=written)
        problem = ci_summary.append(Path(summary), text)
        if problem:
            done.warnings.append(problem)
    return done
