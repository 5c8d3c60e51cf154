"""One route shape for the catalog resources: personas, scenarios, unit tests, sets, metrics.

In the style of moto's ``BaseResponse``: a resource is described once (:class:`Resource`: its
path, answer models, permissions, query parameters, filters and store accessors) and
:func:`resource_router` serves the description with the shared handlers below: list, search,
create, update, delete and, for versioned resources (:class:`Versions`), create/list versions.
A resource leaves out the operations it does not have (metrics are only listed).

The handlers' FastAPI signatures are built from the description (:func:`handler`), in the
order the description gives, so the query parameters, their validation and the order of
``422`` errors are those of the resource's own declaration. Each route keeps the name of the
function it replaced (``list_personas``, ``update_set``, ...): FastAPI derives operation ids
and summaries of ``/_emulator/openapi.json`` from it.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.routes.common import (
    V1,
    IdList,
    OptBool,
    SearchQuery,
    StoreDep,
    StrList,
    Token,
    data_of,
    no_content,
    ok,
    page_body,
    path_id,
    underscore_id,
    user_dep,
    versions_of,
)
from pytest_amigo.emulator.store import Store

Doc = dict[str, Any]
Handler = Callable[..., Awaitable[Response]]


@dataclass(frozen=True)
class Param:
    """A query parameter of a route: its name, FastAPI annotation and default."""

    name: str
    annotation: Any
    default: Any = inspect.Parameter.empty


def page_limit(most: int, default: int) -> Param:
    """The ``limit`` of a list: ``0 <= limit <= most``."""
    return Param("limit", Annotated[int, Query(ge=0, le=most)], default)


def id_filter(name: str) -> Param:
    return Param(name, IdList, [])


def str_filter(name: str) -> Param:
    return Param(name, StrList, [])


ID = id_filter("id")
TOKEN = Param("continuation_token", Token, 0)
IS_DELETED = Param("is_deleted", OptBool, None)
CREATOR = str_filter("creator")
TAG = str_filter("tag")
SORT_BY = str_filter("sort_by")


def list_query(most: int, default: int, *filters: Param) -> tuple[Param, ...]:
    """The list parameters of the simulation resources, in their order: ``id``, ``limit``,
    ``continuation_token``, ``is_deleted``, the resource's own ``filters``, ``creator``, ``tag``,
    ``sort_by``."""
    return (ID, page_limit(most, default), TOKEN, IS_DELETED, *filters, CREATOR, TAG, SORT_BY)


@dataclass(frozen=True)
class Search:
    """``GET <path>?query=``: the first 50 live documents whose name holds the query."""

    path: str
    """``/search`` or ``/search/`` (the contract differs per resource)."""
    model: type[BaseModel]
    query: tuple[Param, ...]
    """The filters besides ``query``, in declaration order."""
    underscore: bool = False
    """The answer carries ``_id`` instead of ``id``."""


@dataclass(frozen=True)
class Create:
    """``POST /``: ``201 {<id_name>: new id}``."""

    body: type[BaseModel]
    model: type[BaseModel]
    store: Callable[[Store, Doc, w.User], str]


@dataclass(frozen=True)
class Update:
    """``POST /{id}``: ``204``."""

    body: type[BaseModel]
    changes: Callable[[Any], Any]
    """The body as ``store`` takes it."""
    store: Callable[[Store, str, Any, w.User], None]


@dataclass(frozen=True)
class Versions:
    """The versions of a versioned resource (``.../{id}/version/``): create and list."""

    key: str
    """The list answer's key, e.g. ``simulation_persona_versions``."""
    body: type[BaseModel]
    create_model: type[BaseModel]
    list_model: type[BaseModel]
    create: Callable[[Store, str, Doc, int | None, w.User], int]
    items: Callable[[Store, str], list[Doc]]


