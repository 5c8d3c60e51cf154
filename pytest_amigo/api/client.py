"""SimulationApi: typed, paced access to Amigo's simulation, metric and tool-invocation
operations, on the official ``amigo-sdk`` (see :mod:`.core` and docs/sdk-notes.md).

Split by audience: :class:`~pytest_amigo.api.runs.RunOperations` holds what the plugin needs
(runs, artifacts, evaluation results, tool invocations, the definitions read at collection),
:class:`~pytest_amigo.api.authoring.AuthoringOperations` the authoring operations (personas,
scenarios, unit tests, sets, metrics). Both share one transport, pacer and token
(:class:`~pytest_amigo.api.core.ApiCore`); :class:`SimulationApi` is both.
"""

from __future__ import annotations

from pytest_amigo.api.authoring import AuthoringOperations
from pytest_amigo.api.core import ConfigurationError, TokenCache
from pytest_amigo.api.runs import RunOperations

__all__ = ["ConfigurationError", "SimulationApi", "TokenCache"]


class SimulationApi(RunOperations, AuthoringOperations):
    """Every operation pytest-amigo knows (see endpoints.py): the run operations the plugin
    uses and the authoring operations, on one paced SDK client."""
