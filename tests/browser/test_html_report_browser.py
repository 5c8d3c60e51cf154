"""The HTML report in a real browser: headless Chromium loads the report of a real run with
failures (pytest against the emulator's evidence world) and the tests check what is *visible*;
and the report of an A/B comparison (``--amigo-compare``, a document built by hand:
``compare_document.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser.compare_document import compare_document
from pytest_amigo.reports import html_report
from pytest_amigo.reports.document import Report
from pytest_amigo.reports.json_report import schema
from pytest_amigo.reports.merge import Shard, merge


def render(document: dict[str, Any], **options: Any) -> str:
    """The page of a report document (the typed report, read as the plugin writes it)."""
    return html_report.render(Report.from_json(document), **options)


def write(path: Path, document: dict[str, Any]) -> None:
    html_report.write(path, Report.from_json(document))


pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def report(evidence_run: Any, tmp_path: Path) -> Path:
    path = tmp_path / "report" / "amigo.html"
    write(path, evidence_run.document)
    return path


@pytest.fixture
def page(chromium: Any, report: Path) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(report.as_uri())
    yield page
    context.close()
    assert not errors, errors


def card(page: Any, name: str) -> Any:
    return page.locator("article.ut").filter(has=page.locator("span.name", has_text=name))


def test_failing_session_justification_counts_and_filter(
    page: Any, evidence_run: Any, tmp_path: Path
) -> None:
    assert evidence_run.unit_tests["Broken"]["outcome"] == "failed"  # the run we render
    assert evidence_run.unit_tests["Shaky"]["outcome"] == "inconclusive"
    header = page.locator("section.set").first
    assert header.locator("h2").inner_text() == "Evidence"
    counts = header.locator("ul.counts").inner_text().split("\n")
    assert counts == ["1 failed", "0 errors", "1 inconclusive", "0 xfailed", "1 passed"]
    assert page.get_by_role("radio", name="Failing only").is_checked()
    assert page.locator("#shown").inner_text() == "Showing 2 of 3 unit tests."

    broken = card(page, "Broken")
    assert broken.is_visible() and card(page, "Shaky").is_visible()
    assert not card(page, "Solid").is_visible()  # the filter hides the passed unit test
    # session 3 is the first failing one: open, its justification and value on screen
    session = broken.locator("details.session").nth(2)
    assert session.locator("summary").inner_text() == "Session 3: failed"
    why = session.get_by_role("cell", name="The agent hung up.")
    assert why.is_visible()
    assert session.get_by_role("row", name="Completed").inner_text().split("\t")[:4] == [
        "Completed",
        "false",
        "is true",
        "✘ not met",
    ]
    grid = broken.get_by_role("table", name="Criteria × sessions of Broken")
    assert grid.is_visible()
    assert "✘ not met" in grid.get_by_role("row", name="Completed").inner_text()
    assert "0.06–0.51 (95% Wilson interval)" in broken.inner_text()
    # the passed sessions stay closed: their justification is not on screen
    assert not broken.locator("details.session").first.get_by_role("table").is_visible()
    page.screenshot(path=str(tmp_path / "failing-only.png"), full_page=True)

    page.get_by_role("radio", name="All").check()
    assert card(page, "Solid").is_visible()
    assert page.locator("#shown").inner_text() == "Showing 3 of 3 unit tests."
    page.screenshot(path=str(tmp_path / "all.png"))
    assert (tmp_path / "failing-only.png").stat().st_size > 10_000


def test_search_filters_by_name_and_reason(page: Any) -> None:
    page.get_by_role("radio", name="All").check()
    search = page.get_by_label("Search unit tests by name or reason")
    search.fill("shak")
    assert [card(page, n).is_visible() for n in ("Broken", "Shaky", "Solid")] == [
        False,
        True,
        False,
    ]
    search.fill("below the required")  # Broken's reason
    assert [card(page, n).is_visible() for n in ("Broken", "Shaky", "Solid")] == [
        True,
        False,
        False,
    ]
    search.fill("no such unit test")
    assert page.locator("#shown").inner_text() == "Showing 0 of 3 unit tests."
    assert page.get_by_text("No unit test of this set matches the filter").is_visible()


def test_phone_width_has_no_page_scroll(chromium: Any, report: Path, tmp_path: Path) -> None:
    context = chromium.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    page = context.new_page()
    page.goto(report.as_uri())
    page.get_by_role("radio", name="All").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    context.close()


def test_without_javascript_everything_is_shown(chromium: Any, report: Path) -> None:
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(report.as_uri())
    assert all(card(page, n).is_visible() for n in ("Broken", "Shaky", "Solid"))
    assert not page.locator("#controls").is_visible()
    context.close()


@pytest.fixture
def compare_report(tmp_path: Path) -> Path:
    path = tmp_path / "compare" / "amigo.html"
    write(path, compare_document())
    return path


def open_page(chromium: Any, path: Path, width: int) -> tuple[Any, Any, list[str]]:
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.as_uri())
    return context, page, errors


def test_comparison_side_by_side_with_the_a_a_warning(
    chromium: Any, compare_report: Path, tmp_path: Path
) -> None:
    context, page, errors = open_page(chromium, compare_report, 1280)
    banner = page.get_by_role("alert")
    assert banner.is_visible()
    assert banner.inner_text().startswith(
        "A/A comparison: pr-7 and release ran the same agent version: this compares release "
        "with itself"
    )
    greets = card(page, "Greets")
    assert page.locator("article.ut").first.locator("span.name").inner_text() == "Greets"
    badge = greets.locator("h3 .badge.cmp-worse")
    assert badge.inner_text() == "Significantly worse than release"
    assert badge.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(176, 0, 32)"
    candidate = greets.get_by_role("region", name="Candidate: pr-7", exact=True)
    reference = greets.get_by_role("region", name="Reference: release", exact=True)
    assert candidate.is_visible() and reference.is_visible()
    left, right = candidate.bounding_box(), reference.bounding_box()
    assert abs(left["y"] - right["y"]) < 2 and right["x"] >= left["x"] + left["width"]
    assert "0 passed of 8 valid" in candidate.inner_text()
    assert "8 passed of 8 valid" in reference.inner_text()
    for side in ("candidate: pr-7", "reference: release"):
        grid = greets.get_by_role("table", name=f"Criteria × sessions of Greets, {side}")
        assert grid.is_visible()
    verdict = greets.locator(".cmp-verdict").inner_text().split("\n")
    assert verdict[:3] == ["Change", "-100 pts", "Adjusted p"]
    # failing only: the passed unit test that is worse than the reference is shown too
    assert card(page, "Quiet drop").is_visible() and not card(page, "Steady").is_visible()
    page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
    context.close()
    assert not errors, errors


def test_the_candidate_grid_shows_its_last_session_at_1400_px(
    chromium: Any, tmp_path: Path
) -> None:
    """Issue 24: at 1400 px the candidate's criteria x sessions grid clipped its sixth session
    column (values like escalated_to_billing kept every cell on one line). Six sessions of long
    values fit beside nothing hidden: the last column ends inside the grid's box."""
    document = compare_document()
    greets = document["sets"][0]["unit_tests"][0]
    for criterion in greets["criteria"]:
        criterion["values"] = ["escalated_to_billing_department"] * len(criterion["values"])
    path = tmp_path / "wide" / "amigo.html"
    write(path, document)
    context, page, errors = open_page(chromium, path, 1400)
    grid = card(page, "Greets").get_by_role(
        "region", name="Criteria × sessions of Greets, candidate: pr-7", exact=True
    )
    assert grid.is_visible()
    box = grid.bounding_box()
    last = grid.locator("thead th").last
    assert last.inner_text() == "Session 8"
    column = last.bounding_box()
    assert column["x"] + column["width"] <= box["x"] + box["width"] + 0.5, (column, box)
    assert grid.evaluate("el => el.scrollWidth <= el.clientWidth"), "the grid scrolls"
    context.close()
    assert not errors, errors