@dataclass(frozen=True)
class Naming:
    """How the contract and the routes name a resource."""

    path: str
    """Below ``/v1/{organization}``, e.g. ``/simulation/persona``."""
    name: str
    """Singular, for the route names: ``create_<name>``, ``update_<name>``, ..."""
    key: str
    """The list and search answers' key, e.g. ``simulation_personas``."""
    read: str
    """The permission to list, search and list versions."""
    write: str = ""
    """The permission to create, update, delete and add versions."""
    id_name: str = ""
    """The path parameter of one object, also the create answer's key."""

    @property
    def names(self) -> str:
        """Plural, for the route names: ``list_<names>``, ``search_<names>``."""
        return self.name + "s"


def simulation(kind: str, name: str = "") -> Naming:
    """The names of a simulation resource, as the contract derives them from its ``kind``
    (``unit_test_set``: path ``/simulation/unit_test_set``, key ``simulation_unit_test_sets``,
    path parameter ``simulation_unit_test_set_id``, permissions
    ``Simulation:GetSimulationUnitTestSet`` and ``Simulation:ModifySimulationUnitTestSet``);
    ``name`` (default: ``kind``) names the routes."""
    camel = "".join(word.capitalize() for word in kind.split("_"))
    return Naming(
        path=f"/simulation/{kind}",
        name=name or kind,
        key=f"simulation_{kind}s",
        read=f"Simulation:GetSimulation{camel}",
        write=f"Simulation:ModifySimulation{camel}",
        id_name=f"simulation_{kind}_id",
    )


@dataclass(frozen=True)
class Resource:
    """What the shared handlers need to serve one resource; the operations left None are not
    served."""

    naming: Naming
    docs: Callable[[Store, w.User], Iterable[Doc]]
    """The documents the user may list (all of the kind, or none when hidden)."""
    list_model: type[BaseModel]
    list_query: tuple[Param, ...]
    """Every query parameter of the list, in declaration order (see ``list_query``)."""
    filter_values: Callable[[list[Doc]], dict[str, Any]]
    """The list's ``filter_values`` (first page only) from every matching document."""
    keep: Callable[[dict[str, Any]], Callable[[Doc], bool] | None] = lambda q: None
    """The resource's own filters: from the query's values, a test of a document (or None)."""
    item_suffix: str = "/"
    """What follows ``/{id}`` in the object's path (the contract differs per resource)."""
    search: Search | None = None
    create: Create | None = None
    update: Update | None = None
    delete: Callable[[Store, str, w.User], None] | None = None
    versions: Versions | None = None

    @property
    def item(self) -> str:
        return "/{" + self.naming.id_name + "}" + self.item_suffix

    def item_param(self) -> Param:
        id_name = self.naming.id_name
        return Param(id_name, Annotated[str, path_id(id_name)])


def handler(
    name: str, permission: str, params: Iterable[Param], serve: Callable[..., Response]
) -> Handler:
    """An endpoint named ``name`` taking ``store``, ``user`` (needing ``permission``) and
    ``params``, answering ``serve(store=..., user=..., **params)``."""

    async def handler(**values: Any) -> Response:
        return serve(**values)

    handler.__name__ = handler.__qualname__ = name
    handler.__doc__ = None
    user = Annotated[w.User, user_dep(permission)]
    first = [Param("store", StoreDep), Param("user", user)]
    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default,
                              annotation=p.annotation)
            for p in (*first, *params)
        ],
        return_annotation=Response,
    )  # fmt: skip
    return handler


# -- the shared handlers: each takes the resource and the request's values ------------------


def _list(res: Resource, store: Store, user: w.User, **q: Any) -> Response:
    docs = store.list_docs(
        res.docs(store, user), ids=q["id"], is_deleted=q["is_deleted"], creator=q["creator"],
        tag=q["tag"], sort_by=q["sort_by"], extra=res.keep(q),
    )  # fmt: skip
    chunk, more, nxt = store.page(docs, q["limit"], q["continuation_token"])
    filters = res.filter_values(docs) if q["continuation_token"] == 0 else None
    public = [store.public(d) for d in chunk]
    body = page_body(res.naming.key, public, more, nxt, filter_values=filters)
    return ok(res.list_model, body)


