"""Robustness against big runs: lazy planning, no event-loop stalls, linear listings."""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_amigo.emulator import Emulator, World
from pytest_amigo.emulator.planned_runs import PlannedUnitTest
from pytest_amigo.emulator.store import Store
from support.emulator import Api

RUNS = "/simulation/unit_test_set_run/"


def _world(run_count: int, *, random: bool = False) -> World:
    unit_test: dict[str, Any] = {
        "name": "U",
        "persona": "P",
        "scenario": "S",
        "criteria": [{"metric": "M"}, {"metric": "M", "name": "Again"}],
    }
    if random:
        unit_test["random"] = {"pass_rate": 0.9, "error_rate": 0.01, "duration": [10, 20]}
    else:
        unit_test["sessions"] = [
            {"duration": 10},
            {"duration": 20, "error": "Simulator crashed"},
            {"duration": 15, "values": {"Again": False}},
        ]
    return World.from_dict(
        {
            "emulator": {"rate_limits": False},
            "metrics": [{"name": "M"}],
            "personas": [{"name": "P"}],
            "scenarios": [{"name": "S"}],
            "unit_tests": [unit_test],
            "sets": [{"name": "Big", "unit_tests": [{"unit_test": "U", "run_count": run_count}]}],
        }
    )


class HealthProbe:
    """Polls GET /_emulator/health in a thread and keeps the slowest answer time."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        with self.emu.client(timeout=30) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                assert client.get("/_emulator/health").status_code == 200
                self.latencies.append(time.perf_counter() - started)
                self._stop.wait(0.02)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.parametrize("random", [False, True], ids=["sessions", "random"])
def test_a_million_sessions_cost_nothing_to_create(random: bool) -> None:
    world = _world(1_000_000, random=random)
    store = Store(world)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        run_id = store.create_run(world.sets[0].id, world.users[0])
        elapsed = time.perf_counter() - started
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert elapsed < 0.5
    assert grown < 512 * 1024, f"creating the run kept {grown} bytes"
    run = store.runs[run_id]
    u = run.unit_tests[0]
    assert run.end > run.created  # one pass over the sessions...
    if u.draws is not None:  # ...that keeps at most a few chunks of random draws
        assert len(u.draws._cache) <= 8
    first, again = u.session(0), u.session(999_999)
    assert first.index == 0 and again.index == 999_999
    assert u.session(999_999) == again  # deterministic


def test_health_answers_while_a_million_session_run_is_created_and_listed() -> None:
    world = _world(1_000_000)
    with Emulator(world) as emu, HealthProbe(emu) as probe:
        api = Api(emu, None)
        started = time.perf_counter()
        run_id = api.start(world.sets[0].id)
        created_in = time.perf_counter() - started
        running = api.run(run_id)
        assert running["unit_test_run_results"] == [None]
        emu.advance(100)
        # the answer is not parsed here: a 30 MB json.loads in this process would hold the GIL
        # and stall the probe's own thread, measuring the test instead of the emulator
        resp = api.http.get(f"{api.prefix}{RUNS}", params={"id": run_id}, headers=api_auth(api))
        assert resp.status_code == 200
        body = resp.content
        assert body.count(b'"Simulator crashed"') == 333_333
        assert body.count(b"null") == 1_000_000 - 333_333 + 1  # run_errors + continuation_token
        time.sleep(0.1)
        time.sleep(0.1)
    assert created_in < 2
    assert probe.latencies and max(probe.latencies) < 2, max(probe.latencies)


def api_auth(api: Api) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token}"}


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts sessions walked (iter_draws) and sessions materialized (session)."""
    counts = {"walked": 0, "built": 0}
    walk, build = PlannedUnitTest.iter_draws, PlannedUnitTest.session

    def iter_draws(self: PlannedUnitTest) -> Iterator[tuple[int, float, str | None, int]]:
        for item in walk(self):
            counts["walked"] += 1
            yield item

    def session(self: PlannedUnitTest, k: int) -> Any:
        counts["built"] += 1
        return build(self, k)

    monkeypatch.setattr(PlannedUnitTest, "iter_draws", iter_draws)
    monkeypatch.setattr(PlannedUnitTest, "session", session)
    return counts


