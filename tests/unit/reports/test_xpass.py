"""A unit test listed in ``amigo_xfail`` that passed (an XPASS): the JSON log records it as
``reported: xpassed`` with its reason; the document reads it, validates, and says it in one
sentence (``words.xpassed_words``); reports of earlier versions still read."""

from __future__ import annotations

import jsonschema

from pytest_amigo.judging.words import XPASS_FIX, xpassed_words
from pytest_amigo.reports import json_report
from pytest_amigo.reports.document import Report

NODE = "amigo::All green::Greets customer"


def _entry(reported: str = "passed") -> dict[str, object]:
    return {
        "nodeid": NODE,
        "id": "66aa00000000000000000001",
        "name": "Greets customer",
        "set_id": "66aa000000000000000000s1",
        "set_name": "All green",
        "outcome": "passed",
        "reported": reported,
        "reason": "1/1 sessions passed",
        "sessions": {"total": 1, "valid": 1, "passed": 1, "errored": 0},
        "pass_rate": 1.0,
        "pass_rate_interval": None,
        "confidence": None,
        "pass_k": None,
        "criteria": [],
        "baseline": None,
    }


def _document(log: json_report.UnitTestLog) -> dict[str, object]:
    return json_report.document("1.2.3", log.unit_tests.values(), {}).to_json()


def test_an_xpass_is_logged_as_xpassed_with_its_reason_after_teardown() -> None:
    log = json_report.UnitTestLog()
    log.add(_entry(), xfailed=False)  # setup
    log.add(_entry(), xfailed=False, reason="SUP-12 flaky", xpassed=True)  # call: wasxfail
    log.add(_entry(), xfailed=False)  # teardown: no wasxfail
    found = log.unit_tests[NODE]
    assert (found["outcome"], found["reported"], found["expected"]) == (
        "passed",
        "xpassed",
        "SUP-12 flaky",
    )


def test_an_xpassed_report_validates_reads_back_and_says_it() -> None:
    log = json_report.UnitTestLog()
    log.add(_entry(), xfailed=False, reason="SUP-12 flaky", xpassed=True)
    data = _document(log)
    jsonschema.validate(data, json_report.schema())
    read = Report.from_json(data)
    assert read.to_json() == data
    [(_, test)] = read.unit_tests
    assert not test.failing
    assert test.xpass_note == xpassed_words("SUP-12 flaky")
    assert test.xpass_note == (
        "XPASS: passed although listed as a known failure (SUP-12 flaky); "
        "fixed: drop the xfail line"
    )
    assert xpassed_words(None).endswith(f"known failure; {XPASS_FIX}")


def test_a_plain_pass_and_an_older_report_say_no_xpass() -> None:
    log = json_report.UnitTestLog()
    log.add(_entry(), xfailed=False)
    data = _document(log)
    [(_, test)] = Report.from_json(data).unit_tests
    assert test.reported == "passed" and test.xpass_note is None
    older = _document(log)
    for entry in older["sets"]:  # type: ignore[attr-defined]
        for unit_test in entry["unit_tests"]:
            del unit_test["reported"]
    [(_, test)] = Report.from_json(older).unit_tests
    assert test.reported is None and test.xpass_note is None
