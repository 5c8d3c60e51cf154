"""The published JSON Schema and the loader agree, and the examples and exports fit it."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml
from test_as_code_loader import PEOPLE, doc_example, unit_test

from pytest_amigo.as_code.loader import read_texts
from pytest_amigo.as_code.writer import write_definitions

SCHEMA = json.loads(
    resources.files("pytest_amigo.as_code").joinpath("definitions.schema.json").read_text()
)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
SET = "sets:\n  - name: Smoke\n    unit_tests: [{unit_test: Refund, angry, run_count: 2}]\n"
ACCEPTED = {
    "people": PEOPLE,
    "a unit test": PEOPLE + unit_test(),
    "an empty file": "",
    "an empty section": "personas:\n",
    "tags without a value": PEOPLE + "    tags: {smoke: null, team: support}\n",
    "a set without description": PEOPLE
    + unit_test()
    + SET.replace("Refund, angry", "'Refund, angry'"),
    "a categorical criterion": PEOPLE
    + unit_test(criteria="[{name: O, metric: Outcome, expected_values: [a]}]"),
    "a numerical criterion": PEOPLE
    + unit_test(criteria="[{name: E, metric: E, verb: '<', threshold: 2.5}]"),
}
REJECTED = {
    "an unknown section": "persona:\n  - name: x\n",
    "a missing background": "personas:\n  - {name: A, role: B}\n",
    "a boolean role": "personas:\n  - {name: A, role: no, background: C}\n",
    "an empty name": "personas:\n  - {name: ' ', role: B, background: C}\n",
    "an unknown persona key": "personas:\n  - {name: A, role: B, background: C, age: 3}\n",
    "a wrong initial message type": "scenarios:\n  - {name: A, objective: B, instructions: C,"
    " initial_message_type: hello}\n",
    "no interactions": PEOPLE + unit_test(max_interactions="0"),
    "too many interactions": PEOPLE + unit_test(max_interactions="101"),
    "no criteria": PEOPLE + unit_test(criteria="[]"),
    "two criterion shapes": PEOPLE
    + unit_test(criteria="[{name: E, metric: E, expected: true, verb: '>', threshold: 1}]"),
    "a threshold without verb": PEOPLE + unit_test(criteria="[{name: E, metric: E, threshold: 1}]"),
    "a quoted boolean": PEOPLE + unit_test(criteria="[{name: E, metric: E, expected: 'yes'}]"),
    "no category": PEOPLE + unit_test(criteria="[{name: E, metric: E, expected_values: []}]"),
    "a zero run count": PEOPLE
    + unit_test()
    + "sets:\n  - {name: S, unit_tests: [{unit_test: 'Refund, angry', run_count: 0}]}\n",
    "an empty set": "sets:\n  - {name: S, unit_tests: []}\n",
    "a list of tags": "personas:\n  - {name: A, role: B, background: C, tags: [a]}\n",
}


def schema_accepts(text: str) -> bool:
    return VALIDATOR.is_valid(yaml.safe_load(text))


def loader_accepts(text: str) -> bool:
    return read_texts({"amigo/x.yaml": text})[1] == []


@pytest.mark.parametrize("text", ACCEPTED.values(), ids=ACCEPTED)
def test_the_loader_and_the_schema_both_accept(text: str) -> None:
    assert (loader_accepts(text), schema_accepts(text)) == (True, True)


@pytest.mark.parametrize("text", REJECTED.values(), ids=REJECTED)
def test_the_loader_and_the_schema_both_reject(text: str) -> None:
    assert (loader_accepts(text), schema_accepts(text)) == (False, False)


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_the_documented_example_fits_the_schema() -> None:
    VALIDATOR.validate(yaml.safe_load(doc_example()))


def test_exported_files_fit_the_schema_and_read_back_to_the_same_definitions(
    tmp_path: Path,
) -> None:
    definitions, found = read_texts({"amigo/a.yaml": doc_example()})
    assert found == []
    written = write_definitions(definitions, tmp_path)
    assert [p.name for p in written] == [
        "personas.yaml",
        "scenarios.yaml",
        "unit_tests.yaml",
        "sets.yaml",
    ]
    for path in written:
        VALIDATOR.validate(yaml.safe_load(path.read_text()))
    texts = {str(p): p.read_text() for p in written}
    again, found = read_texts(texts)
    assert found == []
    assert again == definitions
    assert "    background: |\n      Two kids, little time.\n" in texts[str(written[0])]