def test_comparison_stacks_on_a_phone(chromium: Any, compare_report: Path) -> None:
    context, page, errors = open_page(chromium, compare_report, 375)
    greets = card(page, "Greets")
    candidate = greets.get_by_role("region", name="Candidate: pr-7", exact=True).bounding_box()
    reference = greets.get_by_role("region", name="Reference: release", exact=True).bounding_box()
    assert reference["y"] >= candidate["y"] + candidate["height"]
    assert page.get_by_role("alert").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()
    assert not errors, errors


def test_the_merged_report_of_shards_shows_every_unit_test_once(
    chromium: Any, evidence_run: Any, tmp_path: Path
) -> None:
    """``pytest-amigo merge`` of two shards of the real run (its unit tests dealt out between
    them, as pytest-split does) renders as one session's page: one set, every unit test."""
    document = evidence_run.document
    [entry] = document["sets"]
    halves = [entry["unit_tests"][::2], entry["unit_tests"][1::2]]
    shards = [
        Shard(f"shard-{i}.json", {**document, "sets": [{**entry, "unit_tests": half}]})
        for i, half in enumerate(halves, 1)
    ]
    merged = merge(shards, schema(), version="test").document.to_json()
    path = tmp_path / "merged" / "amigo.html"
    write(path, merged)
    context, page, errors = open_page(chromium, path, 1280)
    page.get_by_label("All", exact=True).check()  # not only the failing ones
    names = [u["name"] for u in entry["unit_tests"]]
    for name in names:
        assert card(page, name).is_visible(), name
    assert page.locator("article.ut").count() == len(names)
    assert page.get_by_role("heading", name=entry["name"]).count() >= 1
    context.close()
    assert not errors, errors
