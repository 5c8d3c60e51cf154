"""What the session reads once of things that exist before it: set definitions, the set of an
``--amigo-run`` run, and the baseline runs (``--amigo-baseline``).

Whoever asks first fetches, under the state file's lock; every other process of the session
reads the answer (or the error) from ``definitions.json`` or ``baselines.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pytest_amigo.contract import PERMISSION_RUN
from pytest_amigo.domain import UnitTestSet, set_from_json, set_to_json
from pytest_amigo.errors import DefinitionError, check_object_id
from pytest_amigo.lifecycle.failures import API_ERRORS, describe, dump
from pytest_amigo.lifecycle.service import Api
from pytest_amigo.lifecycle.set_reader import load_sets
from pytest_amigo.lifecycle.shared import SharedState
from pytest_amigo.lifecycle.state_files import BASELINES, DEFINITIONS


@dataclass
class SetDefinitions:
    """Set definitions, runs' sets and baseline runs, fetched once per session."""

    state: SharedState
    api: Callable[[], Api]

    def load(self, set_ids: Iterable[str], *, origin: str) -> dict[str, UnitTestSet]:
        """Set definitions, fetched once per session across all processes."""
        wanted = [check_object_id(s, f"unit test set id (from {origin})") for s in set_ids]
        key = "!error:" + ",".join(sorted(set(wanted)))

        def fetch_missing(cache: dict[str, Any]) -> dict[str, Any]:
            missing = [s for s in wanted if s not in cache]
            if key in cache or not missing:
                return cache
            try:
                loaded = load_sets(self.api(), missing)
            except (DefinitionError, *API_ERRORS) as exc:
                return {**cache, key: describe(exc, "read the unit test set definitions")}
            return {**cache, **{k: set_to_json(v) for k, v in loaded.items()}}

        cache = self.state.update(DEFINITIONS, fetch_missing, {})
        if key in cache:
            raise DefinitionError(cache[key])
        return {s: set_from_json(cache[s]) for s in wanted}

    def recorded(self, *, fresh: bool = False) -> dict[str, Any]:
        """Everything recorded so far, without fetching: set definitions (JSON) by set id,
        among the entries of ``--amigo-run`` runs and errors (``!``-prefixed keys)."""
        return dict(self.state.read(DEFINITIONS, {}, fresh=fresh))

    def cached(self, set_id: str) -> dict[str, Any] | None:
        """The definition of a set as recorded (JSON), without fetching it."""
        found = self.state.read(DEFINITIONS, {}).get(set_id)
        return found if isinstance(found, dict) else None

    def add(self, unit_set: UnitTestSet) -> None:
        """Record a set this session made (a temporary set), so every process knows it."""
        self.state.update(
            DEFINITIONS, lambda cache: {**cache, unit_set.id: set_to_json(unit_set)}, {}
        )

    # -- runs named by the options --------------------------------------------------------------

    def set_of_run(self, run_id: str) -> str:
        """The set an existing run belongs to (for ``--amigo-run``), read once per session."""
        run_id = check_object_id(run_id, "run id (from --amigo-run)")
        entry = self._fetched_once(DEFINITIONS, f"!run:{run_id}", lambda: self._run_set(run_id))
        if "error" in entry:
            raise DefinitionError(entry["error"])
        return str(entry["set_id"])

    def _run_set(self, run_id: str) -> dict[str, Any]:
        try:
            runs = self.api().list_runs(ids=[run_id])
        except API_ERRORS as exc:
            return {"error": describe(exc, f"read run {run_id}")}
        if not runs:
            error = (
                f"run {run_id} (from --amigo-run) not found in organization "
                f"{self.api().organization_id!r}: check the id and AMIGO_ORGANIZATION_ID; "
                f"the runs list also leaves out runs the API key's user may not read "
                f"({PERMISSION_RUN})."
            )
            return {"error": error}
        return {"set_id": dump(runs[0])["simulation_unit_test_set_id"]}

    def baseline_run(self, set_id: str, which: str, current_run_id: str | None) -> dict[str, Any]:
        """The run ``--amigo-baseline`` names for a set, fetched once per session:
        ``{"run": ..., "how": ...}``, or ``{"none": why}``.

        ``last`` is the newest completed, non-errored run of the set other than the one being
        reported; a run id must be a run of this set (other sets then have no baseline)."""

        def fetch() -> dict[str, Any]:
            try:
                return self._find_baseline(set_id, which, current_run_id)
            except API_ERRORS as exc:
                return {"none": "no baseline: " + describe(exc, "read the baseline run")}

        return dict(self._fetched_once(BASELINES, set_id, fetch))

    def _find_baseline(self, set_id: str, which: str, current: str | None) -> dict[str, Any]:
        if which == "last":
            runs = self.api().list_runs(
                set_ids=[set_id], is_completed=True, errored=False, sort_by=["-created_at"], limit=5
            )
            found = [dump(r) for r in runs]
            found = [r for r in found if r.get("id") != current and not r.get("errored")]
            if not found:
                return {"none": "no baseline: the set has no earlier completed run"}
            return {"run": found[0], "how": "the last completed run of the set"}
        runs = [dump(r) for r in self.api().list_runs(ids=[which])]
        if not runs:
            return {
                "none": f"no baseline: run {which} not found (or not readable: {PERMISSION_RUN})"
            }
        if runs[0].get("simulation_unit_test_set_id") != set_id:
            return {"none": f"no baseline: run {which} is a run of another set"}
        if not runs[0].get("is_completed"):
            return {"none": f"no baseline: run {which} has not completed"}
        return {"run": runs[0], "how": "--amigo-baseline"}

    def _fetched_once(self, name: str, key: str, fetch: Callable[[], Any]) -> Any:
        """The entry ``key`` of the state file ``name``: ``fetch()``'s answer, by whoever asks
        first (under the file's lock), kept for the session."""

        def fill(cache: dict[str, Any]) -> dict[str, Any]:
            return cache if key in cache else {**cache, key: fetch()}

        return self.state.update(name, fill, {})[key]
