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

__all__ = [
    "AmigoError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "DownloadError",
    "ForbiddenError",
    "NotFoundError",
    "Pacer",
    "RateLimitError",
    "SDKInternalError",
    "ServerError",
    "ServiceUnavailableError",
    "SimulationApi",
    "ValidationError",
    "fetch_presigned",
]
