"""FastAPI routes of the Amigo contract, served from a :class:`~pytest_amigo.emulator.store.Store`.

``create_app(world)`` builds the FastAPI app (routes only); ``build_asgi(world)`` wraps it in the
traffic middleware (rate limits, faults, request log) and is what the server runs. Every answer
body is checked against amigo-sdk's generated models of the contract before it is sent.
"""

import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal

from amigo_sdk.generated import model as m
from fastapi import Body, Depends, FastAPI, Header, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, BeforeValidator, Field, StringConstraints

from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.artifacts import build_zip
from pytest_amigo.emulator.contract_enums import LANGUAGES, TIME_ZONES
from pytest_amigo.emulator.store import ApiError, EvaluationRef, Store, invalid, sorted_docs

HEX = r"^[a-f0-9]{24}$"
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


def _pid(name: str) -> Any:
    return Path(pattern=HEX, alias=name)


_SAMPLE = 3
"""Long lists are checked on their first items only (the rest have the same shape)."""
_PIECE = 2048
"""Lists longer than this are encoded piece by piece (see ``_encode``)."""


def _sample(value: Any) -> Any:
    """``value`` with every list cut to its first few items (cheap: never walks the rest)."""
    if isinstance(value, dict):
        return {k: _sample(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sample(v) for v in value[:_SAMPLE]]
    return value


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _encode(value: Any) -> str:
    """JSON text of ``value``, as ``json.dumps`` would write it, in bounded pieces.

    The C encoder holds the GIL for a whole call: one call over a run with a million sessions
    would stall the event loop (and every other request) for seconds. Encoding long lists a
    slice at a time lets the interpreter switch threads between slices.
    """
    if isinstance(value, list):
        if len(value) > _PIECE:  # long lists hold small items: pairs, errors, ids
            pieces = (_dumps(value[i : i + _PIECE])[1:-1] for i in range(0, len(value), _PIECE))
            return "[" + ",".join(pieces) + "]"
        if any(isinstance(v, dict) for v in value):
            return "[" + ",".join(_encode(v) for v in value) + "]"
        return _dumps(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_dumps(k)}:{_encode(v)}" for k, v in value.items()) + "}"
    return _dumps(value)


def _ok(model: type[BaseModel], body: dict[str, Any], status: int = 200) -> Response:
    """Answer ``body`` after checking it against the SDK's model of the contract schema."""
    model.model_validate(_sample(body))
    return Response(_encode(body).encode(), status_code=status, media_type="application/json")


def _data(body: BaseModel) -> dict[str, Any]:
    """A request model as plain JSON data (the SDK models use RootModel keys)."""
    data: dict[str, Any] = json.loads(body.model_dump_json())
    return data


def _no_content() -> Response:
    return Response(status_code=204)


