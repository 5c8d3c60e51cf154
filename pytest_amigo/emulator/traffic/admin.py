"""The traffic layer's admin endpoints: ``/_emulator/requests|faults|rate_limits``."""

from __future__ import annotations

from pytest_amigo.emulator.traffic.asgi import (
    ADMIN_PREFIX,
    Receive,
    Send,
    read_json,
    send_empty,
    send_json,
)
from pytest_amigo.emulator.traffic.control import TrafficControl
from pytest_amigo.emulator.traffic.faults import FaultPlan, parse_fault_plan
from pytest_amigo.emulator.traffic.rate_limits import parse_rate_limits
from pytest_amigo.emulator.traffic.validation import FaultPlanError

ALLOWED_METHODS: dict[str, tuple[str, ...]] = {
    "requests": ("GET", "DELETE"),
    "faults": ("GET", "POST", "DELETE"),
    "rate_limits": ("GET", "POST"),
}


async def answer_admin(
    traffic: TrafficControl, path: str, method: str, receive: Receive, send: Send
) -> bool:
    """Answer an admin request; False when the path is not one of ours."""
    name = path[len(ADMIN_PREFIX) :].rstrip("/")
    allowed = ALLOWED_METHODS.get(name)
    if allowed is None:
        return False
    if method not in allowed:
        await send_json(
            send,
            405,
            {"detail": "Method Not Allowed"},
            [(b"allow", ", ".join(allowed).encode())],
        )
        return True
    try:
        if name == "requests":
            await _requests(traffic, method, send)
        elif name == "faults":
            await _faults(traffic, method, receive, send)
        else:
            await _rate_limits(traffic, method, receive, send)
    except FaultPlanError as exc:
        await send_json(send, 422, {"detail": exc.errors})
    return True


async def _requests(traffic: TrafficControl, method: str, send: Send) -> None:
    if method == "GET":
        await send_json(send, 200, traffic.log.snapshot())
    else:
        traffic.log.reset()
        await send_empty(send, 204)


async def _faults(traffic: TrafficControl, method: str, receive: Receive, send: Send) -> None:
    if method == "GET":
        await send_json(send, 200, traffic.faults.to_json())
    elif method == "DELETE":
        traffic.faults = FaultPlan()
        await send_empty(send, 204)
    else:
        plan = parse_fault_plan(await read_json(receive))
        traffic.faults = plan
        await send_json(send, 200, plan.to_json())


async def _rate_limits(traffic: TrafficControl, method: str, receive: Receive, send: Send) -> None:
    if method == "POST":
        traffic.set_rate_limits(parse_rate_limits(await read_json(receive), traffic.policy))
    await send_json(send, 200, traffic.policy.to_json())
