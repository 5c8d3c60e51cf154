"""The HTML report of an A/B comparison (``--amigo-compare``), pure: ``html_report.render`` on a
JSON report document built by hand (``compare_document.py``, validated against the schema)."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from browser.compare_document import REFERENCE_RUN, RUN, WARNING, compare_document
from pytest_amigo.reports import html_report
from pytest_amigo.reports.document import Report


def render(document: dict[str, Any], **options: Any) -> str:
    """The page of a report document (the typed report, read as the plugin writes it)."""
    return html_report.render(Report.from_json(document), **options)


class Text(HTMLParser):
    """The visible text of an HTML fragment, whitespace collapsed."""

    def __init__(self, fragment: str) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self.feed(fragment)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.parts).split())


def plain(fragment: str) -> str:
    return Text(fragment).plain


@pytest.fixture(scope="module")
def page() -> str:
    return render(compare_document())


def article(page: str, name: str) -> str:
    """The unit test's article (its HTML)."""
    for found in re.findall(r"<article .*?</article>", page, re.S):
        if f'<span class="name">{name}</span>' in found:
            return str(found)
    raise AssertionError(f"no article {name!r}")


def test_candidate_and_reference_side_by_side(page: str) -> None:
    greets = article(page, "Greets")
    assert greets.startswith('<article class="ut o-failed cmp-worse"')
    start = greets.index('<section class="compare cmp-worse"')
    panel = greets[start : greets.index("</section></div>", start) + 10]  # to the sides' end
    assert greets.count('<section class="compare') == 1
    sides = re.findall(r'<section class="side side-(\w+)".*?</section>', panel)
    assert sides == ["candidate", "reference"]
    candidate, reference = (
        plain(s) for s in re.findall(r'<section class="side .*?</section>', panel)
    )
    assert candidate == (
        "Candidate: pr-7 What ran version set pr-7: agent b0d1…27 v2, state machine 6f47…bb v1 "
        f"Outcome Failed Sessions 0 passed of 8 valid Pass rate 0% Run {RUN}"
    )
    assert reference == (
        "Reference: release What ran version set release: agent b0d1…27 v1, state machine "
        f"6f47…bb v1 Outcome Passed Sessions 8 passed of 8 valid Pass rate 100% "
        f"Run {REFERENCE_RUN}"
    )
    text = plain(panel)
    # one sentence naming both sides' counts, with what the p-value is and means
    assert text.startswith(
        "Significantly worse than release : candidate 0/8 vs release 8/8 sessions passed "
        "(-100 pts): significantly worse, adjusted p = 0.000389 (one-sided Fisher for worse, "
        "Holm over 5 unit tests): a gap this large by chance is rarer than 1 in 1,000, even "
        "allowing for 5 comparisons Change -100 pts Adjusted p 0.000389 (one-sided Fisher for "
        "worse, Holm over 5 unit tests)"
    )


def test_both_criteria_grids_the_reference_from_its_own_criteria(page: str) -> None:
    greets = article(page, "Greets")
    grids = re.findall(r'<table class="grid">.*?</table>', greets)
    assert len(grids) == 2  # no third grid of the candidate outside the panel
    candidate, reference = (plain(g) for g in grids)
    assert candidate.startswith("Criteria × sessions of Greets, candidate: pr-7")
    assert reference.startswith("Criteria × sessions of Greets, reference: release")
    assert candidate.count("not met") == 8 and " met" not in candidate.replace("not met", "")
    assert reference.count("✔ met") == 8 and "not met" not in reference
    assert "The candidate’s sessions" in plain(greets)


def test_the_label_badge_and_the_p_value_of_its_direction(page: str) -> None:
    badge = '<span class="badge cmp-worse">Significantly worse than release</span>'
    assert badge in article(page, "Greets")
    refunds = article(page, "Refunds")
    assert '<span class="badge cmp-better">Significantly better than release</span>' in refunds
    assert "Change +100 pts Adjusted p 0.000389 (one-sided Fisher for better, Holm over 5" in (
        plain(refunds)
    )
    # a no detectable difference carries its power, in the badge too
    power = "with 8 sessions per side only a drop from 100% to below 20% would be detected"
    steady = article(page, "Steady")
    assert f'cmp-same">No detectable difference from release; {power}</span>' in steady
    assert "no detectable difference, adjusted p = 1 (" in plain(steady)
    assert "Change 0 pts Adjusted p 1 (" in plain(steady)
    down = plain(article(page, "Down"))
    assert "Not compared with release : candidate vs release: not compared: the candidate" in down
    assert "Change – Adjusted p –" in down
    assert "Not compared because the candidate has no valid session" in down


