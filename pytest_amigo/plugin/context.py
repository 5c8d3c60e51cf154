"""What the plugin objects of one pytest process share: settings, the session's state, the API.

Nothing here touches amigo-sdk or the network until Amigo work starts: the coordinator (and with it
the SDK, ~1 s and 40 MB) is created on first use, so a project that installs pytest-amigo but
configures no set pays nothing.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_amigo.lifecycle.records import reference_key
from pytest_amigo.plugin.progress import Progress

if TYPE_CHECKING:
    from pytest_amigo.lifecycle.coordinator import Coordinator
    from pytest_amigo.plugin.session_plan import SetPlan
    from pytest_amigo.settings import Settings

STATE_DIR_KEY = "amigo_state_dir"


class Context:
    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings  # loaded once, by the Startup
        workerinput = getattr(config, "workerinput", None)
        self.is_worker = workerinput is not None
        if workerinput is not None and STATE_DIR_KEY in workerinput:
            self.state_dir = Path(workerinput[STATE_DIR_KEY])
            self.owns_state = False
        else:
            # Named now (workers need the path), created only when Amigo work starts.
            self.state_dir = Path(tempfile.gettempdir()) / f"pytest-amigo-{secrets.token_hex(8)}"
            self.owns_state = True
        self.progress = Progress(config, self.settings)
        self.left_running: list[str] = []  # runs this process could not cancel
        self.plans: list[SetPlan] = []  # what the selected items would simulate, per set
        self._coordinator: Coordinator | None = None
        self._api: Any = None
        self._secrets = {os.environ.get("AMIGO_API_KEY", "")}

    @property
    def configured(self) -> bool:
        """Sets or runs named by options or ini (marker sets are only known at collection)."""
        s = self.settings
        return bool(s.selection.set_ids or s.selection.ini_set_ids or s.selection.run_ids)

    @property
    def started(self) -> bool:
        """Amigo work started in this process (the coordinator exists)."""
        return self._coordinator is not None

    @property
    def coordinator(self) -> Coordinator:
        if self._coordinator is None:
            from pytest_amigo.lifecycle.coordinator import Coordinator
            from pytest_amigo.lifecycle.shared import SharedState

            self._coordinator = Coordinator(
                SharedState(self.state_dir), self.settings, self._make_api
            )
        return self._coordinator

    def _make_api(self) -> Any:
        from pytest_amigo.lifecycle.connection import connect

        self._api = connect(self.state_dir)
        return self._api

    def secrets(self) -> set[str]:
        """Values that must never reach a report: the API key, the session token."""
        found = set(self._secrets)
        if self._api is not None:
            found.update(s for s in self._api.secrets() if s)
        return {s for s in found if len(s) >= 6}

    def attached_runs(self) -> dict[str, str]:
        """``--amigo-run``: set id -> run id (each run's set is read once per session)."""
        return {self.coordinator.set_of_run(r): r for r in self.settings.selection.run_ids}

    def cancel(self, why: str, *, set_ids: list[str] | None = None) -> list[str]:
        """Cancel the unfinished runs this session started (of ``set_ids``); remember the rest."""
        if not self.started:
            return []
        if set_ids is not None and self.settings.compare.reference is not None:  # both sides of A/B
            set_ids = [*set_ids, *(reference_key(s) for s in set_ids)]
        cancelled, left = self.coordinator.cancel_started(why, set_ids=set_ids)
        self.left_running += [r for r in left if r not in self.left_running]
        return cancelled
