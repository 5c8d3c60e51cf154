"""Amigo API layer: paced, typed access on top of the official amigo-sdk."""

from __future__ import annotations

from amigo_sdk.errors import (
    AmigoError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    SDKInternalError,
    ServerError,
    ServiceUnavailableError,
    ValidationError,
)

from pytest_amigo.api.client import ConfigurationError, SimulationApi
from pytest_amigo.api.download import DownloadError, fetch_presigned
from pytest_amigo.api.pacing import Pacer
from pytest_amigo.api.queries import ListQuery, TaggedQuery
from pytest_amigo.api.shapes import (
    ResponseShapeError,
    SuccessCriterion,
    UnitTestDefinition,
    UnitTestRunCount,
    UnitTestSetDefinition,
)

__all__ = [
    "AmigoError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "DownloadError",
    "ForbiddenError",
    "ListQuery",
    "NotFoundError",
    "Pacer",
    "RateLimitError",
    "ResponseShapeError",
    "SDKInternalError",
    "ServerError",
    "ServiceUnavailableError",
    "SimulationApi",
    "SuccessCriterion",
    "TaggedQuery",
    "UnitTestDefinition",
    "UnitTestRunCount",
    "UnitTestSetDefinition",
    "ValidationError",
    "fetch_presigned",
]