def test_worse_first_and_worse_counts_as_needing_attention(page: str) -> None:
    checkout = page.split('id="set-0"')[1].split('id="set-1"')[0]
    names = re.findall(r'<span class="name">([^<]*)</span>', checkout)
    assert names == [
        "Greets",
        "Quiet drop",  # passed, but worse than the reference
        "Slips | pipes\nand a new line",
        "Down",
        "Refunds",
        "Steady",
    ]
    quiet = article(page, "Quiet drop")
    assert 'data-outcome="passed" data-failing="1"' in quiet
    assert "worse than release" in re.findall(r'data-search="([^"]*)"', quiet)[0]
    assert "(not passed, or worse than the reference)" in plain(page)


def test_set_line_and_a_loud_escaped_a_a_warning(page: str) -> None:
    checkout = page.split('id="set-0"')[1].split('id="set-1"')[0]
    (banner,) = re.findall(r'<div class="cmp-warning" role="alert">.*?</div>', checkout)
    assert plain(banner) == f"A/A comparison: {WARNING}"
    assert "itself &lt;b&gt;" in banner and "<b>" not in banner
    (line,) = re.findall(r'<p class="cmp-set">.*?</p>', checkout)
    assert plain(line) == (
        f"Significantly worse than release Candidate vs release (run {REFERENCE_RUN}), unit "
        "tests: 2 worse, 1 better, 2 no detectable difference, 1 not compared; overall: "
        "significantly worse, adjusted p = 0.0136 (Cochran-Mantel-Haenszel for worse, Holm over "
        "2 sets)"
    )
    # the banner comes right under the set's heading, before its counts
    assert checkout.index("cmp-warning") < checkout.index('class="counts"')


def test_overview_column_only_with_a_comparison(page: str) -> None:
    overview = plain(page.split('<table class="overview">')[1].split("</table>")[0])
    assert "Pass rate Against the reference" in overview
    assert "1 worse" not in overview
    assert "2 worse, 1 better, 2 no detectable difference, 1 not compared (same agent: A/A)" in (
        overview
    )
    assert overview.endswith("Plain 0 0 0 0 1 100% –")
    document = compare_document()
    del document["sets"][0]["compare"]
    for test in document["sets"][0]["unit_tests"]:
        test["compare"] = None
    without = render(document)
    assert "Against the reference" not in without
    assert '<section class="compare' not in without and '<div class="cmp-warning"' not in without
    assert "(not passed)" in plain(without)


def test_service_text_in_a_comparison_is_escaped() -> None:
    document = compare_document()
    evil = "<script>alert(1)</script>"
    down = document["sets"][0]["unit_tests"][4]["compare"]
    down["why"] = evil
    down["candidate"]["what_ran"]["version_set"] = evil
    down["reference_criteria"][0]["name"] = evil
    document["sets"][0]["compare"]["warning"] = evil
    text = render(document)
    assert "<script>alert" not in text
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4


def test_input_document_is_not_changed() -> None:
    document = compare_document()
    before = copy.deepcopy(document)
    render(document)
    assert document == before


def test_the_page_opens_with_the_verdict_and_the_compared_version_sets(page: str) -> None:
    """Issue 24: the page opens as the step summary does (``headline.headline``, one function
    for both): the verdict, then what each side ran."""
    top = page.split('<header class="top">')[1].split("</header>")[0]
    (headline,) = re.findall(r'<p class="headline gate-failed">.*?</p>', top)
    assert plain(headline) == (
        "Gate failed: 1 unit test significantly worse than release, 1 failed, 1 errored"
    )
    (sides,) = re.findall(r'<ul class="compared-sets".*?</ul>', top)
    assert plain(sides) == (
        "Candidate: version set pr-7: agent b0d1…27 v2, state machine 6f47…bb v1 "
        "Reference: version set release: agent b0d1…27 v1, state machine 6f47…bb v1"
    )
    assert top.index("headline") < top.index('class="overview"')
    passing = compare_document()
    passing["sets"] = passing["sets"][1:]  # Plain: one unit test, passed, no comparison
    top = render(passing).split('<header class="top">')[1]
    assert '<p class="headline gate-passed">Gate passed: 1 unit test passed</p>' in top
    assert "compared-sets" not in top
