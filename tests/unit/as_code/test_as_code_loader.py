"""Reading the definitions files: every problem at once, each with file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_amigo.as_code.loader import DefinitionsError, load, read_texts
from pytest_amigo.as_code.model import Catalog, Criterion, MetricShape, Persona, SetEntry

DOC = Path(__file__).resolve().parents[3] / "docs" / "tests-as-code.md"
METRICS = {
    "Task completed": MetricShape("Task completed", "boolean"),
    "Empathy": MetricShape("Empathy", "numerical", 0, 10),
    "Outcome": MetricShape("Outcome", "categorical", categories=("resolved", "escalated")),
}
CATALOG = Catalog(METRICS, {"Emulated service": ("release", "candidate")})
PEOPLE = """\
personas:
  - name: Angry customer
    role: Customer
    background: Was charged twice.
scenarios:
  - name: Refund request
    objective: Get a refund.
    instructions: Be firm.
"""


def doc_example() -> str:
    """The first ```yaml block of docs/tests-as-code.md: the format's full example."""
    found = re.search(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert found
    return found.group(1)


def problems(texts: dict[str, str], catalog: Catalog = CATALOG) -> list[str]:
    return [str(p) for p in read_texts(texts, catalog)[1]]


def unit_test(**changes: str) -> str:
    fields = {
        "name": "Refund, angry",
        "description": "x",
        "persona": "Angry customer",
        "scenario": "Refund request",
        "service": "Emulated service",
        "version_set": "release",
        "max_interactions": "10",
        "criteria": "[{name: Done, metric: Task completed, expected: true}]",
    } | changes
    body = "\n".join(f"    {k}: {v}" for k, v in fields.items() if v != "-")
    return "unit_tests:\n  - " + body.lstrip() + "\n"


def test_the_documented_example_loads_with_its_names_and_shapes() -> None:
    definitions, found = read_texts({"amigo/a.yaml": doc_example()}, Catalog(METRICS))
    assert found == []
    parent = definitions.personas[0]
    assert parent == Persona(
        name="Busy parent",
        role="Customer",
        background="Two kids, little time.\nWants answers fast.\n",
        preferred_language="eng",
        timezone="Europe/Paris",
        user_models=("Impatient",),
        nonsensitive_user_variables={"plan": "premium"},
        tags={"team": "support"},
    )
    criteria = definitions.unit_tests[0].criteria
    assert criteria[1] == Criterion("Empathy", "Empathy", "numerical", verb=">=", threshold=7.0)
    assert criteria[2].expected_values == ("resolved",)
    assert definitions.sets[0].unit_tests == (SetEntry("Refund is processed", 2),)
    assert str(definitions.unit_tests[0].persona_where) == "amigo/a.yaml:23"


def test_every_problem_is_reported_with_file_and_line_in_one_pass() -> None:
    text = (
        unit_test(
            persona="Angry caller",
            max_interactions="200",
            criteria="\n      - {name: Empathy, metric: Empathy, verb: '>=', threshold: 12}",
        )
        + "    colour: red\nsets:\n  - name: Smoke\n    unit_tests:\n"
        + "      - {unit_test: Refund angry, run_count: 2}\n"
    )
    assert problems({"amigo/a.yaml": PEOPLE, "amigo/sets.yaml": text}) == [
        "amigo/sets.yaml:4: unit test 'Refund, angry' names persona 'Angry caller', which is not "
        "defined; did you mean 'Angry customer'?",
        "amigo/sets.yaml:8: unit test 'Refund, angry': max_interactions must be between 1 and "
        "100, not 200",
        "amigo/sets.yaml:10: unit test 'Refund, angry': criterion 'Empathy': threshold 12 is "
        "outside metric 'Empathy' (from 0 to 10)",
        "amigo/sets.yaml:11: unit test 'Refund, angry': unknown key 'colour'; expected one of: "
        "name, description, persona, scenario, service, version_set, max_interactions, "
        "criteria, tags",
        "amigo/sets.yaml:15: set 'Smoke' names unit test 'Refund angry', which is not defined; "
        "did you mean 'Refund, angry'?",
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"persona": "no"},
            "amigo/t.yaml:4: unit test 'Refund, angry': persona must be text, "
            "not a boolean (yes/no/true/false); quote it if it is text",
        ),
        (
            {"max_interactions": "ten"},
            "amigo/t.yaml:8: unit test 'Refund, angry': "
            "max_interactions must be a whole number, not text",
        ),
        (
            {"version_set": "-"},
            "amigo/t.yaml:2: unit test 'Refund, angry': 'version_set' is missing",
        ),
        (
            {"descripton": "x"},
            "amigo/t.yaml:10: unit test 'Refund, angry': unknown key "
            "'descripton'; did you mean 'description'?",
        ),
        (
            {"criteria": "[{name: Done, metric: Task completed, expected: true, verb: '>'}]"},
            "amigo/t.yaml:9: unit test 'Refund, angry': criterion 'Done' needs exactly one of "
            "'expected' (boolean metric), 'verb' + 'threshold' (numerical) or 'expected_values' "
            "(categorical); 'expected' and 'verb' given",
        ),
        (
            {"criteria": "[{name: Done, metric: Task completed, verb: '>=', threshold: 1}]"},
            "amigo/t.yaml:9: unit test 'Refund, angry': criterion 'Done': metric 'Task completed' "
            "is boolean, the criterion numerical; write 'expected: true' (or false)",
        ),
        (
            {"criteria": "[{name: O, metric: Outcome, expected_values: [resolvd]}]"},
            "amigo/t.yaml:9: unit test 'Refund, angry': criterion 'O': 'resolvd' is not a category "
            "of metric 'Outcome' (resolved, escalated); did you mean 'resolved'?",
        ),
        (
            {"criteria": "[{name: E, metric: Empathy, verb: '=>', threshold: 3}]"},
            "amigo/t.yaml:9: unit test 'Refund, angry': criterion 'E': verb '=>' is not allowed; "
            "did you mean '>='?",
        ),
        (
            {"criteria": "[{name: E, metric: Empaty, verb: '>=', threshold: 3}]"},
            "amigo/t.yaml:9: unit test 'Refund, angry': criterion 'E' names metric 'Empaty', which "
            "the platform does not have; did you mean 'Empathy'?",
        ),
        (
            {"criteria": "[]"},
            "amigo/t.yaml:9: unit test 'Refund, angry': criteria must hold at least one criterion",
        ),
        (
            {"service": "Emulated servce"},
            "amigo/t.yaml:6: unit test 'Refund, angry' names service "
            "'Emulated servce', which the platform does not have; did you mean 'Emulated service'?",
        ),
        (
            {"version_set": "relase"},
            "amigo/t.yaml:7: unit test 'Refund, angry' names version set "
            "'relase', which service 'Emulated service' does not have; did you mean 'release'?",
        ),
    ],
)
def test_each_kind_of_problem_says_what_is_wrong_where(
    changes: dict[str, str], expected: str
) -> None:
    assert problems({"amigo/p.yaml": PEOPLE, "amigo/t.yaml": unit_test(**changes)}) == [expected]


def test_duplicates_across_files_name_the_first_definition() -> None:
    again = PEOPLE.split("scenarios:")[0]
    assert problems({"amigo/a.yaml": PEOPLE, "amigo/b.yaml": again}) == [
        "amigo/b.yaml:2: persona 'Angry customer' is defined twice (first at amigo/a.yaml:2)"
    ]


def test_invalid_yaml_is_reported_with_its_line_and_the_other_files_still_checked() -> None:
    found = problems({"amigo/a.yaml": "personas:\n  - name: [\n", "amigo/b.yaml": unit_test()})
    assert found[0].startswith("amigo/a.yaml:3: not valid YAML")
    assert "names persona 'Angry customer', which is not defined" in found[1]


def test_without_a_catalog_metrics_and_services_are_not_checked() -> None:
    text = unit_test(service="Anything", criteria="[{name: E, metric: Unknown, expected: true}]")
    assert problems({"amigo/p.yaml": PEOPLE, "amigo/t.yaml": text}, Catalog()) == []


def test_load_reads_every_file_of_the_directory_and_raises_with_all_problems(
    tmp_path: Path,
) -> None:
    (tmp_path / "people.yaml").write_text(PEOPLE)
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "tests.yml").write_text(unit_test(persona="Nobody", max_interactions="0"))
    (tmp_path / "notes.txt").write_text("not read")
    with pytest.raises(DefinitionsError) as raised:
        load(tmp_path)
    message = str(raised.value)
    assert message.splitlines()[0] == "2 problems in the definitions (nothing was sent):"
    assert f"{tmp_path / 'more' / 'tests.yml'}:4: unit test" in message
    (tmp_path / "more" / "tests.yml").write_text(unit_test())
    assert [t.name for t in load(tmp_path).unit_tests] == ["Refund, angry"]


def test_a_missing_directory_is_one_problem(tmp_path: Path) -> None:
    with pytest.raises(DefinitionsError, match="no such directory"):
        load(tmp_path / "amigo")
