"""Test doubles shared by the unit tests: a fake Amigo API and a fake clock (no HTTP, no sleep)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import httpx
from amigo_sdk.errors import BadRequestError, ConflictError, RateLimitError

from pytest_amigo.api.client import SimulationApi
from pytest_amigo.lifecycle.coordinator import Coordinator
from pytest_amigo.lifecycle.service import Api
from pytest_amigo.lifecycle.shared import SharedState
from pytest_amigo.settings import Artifacts, Runs, Settings

SET_A, SET_B = "a" * 24, "b" * 24
ORG = "acme"


def offline_api(handler: Any, **config: Any) -> SimulationApi:
    """The real ``SimulationApi`` answered by ``handler`` (an ``httpx.MockTransport`` handler)
    instead of the network; ``config`` overrides the credentials or adds a pacer."""
    settings: dict[str, Any] = {
        "api_key": "k",
        "api_key_id": "kid",
        "user_id": "u",
        "organization_id": ORG,
        "base_url": "https://api.example.test",
        **config,
    }
    return SimulationApi(transport=httpx.MockTransport(handler), **settings)


class FakeTime:
    """A monotonic clock, a wall clock that follows it, and a sleep that only moves them on."""

    def __init__(self, start: float = 0.0, wall: float = 1_700_000_000.0) -> None:
        self.now = start
        self.wall0 = wall
        self.start = start
        self.sleeps: list[float] = []
        self.lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.wall0 + (self.now - self.start)

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds


class FakeApi:
    """Just enough of the Amigo API: runs per set, one unfinished run per user per set.

    ``run_ids`` are runs that exist already (of no set); ``finish()`` ends them. Their artifacts
    are "not yet available" (400) for the first ``not_yet`` downloads. ``calls`` records every
    request in order: ``(operation, what it asked)``. Asking for evaluation results while
    ``evaluations`` is ``None`` fails the test: nothing was expected to need a justification.
    """

    organization_id = "org"
    user_id = "me"

    def __init__(
        self,
        run_ids: Sequence[str] = (),
        *,
        not_yet: int = 0,
        evaluations: list[dict[str, Any]] | None = None,
    ) -> None:
        self.runs: dict[str, dict[str, Any]] = {
            run_id: {"set": "", "done": False, "by": "me"} for run_id in run_ids
        }
        self.calls: list[tuple[str, Any]] = []
        self.evaluations = evaluations
        self.not_yet = not_yet
        self.creates_left: float = float("inf")  # the create limit, as the pacer knows it
        self.refused_creates = 0  # the next creates the service refuses with 429

    def finish(self) -> None:
        """Every run ends (its results all in)."""
        for run in self.runs.values():
            run["done"] = True

    def would_wait(self, op_id: str) -> float:
        return 30.0 if self.creates_left <= 0 else 0.0

    def create_run(self, set_id: str, *, patient: bool = True) -> str:
        if self.creates_left <= 0 or self.refused_creates:
            assert not patient, "a patient create would wait here"
            self.refused_creates = max(0, self.refused_creates - 1)
            self.calls.append(("429", set_id))
            raise RateLimitError("rate limited", status_code=429)
        self.creates_left -= 1
        self.calls.append(("create", set_id))
        if any(
            r["set"] == set_id and not r["done"] and r["by"] == "me" for r in self.runs.values()
        ):
            raise ConflictError("unfinished run", status_code=409)
        run_id = f"{len(self.runs) + 1:024x}"
        self.runs[run_id] = {"set": set_id, "done": False, "by": "me"}
        return run_id

    def cancel_run(self, run_id: str) -> None:
        self.calls.append(("cancel", run_id))
        if self.runs[run_id]["done"]:
            raise ConflictError("not in progress", status_code=409)
        self.runs[run_id]["done"] = True

    def _listed(self, run_id: str, kwargs: dict[str, Any]) -> bool:
        run = self.runs[run_id]
        return not (
            ("ids" in kwargs and run_id not in kwargs["ids"])
            or ("set_ids" in kwargs and run["set"] not in kwargs["set_ids"])
            or (kwargs.get("is_completed") is False and run["done"])
            or ("creators" in kwargs and f"org,{run['by']}" not in kwargs["creators"])
        )

    def list_runs(self, **kwargs: Any) -> list[dict[str, Any]]:
        self.calls.append(("list", kwargs))
        return [
            {
                "id": run_id,
                "simulation_unit_test_set_id": run["set"],
                "is_completed": run["done"],
                "errored": False,
                "artifacts_generated": False,
                "failed_metrics": False,
                "unit_test_run_specs": [{}],
                "unit_test_run_results": [{} if run["done"] else None],
            }
            for run_id, run in self.runs.items()
            if self._listed(run_id, kwargs)
        ]

    def list_metric_evaluation_results(self, **kwargs: Any) -> list[dict[str, Any]]:
        if self.evaluations is None:
            raise AssertionError("no failure needs a justification")
        self.calls.append(("evaluations", kwargs))
        return self.evaluations

    def request_counts(self) -> dict[str, int]:
        return {
            "get-metric-evaluation-results": sum(1 for c in self.calls if c[0] == "evaluations")
        }

    def download_artifacts(self, run_id: str, dest: Path) -> Path:
        self.calls.append(("artifacts", run_id))
        if self.not_yet > 0:
            self.not_yet -= 1
            raise BadRequestError("not yet available", status_code=400)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(b"zip")
        return dest


def make_coordinator(tmp_path: Path, api: FakeApi, **settings: Any) -> Coordinator:
    """A coordinator on ``api`` with its state under ``tmp_path``, no artifacts and no sleeping."""
    return Coordinator(
        SharedState(tmp_path / "state"),
        Settings(artifacts=Artifacts(dir=None), runs=Runs(**settings)),
        lambda: cast(Api, api),  # the part of the API the coordinator's tests reach
        sleep=lambda s: None,
    )
