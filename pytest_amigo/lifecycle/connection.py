"""The session's API client: amigo-sdk's configuration and sign-in, its token shared by every
process of the session through the state directory."""

from __future__ import annotations

from pathlib import Path

from pytest_amigo.api import ConfigurationError, SimulationApi
from pytest_amigo.errors import DefinitionError
from pytest_amigo.lifecycle.shared import SharedState, SharedTokenCache


def connect(state_dir: Path) -> SimulationApi:
    """A client configured from ``AMIGO_*`` variables (or ``.env``); a configuration problem is a
    ``DefinitionError`` that says what to set."""
    try:
        return SimulationApi(token_cache=SharedTokenCache(SharedState(state_dir)))
    except ConfigurationError as exc:
        raise DefinitionError(str(exc)) from None
