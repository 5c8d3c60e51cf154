"""The list and search methods send the shared filters (``ListQuery``, ``TaggedQuery``) and their
own ones in the contract's order, and refuse a keyword they do not take."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from amigo_sdk.generated.model import UserSignInWithApiKeyResponse

from pytest_amigo.api import SimulationApi
from pytest_amigo.api import paced_client as client_module
from support.doubles import offline_api

ORG = "acme"


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SimulationApi, list[httpx.Request]]]:
    def fake(cfg: Any) -> UserSignInWithApiKeyResponse:
        return UserSignInWithApiKeyResponse(
            id_token="tok", expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        )

    monkeypatch.setattr(client_module, "sign_in_with_api_key", fake)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        key = request.url.path.strip("/").split("/")[-1]
        return httpx.Response(200, json={"_": key})

    client = offline_api(handler)
    yield client, seen
    client.close()


ALL = {
    "ids": ["i1"],
    "is_deleted": False,
    "creators": ["c1"],
    "tags": ["t:1"],
    "sort_by": ["-created_at"],
    "limit": 5,
}
TAGGED = {"creators": ["c1"], "tags": ["t:1"]}
SHARED = "is_deleted=false&{own}creator=c1&tag=t%3A1&sort_by=-created_at&id=i1&limit=5"

CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("list_personas", {**ALL, "roles": ["r"]}, "/simulation/persona/", "role=r&"),
    ("list_scenarios", ALL, "/simulation/scenario/", ""),
    (
        "list_unit_test_sets",
        {**ALL, "unit_test_ids": ["u1"]},
        "/simulation/unit_test_set/",
        "unit_test_id=u1&",
    ),
    (
        "list_unit_tests",
        {**ALL, "service_ids": ["s"], "persona_ids": ["p"], "scenario_ids": ["sc"],
         "metric_ids": ["m"]},
        "/simulation/unit_test/",
        "service_id=s&persona_id=p&scenario_id=sc&metric_id=m&",
    ),
]  # fmt: skip

SEARCHES: list[tuple[str, dict[str, Any], str, str]] = [
    ("search_personas", {**TAGGED, "roles": ["r"]}, "/simulation/persona/search",
     "query=q&role=r&creator=c1&tag=t%3A1"),
    ("search_scenarios", TAGGED, "/simulation/scenario/search", "query=q&creator=c1&tag=t%3A1"),
    ("search_unit_test_sets", {**TAGGED, "unit_test_ids": ["u1"]},
     "/simulation/unit_test_set/search/", "query=q&creator=c1&tag=t%3A1&unit_test_id=u1"),
    ("search_unit_tests",
     {**TAGGED, "service_ids": ["s"], "persona_ids": ["p"], "scenario_ids": ["sc"],
      "metric_ids": ["m"]},
     "/simulation/unit_test/search/",
     "query=q&creator=c1&tag=t%3A1&service_id=s&persona_id=p&scenario_id=sc&metric_id=m"),
]  # fmt: skip


def _sent(seen: list[httpx.Request]) -> tuple[str, str]:
    url = seen[-1].url
    return url.path.removeprefix(f"/v1/{ORG}"), url.query.decode()


@pytest.mark.parametrize(("method", "kwargs", "path", "own"), CASES)
def test_list_query_order(
    api: tuple[SimulationApi, list[httpx.Request]],
    method: str,
    kwargs: dict[str, Any],
    path: str,
    own: str,
) -> None:
    client, seen = api
    with pytest.raises(Exception):  # noqa: B017 - the answer is not a page; the request is sent
        getattr(client, method)(**kwargs)
    sent_path, query = _sent(seen)
    assert sent_path == path
    assert query == SHARED.format(own=own)


@pytest.mark.parametrize(("method", "kwargs", "path", "query"), SEARCHES)
def test_search_query_order(
    api: tuple[SimulationApi, list[httpx.Request]],
    method: str,
    kwargs: dict[str, Any],
    path: str,
    query: str,
) -> None:
    client, seen = api
    with pytest.raises(Exception):  # noqa: B017 - the answer is not a search answer
        getattr(client, method)("q", **kwargs)
    assert _sent(seen) == (path, query)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda c: c.list_personas(idz=["a"]), "idz"),
        (lambda c: c.list_unit_tests(creator=["a"]), "creator"),
        (lambda c: c.search_scenarios("q", is_deleted=True), "is_deleted"),
    ],
)
def test_unknown_keyword_is_refused(
    api: tuple[SimulationApi, list[httpx.Request]],
    call: Callable[[SimulationApi], Any],
    name: str,
) -> None:
    client, seen = api
    with pytest.raises(TypeError, match=name):
        call(client)
    assert seen == []
