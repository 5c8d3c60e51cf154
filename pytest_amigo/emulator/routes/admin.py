"""The emulator's own admin endpoints served by the app (not part of the contract).

``/_emulator/requests``, ``/_emulator/faults`` and ``/_emulator/rate_limits`` are answered by
the traffic middleware itself (see ``traffic``): they must work around any wrapped app and are
never logged, limited nor faulted.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from pytest_amigo.emulator.routes.common import StoreDep

router = APIRouter(prefix="/_emulator", include_in_schema=False)


class ClockIn(BaseModel):
    advance: float = 0.0
    """World seconds to move the clock forward (not negative)."""


@router.get("/health")
async def health(store: StoreDep) -> dict[str, Any]:
    return {"status": "ok", "organization": store.org, "world_time": store.now()}


@router.post("/clock")
async def clock(store: StoreDep, body: ClockIn) -> dict[str, Any]:
    now = store.advance(body.advance)
    return {"world_time": now, "speed": store.clock.speed}


@router.get("/world")
async def world_summary(store: StoreDep) -> dict[str, Any]:
    summary = store.world.summary()
    summary["world_time"] = store.now()
    summary["runs"] = list(store.runs)
    return summary