def create_app(world: w.World, store: Store | None = None) -> FastAPI:
    store = store or Store(world)
    app = FastAPI(
        title="Amigo API emulator (pytest-amigo)",
        version="1.0.0",
        docs_url="/_emulator/docs",
        redoc_url=None,
        openapi_url="/_emulator/openapi.json",
    )
    app.state.store = store
    workdir = FsPath(tempfile.mkdtemp(prefix="amigo-emulator-"))
    app.state.workdir = workdir
    zips: dict[str, FsPath] = {}

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)

    # -- dependencies ------------------------------------------------------------------------
    async def current_user(request: Request, organization: str) -> w.User:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            token = value.strip()
        elif scheme.lower() == "basic" and value.strip():
            import base64

            try:
                decoded = base64.b64decode(value.strip()).decode()
            except ValueError as exc:
                raise ApiError(401, "Invalid authorization header.") from exc
            token = decoded.partition(":")[2]
        else:
            raise ApiError(401, "Missing or malformed Authorization header.")
        user = store.authenticate(token)
        if organization != store.org:
            raise ApiError(404, "Organization not found.")
        return user

    def need(permission: str) -> Callable[..., Awaitable[w.User]]:
        async def check(user: Annotated[w.User, Depends(current_user)]) -> w.User:
            if permission in user.denied_permissions:
                raise ApiError(
                    403, f"The user is missing permission {permission} to perform this operation."
                )
            return user

        return check

    def user_dep(permission: str) -> Any:
        return Depends(need(permission))

    V1 = "/v1/{organization}"

    # -- admin -------------------------------------------------------------------------------
    @app.get("/_emulator/health", include_in_schema=False)
    async def health() -> dict[str, Any]:
        return {"status": "ok", "organization": store.org, "world_time": store.now()}

    @app.post("/_emulator/clock", include_in_schema=False)
    async def clock(body: Annotated[dict[str, float], Body()]) -> dict[str, Any]:
        advance = body.get("advance", 0.0)
        if advance < 0:
            raise invalid(["body", "advance"], "must not be negative", advance)
        with store.lock:
            now = store.clock.advance(float(advance))
        return {"world_time": now, "speed": store.clock.speed}

    @app.get("/_emulator/world", include_in_schema=False)
    async def world_summary() -> dict[str, Any]:
        summary = world.summary()
        summary["world_time"] = store.now()
        summary["runs"] = list(store.runs)
        return summary

    @app.get("/_presigned/{name}", include_in_schema=False)
    def presigned(request: Request, name: str, expires: int = 0, signature: str = "") -> Response:
        if "authorization" in request.headers:
            return _s3_error(
                400,
                "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                "Signature query string parameter or the Authorization header should be specified",
            )
        token = name.removesuffix(".zip")
        rid = store.artifact_tokens.get(token)
        if rid is None or not signature or store.sign(token, expires) != signature:
            return _s3_error(403, "SignatureDoesNotMatch", "The request signature is invalid.")
        if time.time() >= expires:
            return _s3_error(403, "AccessDenied", "Request has expired")
        path = zips.get(rid)
        if path is None or not path.exists():
            path = build_zip(store, store.get_run(rid), workdir)
            zips[rid] = path
        return FileResponse(path, media_type="application/zip", filename=f"{rid}.zip")

    # -- sign-in -----------------------------------------------------------------------------
    @app.post(V1 + "/user/signin_with_api_key", response_model=m.UserSignInWithApiKeyResponse)
    async def sign_in(
        organization: str,
        x_api_key: Annotated[str, Header()],
        x_api_key_id: Annotated[str, Header()],
        x_user_id: Annotated[str, Header()],
    ) -> Response:
        token, expires = store.sign_in(organization, x_api_key, x_api_key_id, x_user_id)
        return _ok(m.UserSignInWithApiKeyResponse, {"id_token": token, "expires_at": expires})

    # -- personas ----------------------------------------------------------------------------
    P_READ, P_WRITE = "Simulation:GetSimulationPersona", "Simulation:ModifySimulationPersona"

    def _persona(pid: str) -> dict[str, Any]:
        doc = store.personas.get(pid)
        if doc is None:
            raise ApiError(404, "Simulation persona not found.")
        return doc

    @app.get(V1 + "/simulation/persona/", response_model=m.SimulationGetSimulationPersonasResponse)
    async def list_personas(
        user: Annotated[w.User, user_dep(P_READ)],
        id: IdList = [],  # noqa: B006
        limit: Annotated[int, Query(ge=0, le=50)] = 50,
        continuation_token: Token = 0,
        is_deleted: OptBool = None,
        role: StrList = [],  # noqa: B006
        creator: StrList = [],  # noqa: B006
        tag: StrList = [],  # noqa: B006
        sort_by: StrList = [],  # noqa: B006
    ) -> Response:
        docs = store.list_docs(
            store.personas.values(), ids=id, is_deleted=is_deleted, creator=creator, tag=tag,
            sort_by=sort_by, extra=lambda d: not role or d["role"] in role,
        )  # fmt: skip
        chunk, more, nxt = store.page(docs, limit, continuation_token)
        filters = None
        if continuation_token == 0:
            filters = {
                "creators": _unique([d["creator"] for d in docs]),
                "tags": sorted({f"{k}:{v or ''}" for d in docs for k, v in d["tags"].items()}),
                "roles": sorted({d["role"] for d in docs}),
            }
        body = {
            "simulation_personas": [store.public(d) for d in chunk],
            "has_more": more,
            "continuation_token": nxt,
            "filter_values": filters,
        }
        return _ok(m.SimulationGetSimulationPersonasResponse, body)

    @app.get(
        V1 + "/simulation/persona/search",
        response_model=m.SimulationSearchSimulationPersonasResponse,
    )
    async def search_personas(
        user: Annotated[w.User, user_dep(P_READ)],
        query: SearchQuery,
        role: StrList = [],  # noqa: B006
        creator: StrList = [],  # noqa: B006
        tag: StrList = [],  # noqa: B006
    ) -> Response:
        docs = store.list_docs(
            store.search(store.personas.values(), query, top=10_000), ids=[], is_deleted=None,
            creator=creator, tag=tag, sort_by=[], extra=lambda d: not role or d["role"] in role,
        )[:50]  # fmt: skip
        body = {"simulation_personas": [store.public(d) for d in docs]}
        return _ok(m.SimulationSearchSimulationPersonasResponse, body)

    @app.post(
        V1 + "/simulation/persona/",
        status_code=201,
        response_model=m.SimulationCreateSimulationPersonaResponse,
    )
    async def create_persona(
        user: Annotated[w.User, user_dep(P_WRITE)],
        body: PersonaIn,
    ) -> Response:
        data = _data(body)
        with store.lock:
            name = data["name"].strip()
            if any(d["name"] == name and not d["is_deleted"] for d in store.personas.values()):
                raise ApiError(409, "A simulation persona with this name already exists.")
            pid = store.new_id()
            store._add_persona(
                pid, name, data["role"].strip(), data["tags"], data["initial_version"], user.user_id
            )
        return _ok(m.SimulationCreateSimulationPersonaResponse, {"simulation_persona_id": pid}, 201)

    @app.post(V1 + "/simulation/persona/{simulation_persona_id}/", status_code=204)
    async def update_persona(
        user: Annotated[w.User, user_dep(P_WRITE)],
        simulation_persona_id: Annotated[str, _pid("simulation_persona_id")],
        body: TagsUpdateIn,
    ) -> Response:
        with store.lock:
            doc = _persona(simulation_persona_id)
            if body.tags is not None:
                doc["tags"] = _data(body)["tags"]
            _touch(doc, user)
        return _no_content()

    @app.delete(V1 + "/simulation/persona/{simulation_persona_id}/", status_code=204)
    async def delete_persona(
        user: Annotated[w.User, user_dep(P_WRITE)],
        simulation_persona_id: Annotated[str, _pid("simulation_persona_id")],
    ) -> Response:
        with store.lock:
            doc = _persona(simulation_persona_id)
            if any(
                u["persona_id"] == simulation_persona_id and not u["is_deleted"]
                for u in store.unit_tests.values()
            ):
                raise ApiError(400, "The simulation persona is used by a simulation unit test.")
            doc["is_deleted"] = True
            _touch(doc, user)
        return _no_content()

    @app.post(
        V1 + "/simulation/persona/{simulation_persona_id}/version/",
        status_code=201,
        response_model=m.SimulationCreateSimulationPersonaVersionResponse,
    )
    async def create_persona_version(
        user: Annotated[w.User, user_dep(P_WRITE)],
        simulation_persona_id: Annotated[str, _pid("simulation_persona_id")],
        body: PersonaVersionIn,
        version: Annotated[int | None, Query(gt=1)] = None,
    ) -> Response:
        with store.lock:
            _persona(simulation_persona_id)
            expected = len(store.persona_versions[simulation_persona_id]) + 1
            if version is not None and version != expected:
                raise ApiError(400, f"The next version of this simulation persona is {expected}.")
            number = store.add_persona_version(simulation_persona_id, _data(body), user.user_id)
        return _ok(m.SimulationCreateSimulationPersonaVersionResponse, {"version": number}, 201)

    @app.get(
        V1 + "/simulation/persona/{simulation_persona_id}/version/",
        response_model=m.SimulationGetSimulationPersonaVersionsResponse,
    )
    async def list_persona_versions(
        user: Annotated[w.User, user_dep(P_READ)],
        simulation_persona_id: Annotated[str, _pid("simulation_persona_id")],
        version: Annotated[str | None, Query()] = None,
        limit: Annotated[int, Query(gt=0, le=10)] = 10,
        continuation_token: Token = 0,
        sort_by: StrList = [],  # noqa: B006
    ) -> Response:
        _persona(simulation_persona_id)
        items = _versions(store.persona_versions[simulation_persona_id], version, sort_by)
        chunk, more, nxt = store.page(items, limit, continuation_token)
        body = {"simulation_persona_versions": chunk, "has_more": more, "continuation_token": nxt}
        return _ok(m.SimulationGetSimulationPersonaVersionsResponse, body)

    # -- scenarios ---------------------------------------------------------------------------
    S_READ, S_WRITE = "Simulation:GetSimulationScenario", "Simulation:ModifySimulationScenario"

    def _scenario(sid: str) -> dict[str, Any]:
        doc = store.scenarios.get(sid)
        if doc is None:
            raise ApiError(404, "Simulation scenario not found.")
        return doc

    @app.get(
        V1 + "/simulation/scenario/", response_model=m.SimulationGetSimulationScenariosResponse
    )
    async def list_scenarios(
        user: Annotated[w.User, user_dep(S_READ)],
        id: IdList = [],  # noqa: B006
        limit: Annotated[int, Query(ge=0, le=200)] = 50,
        continuation_token: Token = 0,
        is_deleted: OptBool = None,
        creator: StrList = [],  # noqa: B006
        tag: StrList = [],  # noqa: B006
        sort_by: StrList = [],  # noqa: B006
    ) -> Response:
        docs = store.list_docs(
            store.scenarios.values(), ids=id, is_deleted=is_deleted, creator=creator, tag=tag,
            sort_by=sort_by,
        )  # fmt: skip
        chunk, more, nxt = store.page(docs, limit, continuation_token)
        filters = None
        if continuation_token == 0:
            filters = {
                "creators": _unique([d["creator"] for d in docs]),
                "tags": sorted({f"{k}:{v or ''}" for d in docs for k, v in d["tags"].items()}),
            }
        body = {
            "simulation_scenarios": [store.public(d) for d in chunk],
            "has_more": more,
            "continuation_token": nxt,
            "filter_values": filters,
        }
        return _ok(m.SimulationGetSimulationScenariosResponse, body)

    @app.get(
        V1 + "/simulation/scenario/search",
        response_model=m.SimulationSearchSimulationScenariosResponse,
    )
    async def search_scenarios(
        user: Annotated[w.User, user_dep(S_READ)],
        query: SearchQuery,
        creator: StrList = [],  # noqa: B006
        tag: StrList = [],  # noqa: B006
    ) -> Response:
        docs = store.list_docs(
            store.search(store.scenarios.values(), query, top=10_000), ids=[], is_deleted=None,
            creator=creator, tag=tag, sort_by=[],
        )[:50]  # fmt: skip
        body = {"simulation_scenarios": [store.public(d) for d in docs]}
        return _ok(m.SimulationSearchSimulationScenariosResponse, body)

    @app.post(
        V1 + "/simulation/scenario/",
        status_code=201,
        response_model=m.SimulationCreateSimulationScenarioResponse,
    )
    async def create_scenario(
        user: Annotated[w.User, user_dep(S_WRITE)],
        body: ScenarioIn,
    ) -> Response:
        data = _data(body)
        with store.lock:
            name = data["name"].strip()
            if any(d["name"] == name and not d["is_deleted"] for d in store.scenarios.values()):
                raise ApiError(409, "A simulation scenario with this name already exists.")
            sid = store.new_id()
            store._add_scenario(sid, name, data["tags"], data["initial_version"], user.user_id)
        return _ok(
            m.SimulationCreateSimulationScenarioResponse, {"simulation_scenario_id": sid}, 201
        )

    @app.post(V1 + "/simulation/scenario/{simulation_scenario_id}/", status_code=204)
    async def update_scenario(
        user: Annotated[w.User, user_dep(S_WRITE)],
        simulation_scenario_id: Annotated[str, _pid("simulation_scenario_id")],
        body: TagsUpdateIn,
    ) -> Response:
        with store.lock:
            doc = _scenario(simulation_scenario_id)
            if body.tags is not None:
                doc["tags"] = _data(body)["tags"]
            _touch(doc, user)
        return _no_content()

    @app.delete(V1 + "/simulation/scenario/{simulation_scenario_id}/", status_code=204)
    async def delete_scenario(
        user: Annotated[w.User, user_dep(S_WRITE)],
        simulation_scenario_id: Annotated[str, _pid("simulation_scenario_id")],
    ) -> Response:
        with store.lock:
            doc = _scenario(simulation_scenario_id)
            if any(
                u["scenario_id"] == simulation_scenario_id and not u["is_deleted"]
                for u in store.unit_tests.values()
            ):
                raise ApiError(400, "The simulation scenario is used by a simulation unit test.")
            doc["is_deleted"] = True
            _touch(doc, user)
        return _no_content()

    @app.post(
        V1 + "/simulation/scenario/{simulation_scenario_id}/version/",
        status_code=201,
        response_model=m.SimulationCreateSimulationScenarioVersionResponse,
    )
    async def create_scenario_version(
        user: Annotated[w.User, user_dep(S_WRITE)],
        simulation_scenario_id: Annotated[str, _pid("simulation_scenario_id")],
        body: ScenarioVersionIn,
        version: Annotated[int | None, Query(gt=1)] = None,
    ) -> Response:
        with store.lock:
            _scenario(simulation_scenario_id)
            expected = len(store.scenario_versions[simulation_scenario_id]) + 1
            if version is not None and version != expected:
                raise ApiError(400, f"The next version of this simulation scenario is {expected}.")
            number = store.add_scenario_version(simulation_scenario_id, _data(body), user.user_id)
        return _ok(m.SimulationCreateSimulationScenarioVersionResponse, {"version": number}, 201)

    @app.get(
        V1 + "/simulation/scenario/{simulation_scenario_id}/version/",
        response_model=m.SimulationGetSimulationScenarioVersionsResponse,
    )
    async def list_scenario_versions(
        user: Annotated[w.User, user_dep(S_READ)],
        simulation_scenario_id: Annotated[str, _pid("simulation_scenario_id")],
        version: Annotated[str | None, Query()] = None,
        limit: Annotated[int, Query(gt=0, le=10)] = 10,
        continuation_token: Token = 0,
        sort_by: StrList = [],  # noqa: B006
    ) -> Response:
        _scenario(simulation_scenario_id)
        items = _versions(store.scenario_versions[simulation_scenario_id], version, sort_by)
        chunk, more, nxt = store.page(items, limit, continuation_token)
        body = {"simulation_scenario_versions": chunk, "has_more": more, "continuation_token": nxt}
        return _ok(m.SimulationGetSimulationScenarioVersionsResponse, body)

    # -- unit tests --------------------------------------------------------------------------
    U_READ, U_WRITE = "Simulation:GetSimulationUnitTest", "Simulation:ModifySimulationUnitTest"

    def _unit_test(uid: str) -> dict[str, Any]:
        doc = store.unit_tests.get(uid)
        if doc is None:
            raise ApiError(404, "Simulation unit test not found.")
        return doc

    def _check_refs(data: dict[str, Any]) -> None:
        if data.get("persona_id") is not None:
            p = store.personas.get(data["persona_id"])
            if p is None or p["is_deleted"]:
                raise ApiError(404, "Simulation persona not found.")
        if data.get("scenario_id") is not None:
            s = store.scenarios.get(data["scenario_id"])
            if s is None or s["is_deleted"]:
                raise ApiError(404, "Simulation scenario not found.")
        for c in data.get("success_criterions") or []:
            metric = store.metrics.get(c["metric_id"])
            if metric is None or metric["is_deleted"]:
                raise ApiError(404, f"Metric {c['metric_id']} not found.")
            if metric["metric_value_type"] != c["criterion"]["type"]:
                raise ApiError(
                    400,
                    f"The success criterion {c['name']!r} is {c['criterion']['type']} but metric "
                    f"{c['metric_id']} is {metric['metric_value_type']}.",
                )

    def _ut_filter(
        service_id: list[str], persona_id: list[str], scenario_id: list[str], metric_id: list[str]
    ) -> Callable[[dict[str, Any]], bool]:
        def keep(d: dict[str, Any]) -> bool:
            metrics = {c["metric_id"] for c in d["success_criterions"]}
            return (
                (not service_id or d["service_id"] in service_id)
                and (not persona_id or d["persona_id"] in persona_id)
                and (not scenario_id or d["scenario_id"] in scenario_id)
                and (not metric_id or bool(metrics & set(metric_id)))
            )

        return keep

    @app.get(
        V1 + "/simulation/unit_test/", response_model=m.SimulationGetSimulationUnitTestsResponse
    )
    async def list_unit_tests(
        user: Annotated[w.User, user_dep(U_READ)],
        id: IdList = [],  # noqa: B006
        limit: Annotated[int, Query(ge=0, le=500)] = 50,
        continuation_token: Token = 0,
        is_deleted: OptBool = None,
        service_id: IdList = [],  # noqa: B006
        persona_id: IdList = [],  # noqa: B006
        scenario_id: IdList = [],  # noqa: B006
        metric_id: IdList = [],  # noqa: B006
        creator: StrList = [],  # noqa: B006
        tag: StrList = [],  # noqa: B006
        sort_by: StrList = [],  # noqa: B006
    ) -> Response:
        docs = store.list_docs(
            store.unit_tests.values(), ids=id, is_deleted=is_deleted, creator=creator, tag=tag,
            sort_by=sort_by, extra=_ut_filter(service_id, persona_id, scenario_id, metric_id),
        )  # fmt: skip
        chunk, more, nxt = store.page(docs, limit, continuation_token)
        filters = None
        if continuation_token == 0:
            filters = {
                "creators": _unique([d["creator"] for d in docs]),
                "tags": _tag_values(docs),
                "service_ids": sorted({d["service_id"] for d in docs}),
                "persona_ids": sorted({d["persona_id"] for d in docs}),
                "scenario_ids": sorted({d["scenario_id"] for d in docs}),
                "metric_ids": sorted(
                    {c["metric_id"] for d in docs for c in d["success_criterions"]}
                ),
            }
        body = {
            "simulation_unit_tests": [store.public(d) for d in chunk],
            "has_more": more,
            "continuation_token": nxt,
            "filter_values": filters,
        }
        return _ok(m.SimulationGetSimulationUnitTestsResponse, body)

    @app.get(
        V1 + "/simulation/unit_test/search/",
        response_model=m.SimulationSearchSimulationUnitTestsResponse,
    )
    async def search_unit_tests(
        user: Annotated[w.User, user_dep(U_READ)],
        query: SearchQuery,
        creator: StrList = [],  # noqa: B006
        tag: StrList = [],  # noqa: B006
        service_id: IdList = [],  # noqa: B006
        persona_id: IdList = [],  # noqa: B006
        scenario_id: IdList = [],  # noqa: B006
        metric_id: IdList = [],  # noqa: B006
    ) -> Response:
        docs = store.list_docs(
            store.search(store.unit_tests.values(), query, top=10_000), ids=[], is_deleted=None,
            creator=creator, tag=tag, sort_by=[],
            extra=_ut_filter(service_id, persona_id, scenario_id, metric_id),
        )[:50]  # fmt: skip
        body = {"simulation_unit_tests": [_underscore_id(store.public(d)) for d in docs]}
        return _ok(m.SimulationSearchSimulationUnitTestsResponse, body)

    @app.post(
        V1 + "/simulation/unit_test/",
        status_code=201,
        response_model=m.SimulationCreateSimulationUnitTestResponse,
    )
    async def create_unit_test(
        user: Annotated[w.User, user_dep(U_WRITE)],
        body: m.SimulationCreateSimulationUnitTestRequest,
    ) -> Response:
        data = _data(body)
        with store.lock:
            _check_refs(data)
            name = data["name"].strip()
            if any(d["name"] == name and not d["is_deleted"] for d in store.unit_tests.values()):
                raise ApiError(409, "A simulation unit test with this name already exists.")
            uid = store.new_id()
            store.unit_tests[uid] = store._unit_test_doc(
                uid, name, data["description"], data["service_id"],
                data["service_version_set_name"], data["persona_id"], data["scenario_id"],
                data["max_interactions"], data["success_criterions"], data["tags"], user.user_id,
            )  # fmt: skip
        return _ok(
            m.SimulationCreateSimulationUnitTestResponse, {"simulation_unit_test_id": uid}, 201
        )

    @app.post(V1 + "/simulation/unit_test/{simulation_unit_test_id}/", status_code=204)
    async def update_unit_test(
        user: Annotated[w.User, user_dep(U_WRITE)],
        simulation_unit_test_id: Annotated[str, _pid("simulation_unit_test_id")],
        body: m.SimulationUpdateSimulationUnitTestRequest,
    ) -> Response:
        data = {k: v for k, v in _data(body).items() if v is not None}
        with store.lock:
            doc = _unit_test(simulation_unit_test_id)
            _check_refs(data)
            for key in (
                "description", "service_id", "service_version_set_name", "persona_id",
                "scenario_id", "max_interactions", "success_criterions",
            ):  # fmt: skip
                if key in data:
                    doc[key] = data[key]
            if "tags" in data:
                doc["_tags"] = data["tags"]
                doc["tags"] = [{"key": k, "value": v} for k, v in data["tags"].items()]
            if "run_count" in data:
                doc["_run_count"] = data["run_count"]
            _touch(doc, user)
        return _no_content()

    @app.delete(V1 + "/simulation/unit_test/{simulation_unit_test_id}/", status_code=204)
    async def delete_unit_test(
        user: Annotated[w.User, user_dep(U_WRITE)],
        simulation_unit_test_id: Annotated[str, _pid("simulation_unit_test_id")],
    ) -> Response:
        with store.lock:
            doc = _unit_test(simulation_unit_test_id)
            if any(
                r["unit_test_id"] == simulation_unit_test_id and not s["is_deleted"]
                for s in store.sets.values()
                for r in s["unit_test_runs"]
            ):
                raise ApiError(400, "The simulation unit test is used by a unit test set.")
            doc["is_deleted"] = True
            _touch(doc, user)
        return _no_content()

    # -- unit test sets ----------------------------------------------------------------------
    T_READ, T_WRITE = (
        "Simulation:GetSimulationUnitTestSet",
        "Simulation:ModifySimulationUnitTestSet",
    )

    def _set(sid: str) -> dict[str, Any]:
        doc = store.sets.get(sid)
        if doc is None:
            raise ApiError(404, "Simulation unit test set not found.")
        return doc

    def _check_runs(runs: list[dict[str, Any]]) -> None:
        for r in runs:
            doc = store.unit_tests.get(r["unit_test_id"])
            if doc is None or doc["is_deleted"]:
                raise ApiError(404, f"Simulation unit test {r['unit_test_id']} not found.")

    def _set_filter(unit_test_id: list[str]) -> Callable[[dict[str, Any]], bool]:
        return lambda d: (
            not unit_test_id or any(r["unit_test_id"] in unit_test_id for r in d["unit_test_runs"])
        )

    @app.get(
        V1 + "/simulation/unit_test_set/",
        response_model=m.SimulationGetSimulationUnitTestSetsResponse,
    )
    async def list_sets(
        user: Annotated[w.User, user_dep(T_READ)],
        id: IdList = [],  # noqa: B006
        limit: Annotated[int, Query(ge=0, le=20)] = 20,
        continuation_token: Token = 0,
        is_deleted: OptBool = None,
        unit_test_id: IdList = [],  # noqa: B006
        creator: StrList = [],  # noqa: B006
        tag: StrList = [],  # noqa: B006
        sort_by: StrList = [],  # noqa: B006
    ) -> Response:
        docs = store.list_docs(
            [] if "sets" in user.hidden else store.sets.values(), ids=id,
            is_deleted=is_deleted, creator=creator, tag=tag,
            sort_by=sort_by, extra=_set_filter(unit_test_id),
        )  # fmt: skip
        chunk, more, nxt = store.page(docs, limit, continuation_token)
        filters = None
        if continuation_token == 0:
            filters = {
                "creators": _unique([d["creator"] for d in docs]),
                "unit_test_ids": sorted(
                    {r["unit_test_id"] for d in docs for r in d["unit_test_runs"]}
                ),
                "tags": _tag_values(docs),
            }
        body = {
            "simulation_unit_test_sets": [store.public(d) for d in chunk],
            "has_more": more,
            "continuation_token": nxt,
            "filter_values": filters,
        }
        return _ok(m.SimulationGetSimulationUnitTestSetsResponse, body)

    @app.get(
        V1 + "/simulation/unit_test_set/search/",
        response_model=m.SimulationSearchSimulationUnitTestSetResponse,
    )
    async def search_sets(
        user: Annotated[w.User, user_dep(T_READ)],
        query: SearchQuery,
        creator: StrList = [],  # noqa: B006
        tag: StrList = [],  # noqa: B006
        unit_test_id: IdList = [],  # noqa: B006
    ) -> Response:
        docs = store.list_docs(
            store.search([] if "sets" in user.hidden else store.sets.values(), query, top=10_000),
            ids=[], is_deleted=None,
            creator=creator, tag=tag, sort_by=[], extra=_set_filter(unit_test_id),
        )[:50]  # fmt: skip
        body = {"simulation_unit_test_sets": [_underscore_id(store.public(d)) for d in docs]}
        return _ok(m.SimulationSearchSimulationUnitTestSetResponse, body)

    @app.post(
        V1 + "/simulation/unit_test_set/",
        status_code=201,
        response_model=m.SimulationCreateSimulationUnitTestSetResponse,
    )
    async def create_set(
        user: Annotated[w.User, user_dep(T_WRITE)],
        body: m.SimulationCreateSimulationUnitTestSetRequest,
    ) -> Response:
        data = _data(body)
        with store.lock:
            _check_runs(data["unit_test_runs"])
            name = data["name"].strip()
            if any(d["name"] == name and not d["is_deleted"] for d in store.sets.values()):
                raise ApiError(409, "A simulation unit test set with this name already exists.")
            sid = store.new_id()
            runs = [[r["unit_test_id"], r["run_count"]] for r in data["unit_test_runs"]]
            store.sets[sid] = store._set_doc(
                sid, name, data["description"], runs, data["tags"], user.user_id
            )
        return _ok(
            m.SimulationCreateSimulationUnitTestSetResponse,
            {"simulation_unit_test_set_id": sid},
            201,
        )

    @app.post(V1 + "/simulation/unit_test_set/{simulation_unit_test_set_id}", status_code=204)
    async def update_set(
        user: Annotated[w.User, user_dep(T_WRITE)],
        simulation_unit_test_set_id: Annotated[str, _pid("simulation_unit_test_set_id")],
        body: m.SimulationUpdateSimulationUnitTestSetRequest,
    ) -> Response:
        with store.lock:
            doc = _set(simulation_unit_test_set_id)
            if body.name is not None:
                name = _data(body)["name"].strip()
                if any(
                    d["name"] == name and not d["is_deleted"] and d is not doc
                    for d in store.sets.values()
                ):
                    raise ApiError(409, "A simulation unit test set with this name already exists.")
                doc["name"] = name
            if not isinstance(body.description, m.FieldNotSet):
                dumped = _data(body)["description"]
                doc["description"] = dumped if isinstance(dumped, str) else None
            if body.unit_test_runs is not None:
                runs = _data(body)["unit_test_runs"]
                _check_runs(runs)
                doc["unit_test_runs"] = [
                    {"unit_test_id": r["unit_test_id"], "run_count": r["run_count"]} for r in runs
                ]
            if body.tags is not None:
                tags = _data(body)["tags"]
                doc["_tags"] = tags
                doc["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
            _touch(doc, user)
        return _no_content()

    @app.delete(V1 + "/simulation/unit_test_set/{simulation_unit_test_set_id}", status_code=204)
    async def delete_set(
        user: Annotated[w.User, user_dep(T_WRITE)],
        simulation_unit_test_set_id: Annotated[str, _pid("simulation_unit_test_set_id")],
    ) -> Response:
        with store.lock:
            doc = _set(simulation_unit_test_set_id)
            doc["is_deleted"] = True
            _touch(doc, user)
        return _no_content()

    # -- runs --------------------------------------------------------------------------------
    R_READ = "Simulation:GetSimulationUnitTestSetRun"

    @app.get(
        V1 + "/simulation/unit_test_set_run/",
        response_model=m.SimulationGetSimulationUnitTestSetRunsResponse,
    )
    def list_runs(
        user: Annotated[w.User, user_dep(R_READ)],
        id: IdList = [],  # noqa: B006
        limit: Annotated[int, Query(ge=0, le=50)] = 50,
        continuation_token: Token = 0,
        creator: StrList = [],  # noqa: B006
        sort_by: StrList = [],  # noqa: B006
        simulation_unit_test_set_id: IdList = [],  # noqa: B006
        is_completed: OptBool = None,
        failed_metrics: OptBool = None,
        errored: OptBool = None,
        created_after: Annotated[datetime | None, Query()] = None,
        created_before: Annotated[datetime | None, Query()] = None,
    ) -> Response:
        with store.lock:
            instances = []
            for run in [] if "runs" in user.hidden else store.runs.values():
                if id and run.id not in id:
                    continue
                if simulation_unit_test_set_id and run.set_id not in simulation_unit_test_set_id:
                    continue
                if creator and f"{store.org},{run.user_id}" not in creator:
                    continue
                created = store.clock.at(run.created)
                if created_after is not None and created < _aware(created_after):
                    continue
                if created_before is not None and created > _aware(created_before):
                    continue
                inst = store.run_instance(run, user.denied_permissions)
                if is_completed is not None and inst["is_completed"] != is_completed:
                    continue
                if failed_metrics is not None and inst["failed_metrics"] != failed_metrics:
                    continue
                if errored is not None and inst["errored"] != errored:
                    continue
                instances.append(inst)
        instances = _sorted_by(instances, sort_by, {"created_at"})
        chunk, more, nxt = store.page(instances, limit, continuation_token)
        filters = None
        if continuation_token == 0:
            filters = {
                "creators": _unique([i["creator"] for i in instances]),
                "simulation_unit_test_set_ids": sorted(
                    {i["simulation_unit_test_set_id"] for i in instances}
                ),
                "tags": [],
            }
        body = {
            "simulation_unit_test_set_runs": chunk,
            "has_more": more,
            "continuation_token": nxt,
            "filter_values": filters,
        }
        return _ok(m.SimulationGetSimulationUnitTestSetRunsResponse, body)

    @app.post(
        V1 + "/simulation/unit_test_set_run/",
        status_code=201,
        response_model=m.SimulationCreateSimulationUnitTestSetRunResponse,
    )
    def create_run(
        user: Annotated[w.User, user_dep("Simulation:CreateSimulationUnitTestSetRun")],
        body: m.SimulationCreateSimulationUnitTestSetRunRequest,
    ) -> Response:
        rid = store.create_run(body.simulation_unit_test_set_id, user)
        return _ok(
            m.SimulationCreateSimulationUnitTestSetRunResponse,
            {"simulation_unit_test_set_run_id": rid},
            201,
        )

    @app.delete(
        V1 + "/simulation/unit_test_set_run/{simulation_unit_test_set_run_id}/", status_code=204
    )
    async def cancel_run(
        user: Annotated[w.User, user_dep("Simulation:CancelSimulationUnitTestSetRun")],
        simulation_unit_test_set_run_id: Annotated[str, _pid("simulation_unit_test_set_run_id")],
    ) -> Response:
        store.cancel_run(simulation_unit_test_set_run_id)
        return _no_content()

    @app.get(
        V1 + "/simulation/unit_test_set_run/{simulation_unit_test_set_run_id}/artifacts/",
        response_model=m.SimulationGetSimulationUnitTestSetRunArtifactsResponse,
    )
    def run_artifacts(
        request: Request,
        user: Annotated[w.User, user_dep(R_READ)],
        simulation_unit_test_set_run_id: Annotated[str, _pid("simulation_unit_test_set_run_id")],
    ) -> Response:
        with store.lock:
            run = store.get_run(simulation_unit_test_set_run_id)
            if not store.artifacts_ready(run, store.now()):
                raise ApiError(
                    400,
                    "The artifacts for the unit test set run are not yet available for retrieval",
                )
            path, expires = store.presign(run)
        base = str(request.base_url).rstrip("/")
        body = {"presigned_url": base + path, "url_expires_at": expires}
        return _ok(m.SimulationGetSimulationUnitTestSetRunArtifactsResponse, body)

    # -- metrics -----------------------------------------------------------------------------
    @app.get(V1 + "/metric/", response_model=m.MetricGetMetricsResponse)
    async def list_metrics(
        user: Annotated[w.User, user_dep("Metric:GetMetric")],
        id: IdList = [],  # noqa: B006
        limit: Annotated[int, Query(ge=0, le=50)] = 50,
        continuation_token: Token = 0,
        applied_to_service: IdList = [],  # noqa: B006
        type: Annotated[list[m.MetricValueType], Query()] = [],  # noqa: B006
        is_deleted: Annotated[bool, Query()] = False,
        creator: StrList = [],  # noqa: B006
        tag: StrList = [],  # noqa: B006
        sort_by: StrList = [],  # noqa: B006
    ) -> Response:
        kinds = {t.value for t in type}
        docs = store.list_docs(
            store.metrics.values(), ids=id, is_deleted=is_deleted, creator=creator, tag=tag,
            sort_by=sort_by,
            extra=lambda d: (not kinds or d["metric_value_type"] in kinds)
            and (not applied_to_service
                 or bool(set(d["applied_to_services"]) & set(applied_to_service))),
        )  # fmt: skip
        chunk, more, nxt = store.page(docs, limit, continuation_token)
        filters = None
        if continuation_token == 0:
            filters = {
                "applied_to_services_ids": sorted(
                    {s for d in docs for s in d["applied_to_services"]}
                ),
                "creators": _unique([d["creator"] for d in docs]),
                "tags": _tag_values(docs),
                "types": sorted({d["metric_value_type"] for d in docs}),
            }
        body = {
            "metrics": [store.public(d) for d in chunk],
            "has_more": more,
            "continuation_token": nxt,
            "filter_values": filters,
        }
        return _ok(m.MetricGetMetricsResponse, body)

    @app.get(
        V1 + "/metric/metric_evaluation_result",
        response_model=m.MetricGetMetricEvaluationResultsResponse,
    )
    def list_evaluation_results(
        user: Annotated[w.User, user_dep("Metric:GetMetricEvaluationResult")],
        limit: Annotated[int, Query(ge=0, le=500)] = 500,
        continuation_token: Token = 0,
        timestamp_after: Annotated[datetime | None, Query()] = None,
        timestamp_before: Annotated[datetime | None, Query()] = None,
        metric_id: IdList = [],  # noqa: B006
        metric_id_and_version: StrList = [],  # noqa: B006
        source_type: Annotated[list[m.EvaluationSourceType], Query()] = [],  # noqa: B006
        conversation_id: IdList = [],  # noqa: B006
        simulation_unit_test_set_run_id: IdList = [],  # noqa: B006
        sort_by: StrList = [],  # noqa: B006
    ) -> Response:
        sources = {s.value for s in source_type}
        wanted_versions = [x.partition("-") for x in metric_id_and_version]
        after = None if timestamp_after is None else store.clock.seconds(timestamp_after)
        before = None if timestamp_before is None else store.clock.seconds(timestamp_before)

        def keep(e: EvaluationRef) -> bool:
            if sources and "simulation" not in sources:
                return False
            if conversation_id:
                return False  # simulation results carry no conversation id
            if metric_id and e.metric_id not in metric_id:
                return False
            if wanted_versions and not any(
                e.metric_id == mid and (not ver or str(e.metric_version) == ver)
                for mid, _, ver in wanted_versions
            ):
                return False
            # created_at is serialized to the microsecond: compare what the caller sees
            if after is None and before is None:
                return True
            at = store.clock.seconds(store.clock.at(e.at))
            if after is not None and at < after:
                return False
            return before is None or at <= before

        with store.lock:
            refs = [e for e in store.evaluation_refs(simulation_unit_test_set_run_id) if keep(e)]
            for spec in reversed(sort_by):
                if spec.lstrip("+-") != "created_at":
                    raise invalid(
                        ["query", "sort_by"],
                        "Unsupported sort field; supported: ['created_at']",
                        spec,
                    )
                refs.sort(key=lambda e: e.at, reverse=spec.startswith("-"))
            chunk_refs, more, nxt = store.page(refs, limit, continuation_token)
            chunk = [store.evaluation_doc(e) for e in chunk_refs]
        filters = None
        if continuation_token == 0:
            filters = {"metric_ids": sorted({e.metric_id for e in refs})}
        body = {
            "metric_evaluation_results": chunk,
            "has_more": more,
            "continuation_token": nxt,
            "filter_values": filters,
        }
        return _ok(m.MetricGetMetricEvaluationResultsResponse, body)

    # -- tool invocations --------------------------------------------------------------------
    @app.get(V1 + "/tool/invocation", response_model=m.ToolGetToolInvocationsResponse)
    def list_tool_invocations(
        user: Annotated[w.User, user_dep(R_READ)],
        tool_id: IdList = [],  # noqa: B006
        version: StrList = [],  # noqa: B006
        invocation_source_type: StrList = [],  # noqa: B006
        conversation_id: IdList = [],  # noqa: B006
        simulation_unit_test_set_run_id: IdList = [],  # noqa: B006
        succeeded: OptBool = None,
        limit: Annotated[int, Query(ge=0, le=100)] = 100,
        continuation_token: Token = 0,
        sort_by: StrList = [],  # noqa: B006
    ) -> Response:
        if version and len(version) != len(tool_id):
            raise ApiError(400, "The number of versions must match the number of tool IDs.")
        bad = set(invocation_source_type) - {"regular-conversation", "simulation-conversation"}
        if bad:
            raise invalid(
                ["query", "invocation_source_type"],
                "Input should be 'regular-conversation' or 'simulation-conversation'",
                sorted(bad),
            )
        with store.lock:
            items = store.tool_invocations(simulation_unit_test_set_run_id)

        def keep(x: dict[str, Any]) -> bool:
            if invocation_source_type and "simulation-conversation" not in invocation_source_type:
                return False
            if conversation_id:
                return False
            if tool_id and x["tool_id"] not in tool_id:
                return False
            return succeeded is None or x["invocation_status"]["succeeded"] == succeeded

        items = _sorted_by([x for x in items if keep(x)], sort_by, {"created_at", "tool_id"})
        chunk, more, nxt = store.page(items, limit, continuation_token)
        body = {"tool_invocations": chunk, "has_more": more, "continuation_token": nxt}
        return _ok(m.ToolGetToolInvocationsResponse, body)

    def _touch(doc: dict[str, Any], user: w.User) -> None:
        doc["updated_at"] = store.stamp()
        doc["updated_by"] = {"org_id": store.org, "user_id": user.user_id}

    return app


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _s3_error(status: int, code: str, message: str) -> Response:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return Response(xml, status_code=status, media_type="application/xml")


def _unique(creators: list[dict[str, str]]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for c in creators:
        if c not in out:
            out.append(c)
    return out


def _tag_values(docs: list[dict[str, Any]]) -> list[str]:
    return sorted({f"{t['key']}:{t['value'] or ''}" for d in docs for t in d["tags"]})


def _underscore_id(doc: dict[str, Any]) -> dict[str, Any]:
    out = {"_id": doc["id"]}
    out.update({k: v for k, v in doc.items() if k != "id"})
    return out


_sorted_by = sorted_docs


def _versions(items: list[dict[str, Any]], spec: str | None, sort_by: list[str]) -> list[Any]:
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


def build_asgi(world: w.World) -> tuple[Any, FastAPI]:
    """The FastAPI app wrapped in the traffic middleware: (asgi app to serve, fastapi app)."""
    app = create_app(world)
    try:
        from pytest_amigo.emulator.traffic import TrafficMiddleware, TrafficPolicy
    except ImportError:  # pragma: no cover - traffic layer not installed
        return app, app
    from pytest_amigo.emulator.traffic import parse_fault_plan

    policy = TrafficPolicy(
        rate_limits=world.options.rate_limits, window=world.options.rate_limit_window
    )
    middleware = TrafficMiddleware(app, policy)
    if world.faults:
        middleware.faults = parse_fault_plan(world.faults)
    return middleware, app
