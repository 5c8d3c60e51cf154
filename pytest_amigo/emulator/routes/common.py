"""What every router of the emulator shares: parameter types, request bodies, dependencies
(the store, the signed-in user, permissions) and answer helpers."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, Field, StringConstraints

from pytest_amigo.contract import OBJECT_ID_PATTERN
from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.contract_enums import LANGUAGES, TIME_ZONES
from pytest_amigo.emulator.errors import Unauthorized, invalid
from pytest_amigo.emulator.store import Store

V1 = "/v1/{organization}"

HEX = OBJECT_ID_PATTERN
HexId = Annotated[str, StringConstraints(pattern=HEX)]
IdList = Annotated[list[HexId], Query()]
StrList = Annotated[list[str], Query()]
Token = Annotated[int, Query()]
OptBool = Annotated[bool | None, Query()]
SearchQuery = Annotated[str, Query(min_length=1)]


# amigo-sdk's models of these four bodies key ``tags`` by a RootModel, which cannot be hashed
# (any non-empty ``tags`` fails to validate), so the emulator declares them itself, as in the
# contract.
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
TagKey = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, pattern=r"^[\w\s]+$")
]
MAX_PROPERTIES = 20
"""The contract's ``maxProperties`` of tags and user variables."""
Tags = Annotated[dict[TagKey, TagKey | None], Field(max_length=MAX_PROPERTIES)]
VarName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z_][a-z0-9_]+$")]
Variables = Annotated[dict[VarName, str], Field(max_length=MAX_PROPERTIES)]


def _one_of(allowed: frozenset[str], what: str) -> Callable[[Any], Any]:
    """A before-validator: ``{}`` (the contract's ``_NotSet``) means unset; strings must be in
    ``allowed``."""

    def check(value: Any) -> Any:
        if isinstance(value, dict) and not value:
            return None
        if isinstance(value, str) and value not in allowed:
            raise ValueError(f"Input should be {what}")
        return value

    return check


class PersonaVersionIn(BaseModel):
    background: NonEmpty
    preferred_language: Annotated[
        str | None, BeforeValidator(_one_of(LANGUAGES, "an ISO 639-3 language code"))
    ] = None
    timezone: Annotated[
        str | None, BeforeValidator(_one_of(TIME_ZONES, "an IANA time zone name"))
    ] = None
    user_models: list[NonEmpty]
    nonsensitive_user_variables: Variables
    sensitive_user_variables: Variables


class PersonaIn(BaseModel):
    name: NonEmpty
    role: NonEmpty
    tags: Tags
    initial_version: PersonaVersionIn


class ScenarioVersionIn(BaseModel):
    objective: NonEmpty
    instructions: NonEmpty
    initial_message_type: Literal["user-message", "external-event", "skip"]
    conversation_starts_at: datetime | None


class ScenarioIn(BaseModel):
    name: NonEmpty
    tags: Tags
    initial_version: ScenarioVersionIn


class TagsUpdateIn(BaseModel):
    tags: Tags | None = None


def path_id(name: str) -> Any:
    return Path(pattern=HEX, alias=name)


_SAMPLE = 3
"""Long lists are checked on their first items only (the rest have the same shape)."""
_PIECE = 1024
"""Lists longer than this are encoded piece by piece (see ``_encode``)."""
_VALUES = 4096
"""At most this many values go to one ``json.dumps`` call (see ``_encode``)."""


def _sample(value: Any) -> Any:
    """``value`` with every list cut to its first few items (cheap: never walks the rest)."""
    if isinstance(value, dict):
        return {k: _sample(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sample(v) for v in value[:_SAMPLE]]
    return value


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _size(value: Any, limit: int = _VALUES) -> int:
    """How many values ``value`` holds, itself included; counting stops once past ``limit``."""
    if not isinstance(value, dict | list):
        return 1
    n = 1
    for v in value.values() if isinstance(value, dict) else value:
        n += _size(v, limit - n) if isinstance(v, dict | list) else 1
        if n > limit:
            break
    return n


def _encode(value: Any) -> str:
    """JSON text of ``value``, as ``json.dumps`` would write it, in bounded pieces.

    The C encoder holds the GIL for a whole call: one call over a run with a million sessions
    would stall the event loop (and every other request) for seconds. So no call gets more
    than ``_VALUES`` values (long lists of small items go a slice at a time), and the
    interpreter can switch threads between calls. A call costs ~10 us of set-up, so values are
    grouped, not encoded one by one: a page of 500 unit tests is a handful of calls.
    """
    if isinstance(value, list) and len(value) > _PIECE:  # long lists hold small items
        slices = (_dumps(value[i : i + _PIECE])[1:-1] for i in range(0, len(value), _PIECE))
        return "[" + ",".join(slices) + "]"
    if _size(value) <= _VALUES:
        return _dumps(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_dumps(k)}:{_encode(v)}" for k, v in value.items()) + "}"
    pieces: list[str] = []
    group: list[Any] = []
    held = 0
    for v in value:
        size = _size(v)
        if group and held + size > _VALUES:
            pieces.append(_dumps(group)[1:-1])
            group, held = [], 0
        if size > _VALUES:
            pieces.append(_encode(v))
        else:
            group.append(v)
            held += size
    if group:
        pieces.append(_dumps(group)[1:-1])
    return "[" + ",".join(pieces) + "]"