def test_listing_a_run_of_8000_sessions_is_linear(counted: dict[str, int]) -> None:
    world = _world(8_000)
    with Emulator(world) as emu:
        api = Api(emu, None)
        run_id = api.start(world.sets[0].id)
        emu.advance(100)
        counted.update(walked=0, built=0)
        started = time.perf_counter()
        run = api.run(run_id)
        elapsed = time.perf_counter() - started
        assert len(run["unit_test_run_results"][0]["run_errors"]) == 8_000
        # one pass over the sessions, no session object built
        assert counted == {"walked": 8_000, "built": 0}
        assert elapsed < 3
        page = api.get(
            "/metric/metric_evaluation_result", simulation_unit_test_set_run_id=run_id, limit=10
        ).json()
        assert page["has_more"] is True and len(page["metric_evaluation_results"]) == 10
        assert counted["built"] == 10  # only the page's documents are built


def _shapes() -> list[Any]:
    unit_test = {"id": "u", "name": "Ünïcode", "tags": ["a", "b"], "n": 1.5, "none": None}
    pairs = [[f"e{i}", i % 3 == 0] for i in range(5000)]
    return [
        {"simulation_unit_tests": [dict(unit_test, id=f"u{i}") for i in range(500)], "more": True},
        {"run": {"results": [{"pairs": pairs, "errors": [None] * 3000}], "ok": False}},
        [[{"deep": list(range(5000))}] * 3, {"x": [{"y": i} for i in range(2000)]}],
        [],
        {},
        "plain",
    ]


@pytest.mark.parametrize("value", _shapes(), ids=["page", "pairs", "nested", "[]", "{}", "str"])
def test_bounded_encoding_writes_what_json_dumps_writes(value: Any) -> None:
    import json

    from pytest_amigo.emulator.routes import common

    expected = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    assert common._encode(value) == expected


def test_no_encoding_call_holds_more_than_its_share(monkeypatch: pytest.MonkeyPatch) -> None:
    # A page of 500 unit tests used to cost one json.dumps call per value (600,000 calls for
    # the 50 pages of a 10,000-unit-test collection); now values are grouped, but no call gets
    # more than _VALUES of them, so the event loop is never held for long.
    from pytest_amigo.emulator.routes import common

    calls: list[int] = []
    dumps = common._dumps

    def counted(value: Any) -> str:
        calls.append(common._size(value, 10**9))
        return dumps(value)

    monkeypatch.setattr(common, "_dumps", counted)
    for value in _shapes()[:3]:
        common._encode(value)
    assert max(calls) <= common._VALUES + 1  # the piece's own list counts once
    assert len(calls) < 100


def test_listing_by_ids_compares_each_document_once() -> None:
    # 10,000 unit tests asked for 200 ids at a time used to compare every document with every
    # id asked for (2,000,000 string comparisons a page, ~25 ms of the emulator's time).
    from pytest_amigo.emulator.store.listing import Listing

    compared = [0]

    class Id(str):
        __hash__ = str.__hash__

        def __eq__(self, other: object) -> bool:
            compared[0] += 1
            return str.__eq__(self, other)

    creator = {"org_id": "o", "user_id": "u"}
    docs = [{"id": Id(f"d{i}"), "is_deleted": False, "creator": creator} for i in range(2000)]
    wanted = [Id(f"d{i}") for i in range(0, 2000, 10)]
    found = Listing().list_docs(docs, ids=wanted, is_deleted=None, creator=[], tag=[], sort_by=[])
    assert [d["id"] for d in found] == wanted
    assert compared[0] <= 2 * len(wanted)
