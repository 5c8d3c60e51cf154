"""Request bodies held to the contract: _NotSet defaults, enums, maxProperties."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pytest_amigo.emulator.contract_enums import LANGUAGES, TIME_ZONES
from support.emulator import Api

GENERATOR = Path(__file__).resolve().parents[2] / "scripts" / "contract_enums.py"

_names = itertools.count()


def _persona(**version: Any) -> dict[str, Any]:
    return {
        "name": f"Validated {next(_names)}",
        "role": "Customer",
        "tags": {},
        "initial_version": {
            "background": "Someone.",
            "user_models": [],
            "nonsensitive_user_variables": {},
            "sensitive_user_variables": {},
            **version,
        },
    }


def _versions(api: Api, persona_id: str) -> list[dict[str, Any]]:
    resp = api.get(f"/simulation/persona/{persona_id}/version/")
    versions: list[dict[str, Any]] = resp.json()["simulation_persona_versions"]
    return versions


def _generator() -> ModuleType:
    """``scripts/contract_enums.py``, which writes the enums' package data from the contract."""
    found = importlib.util.spec_from_file_location("contract_enums_generator", GENERATOR)
    assert found is not None and found.loader is not None
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    return module


def test_enums_match_the_contract(spec: dict[str, Any]) -> None:
    generator = _generator()
    languages, zones = generator.from_contract(spec)
    assert LANGUAGES == frozenset(languages) and len(LANGUAGES) == len(languages)
    assert TIME_ZONES == frozenset(zones) and len(TIME_ZONES) == len(zones)
    # the initial version of a new persona uses the same enums
    props = spec["components"]["schemas"][
        "src__app__endpoints__simulation__create_simulation_persona__Request__InitialVersion"
    ]["properties"]
    assert next(x for x in props["preferred_language"]["anyOf"] if "enum" in x)["enum"] == languages
    assert next(x for x in props["timezone"]["anyOf"] if "enum" in x)["enum"] == zones
    # and the package data file is exactly what the generator writes from the contract
    data_file = Path(generator.DATA_FILE)
    assert data_file == GENERATOR.parents[1] / "pytest_amigo/emulator/contract_enums.json"
    assert data_file.read_text(encoding="utf-8") == generator.render(languages, zones)


def test_not_set_language_and_time_zone_are_accepted(api: Api) -> None:
    resp = api.post("/simulation/persona/", _persona(preferred_language={}, timezone={}))
    assert resp.status_code == 201, resp.text
    pid = resp.json()["simulation_persona_id"]
    version = _versions(api, pid)[0]
    assert (version["preferred_language"], version["timezone"]) == (None, None)
    resp = api.post(
        f"/simulation/persona/{pid}/version/",
        {**_persona(preferred_language="eng", timezone="Europe/Paris")["initial_version"]},
    )
    assert resp.status_code == 201, resp.text
    latest = _versions(api, pid)[-1]
    assert (latest["preferred_language"], latest["timezone"]) == ("eng", "Europe/Paris")
    resp = api.post("/simulation/persona/", _persona(preferred_language=None, timezone=None))
    assert resp.status_code == 201, resp.text


@pytest.mark.parametrize(
    ("version", "field"),
    [
        ({"preferred_language": "english"}, "preferred_language"),
        ({"preferred_language": "EN"}, "preferred_language"),
        ({"preferred_language": {"code": "eng"}}, "preferred_language"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": 5}, "timezone"),
        ({"nonsensitive_user_variables": {f"v_{i}": "x" for i in range(21)}}, None),
        ({"sensitive_user_variables": {f"v_{i}": "x" for i in range(21)}}, None),
    ],
)
def test_bad_persona_versions_are_422(api: Api, version: dict[str, Any], field: str | None) -> None:
    resp = api.post("/simulation/persona/", _persona(**version))
    assert resp.status_code == 422, resp.text
    locs = [e["loc"] for e in resp.json()["detail"]]
    assert all(loc[:2] == ["body", "initial_version"] for loc in locs), locs
    if field is not None:
        assert any(field in loc for loc in locs), locs
    pid = api.get("/simulation/persona/").json()["simulation_personas"][0]["id"]
    resp = api.post(f"/simulation/persona/{pid}/version/", _persona(**version)["initial_version"])
    assert resp.status_code == 422, resp.text


def test_more_than_twenty_tags_are_422(api: Api) -> None:
    twenty = {f"k{i}": "v" for i in range(20)}
    ok = api.post("/simulation/persona/", {**_persona(), "tags": twenty})
    assert ok.status_code == 201, ok.text
    pid = ok.json()["simulation_persona_id"]
    too_many = {**twenty, "k20": None}
    for resp in (
        api.post("/simulation/persona/", {**_persona(), "tags": too_many}),
        api.post(f"/simulation/persona/{pid}/", {"tags": too_many}),
        api.post(
            "/simulation/scenario/",
            {
                "name": "Too many tags",
                "tags": too_many,
                "initial_version": {
                    "objective": "o",
                    "instructions": "i",
                    "initial_message_type": "user-message",
                    "conversation_starts_at": None,
                },
            },
        ),
    ):
        assert resp.status_code == 422, resp.text
        assert resp.json()["detail"][0]["loc"][:2] == ["body", "tags"]
    assert api.post(f"/simulation/persona/{pid}/", {"tags": twenty}).status_code == 204
