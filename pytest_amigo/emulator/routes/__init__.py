"""One APIRouter per resource of the contract, plus the emulator's admin and download routes.

Routes parse and shape HTTP; the rules (conflicts, references, versions, permissions, locking)
are the store's public methods, which raise the typed errors of ``errors``.
"""

from fastapi import APIRouter

from pytest_amigo.emulator.routes import (
    admin,
    auth,
    metrics,
    personas,
    presigned,
    runs,
    scenarios,
    services,
    sets,
    tools,
    unit_tests,
)

ROUTERS: tuple[APIRouter, ...] = (
    admin.router,
    presigned.router,
    auth.router,
    personas.router,
    scenarios.router,
    unit_tests.router,
    sets.router,
    runs.router,
    metrics.router,
    services.router,
    tools.router,
)