def _search(res: Resource, store: Store, user: w.User, query: str, **q: Any) -> Response:
    assert res.search is not None
    docs = store.list_docs(
        store.search(res.docs(store, user), query, top=10_000), ids=[], is_deleted=None,
        creator=q["creator"], tag=q["tag"], sort_by=[], extra=res.keep(q),
    )[:50]  # fmt: skip
    found = [store.public(d) for d in docs]
    if res.search.underscore:
        found = [underscore_id(d) for d in found]
    return ok(res.search.model, {res.naming.key: found})


def _create(res: Resource, store: Store, user: w.User, body: BaseModel) -> Response:
    assert res.create is not None
    new_id = res.create.store(store, data_of(body), user)
    return ok(res.create.model, {res.naming.id_name: new_id}, 201)


def _update(res: Resource, store: Store, user: w.User, body: BaseModel, **path: str) -> Response:
    assert res.update is not None
    res.update.store(store, path[res.naming.id_name], res.update.changes(body), user)
    return no_content()


def _delete(res: Resource, store: Store, user: w.User, **path: str) -> Response:
    assert res.delete is not None
    res.delete(store, path[res.naming.id_name], user)
    return no_content()


def _create_version(
    res: Resource, store: Store, user: w.User, body: BaseModel, version: int | None, **path: str
) -> Response:
    assert res.versions is not None
    v = res.versions
    number = v.create(store, path[res.naming.id_name], data_of(body), version, user)
    return ok(v.create_model, {"version": number}, 201)


def _list_versions(res: Resource, store: Store, user: w.User, **q: Any) -> Response:
    assert res.versions is not None
    v = res.versions
    items = versions_of(v.items(store, q[res.naming.id_name]), q["version"], q["sort_by"])
    chunk, more, nxt = store.page(items, q["limit"], q["continuation_token"])
    return ok(v.list_model, page_body(v.key, chunk, more, nxt))


def resource_router(res: Resource) -> APIRouter:
    """An APIRouter serving ``res`` at ``/v1/{organization}`` + ``res.naming.path``."""
    n = res.naming
    router = APIRouter(prefix=V1 + n.path)

    def add(
        path: str, method: str, name: str, permission: str, params: Iterable[Param],
        serve: Callable[..., Response], **route: Any,
    ) -> None:  # fmt: skip
        endpoint = handler(name, permission, params, partial(serve, res))
        router.add_api_route(path, endpoint, methods=[method], name=name, **route)

    add("/", "GET", f"list_{n.names}", n.read, res.list_query, _list,
        response_model=res.list_model)  # fmt: skip
    if res.search is not None:
        query = (Param("query", SearchQuery), *res.search.query)
        add(res.search.path, "GET", f"search_{n.names}", n.read, query, _search,
            response_model=res.search.model)  # fmt: skip
    if res.create is not None:
        body = Param("body", res.create.body)
        add("/", "POST", f"create_{n.name}", n.write, (body,), _create, status_code=201,
            response_model=res.create.model)  # fmt: skip
    if res.update is not None:
        params = (res.item_param(), Param("body", res.update.body))
        add(res.item, "POST", f"update_{n.name}", n.write, params, _update, status_code=204)
    if res.delete is not None:
        add(res.item, "DELETE", f"delete_{n.name}", n.write, (res.item_param(),), _delete,
            status_code=204)  # fmt: skip
    if res.versions is not None:
        _add_versions(res, res.versions, add)
    return router


def _add_versions(res: Resource, v: Versions, add: Callable[..., None]) -> None:
    n = res.naming
    path = res.item + "version/"
    created = (
        res.item_param(),
        Param("body", v.body),
        Param("version", Annotated[int | None, Query(gt=1)], None),
    )
    add(path, "POST", f"create_{n.name}_version", n.write, created, _create_version,
        status_code=201, response_model=v.create_model)  # fmt: skip
    listed = (
        res.item_param(),
        Param("version", Annotated[str | None, Query()], None),
        Param("limit", Annotated[int, Query(gt=0, le=10)], 10),
        TOKEN,
        SORT_BY,
    )
    add(path, "GET", f"list_{n.name}_versions", n.read, listed, _list_versions,
        response_model=v.list_model)  # fmt: skip