def ok(model: type[BaseModel], body: dict[str, Any], status: int = 200) -> Response:
    """Answer ``body`` after checking it against the SDK's model of the contract schema."""
    model.model_validate(_sample(body))
    return Response(_encode(body).encode(), status_code=status, media_type="application/json")


def page_body(
    key: str, items: list[Any], more: bool, nxt: int | None, **extra: Any
) -> dict[str, Any]:
    """A page of a list answer: ``{key: items, has_more, continuation_token, **extra}``."""
    return {key: items, "has_more": more, "continuation_token": nxt, **extra}


def data_of(body: BaseModel) -> dict[str, Any]:
    """A request model as plain JSON data (the SDK models use RootModel keys)."""
    data: dict[str, Any] = json.loads(body.model_dump_json())
    return data


def no_content() -> Response:
    return Response(status_code=204)


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(get_store)]


async def current_user(request: Request, organization: str, store: StoreDep) -> w.User:
    """The user of the request's token (Bearer, or HTTP Basic with the token as password)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        token = value.strip()
    elif scheme.lower() == "basic" and value.strip():
        try:
            decoded = base64.b64decode(value.strip()).decode()
        except ValueError as exc:
            raise Unauthorized("Invalid authorization header.") from exc
        token = decoded.partition(":")[2]
    else:
        raise Unauthorized("Missing or malformed Authorization header.")
    return store.user_for(token, organization)


def need(permission: str) -> Callable[..., Awaitable[w.User]]:
    async def check(user: Annotated[w.User, Depends(current_user)]) -> w.User:
        Store.require(user, permission)
        return user

    return check


def user_dep(permission: str) -> Any:
    return Depends(need(permission))


def s3_error(status: int, code: str, message: str) -> Response:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return Response(xml, status_code=status, media_type="application/xml")


def unique(creators: list[dict[str, str]]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for c in creators:
        if c not in out:
            out.append(c)
    return out


def tag_values(docs: list[dict[str, Any]]) -> list[str]:
    return sorted({f"{t['key']}:{t['value'] or ''}" for d in docs for t in d["tags"]})


def tag_changes(body: TagsUpdateIn) -> dict[str, Any] | None:
    """A persona's or scenario's update: its new tags, or None to keep them."""
    return data_of(body)["tags"] if body.tags is not None else None


def dict_tag_values(docs: list[dict[str, Any]]) -> list[str]:
    """``key:value`` of the tags of documents keeping them as a dict (personas, scenarios)."""
    return sorted({f"{k}:{v or ''}" for d in docs for k, v in d["tags"].items()})


def underscore_id(doc: dict[str, Any]) -> dict[str, Any]:
    out = {"_id": doc["id"]}
    out.update({k: v for k, v in doc.items() if k != "id"})
    return out


def versions_of(items: list[dict[str, Any]], spec: str | None, sort_by: list[str]) -> list[Any]:
    out = list(items)
    if spec:
        latest = len(items)
        lo_s, dash, hi_s = spec.partition("-")
        try:
            lo = latest if lo_s == "latest" else int(lo_s)
            hi = lo if not dash else (latest if hi_s == "latest" else int(hi_s))
        except ValueError as exc:
            raise invalid(["query", "version"], "Invalid version specification", spec) from exc
        out = [v for v in out if lo <= v["version"] <= hi]
    for s in reversed(sort_by):
        if s.lstrip("+-") != "version":
            raise invalid(["query", "sort_by"], "Unsupported sort field; supported: ['version']", s)
        out.sort(key=lambda v: v["version"], reverse=s.startswith("-"))
    return out
