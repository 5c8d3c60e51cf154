"""SimulationApi: typed, paced access to Amigo's simulation, metric and tool-invocation
operations, on the official ``amigo-sdk`` (see :mod:`.core` and docs/sdk-notes.md).

Split by audience: :class:`~pytest_amigo.api.runs.RunOperations` holds what the plugin needs
(runs, artifacts, evaluation results, tool invocations, the definitions read at collection),
:class:`~pytest_amigo.api.authoring.AuthoringOperations` the authoring operations (personas,
scenarios, unit tests, sets, metrics), :class:`~pytest_amigo.api.versions.VersionReads` what a
run is made of (services, latest versions). All share one transport, pacer and token
(:class:`~pytest_amigo.api.core.ApiCore`); :class:`SimulationApi` is all three.
"""

from __future__ import annotations

from pytest_amigo.api.authoring import AuthoringOperations
from pytest_amigo.api.core import ConfigurationError, TokenCache
from pytest_amigo.api.runs import RunOperations
from pytest_amigo.api.versions import VersionReads

__all__ = ["ConfigurationError", "SimulationApi", "TokenCache"]


class SimulationApi(RunOperations, AuthoringOperations, VersionReads):
    """Every operation pytest-amigo knows (see endpoints.py): the run operations the plugin
    uses, the authoring operations and the reads of what a run is made of, on one paced SDK
    client."""
