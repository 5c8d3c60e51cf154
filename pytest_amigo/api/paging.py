"""Reading list operations: query parameters, pages followed by continuation token, ids sent in
chunks, items deduplicated across chunks, and pages read leniently (only the fields a verdict
needs are checked, :mod:`.shapes`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pydantic
from amigo_sdk.errors import SDKInternalError

from pytest_amigo.api.queries import ListQuery, list_params
from pytest_amigo.api.shapes import Lenient, PageShape, ResponseShapeError, validate_shape

ID_CHUNK = 50
"""At most this many ids per list request (keeps URLs short; the API pages within a chunk)."""


def params_of(**values: Any) -> dict[str, Any]:
    """Drop ``None`` and empty sequences; sequences become lists (repeated query keys)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            out[key] = value
        elif isinstance(value, Iterable):
            items = [str(v) for v in value]
            if items:
                out[key] = items
        else:
            out[key] = str(value)
    return out


def chunks(ids: Sequence[str], size: int = ID_CHUNK) -> list[list[str]]:
    unique = list(dict.fromkeys(ids))
    return [unique[i : i + size] for i in range(0, len(unique), size)]


def item_id(item: Any) -> Any:
    """An item's id (a dict's ``id``, a model's ``id`` or ``field_id``); its identity otherwise."""
    if isinstance(item, Mapping):
        value = item.get("id")
        return value if isinstance(value, str) else id(item)
    value = getattr(item, "id", None) or getattr(item, "field_id", None)
    value = getattr(value, "root", value)  # generated RootModel string types
    return value if isinstance(value, str) else id(item)


@dataclass(frozen=True)
class Listing:
    """One list operation as it is paged: what to send, how to read it, how much a page holds."""

    op_id: str
    model: type[pydantic.BaseModel] | Lenient
    field: str  # the answer's list of items
    page_max: int
    path: Mapping[str, str] | None = None


class PagedReads:
    """The list operations' reading, for :class:`~pytest_amigo.api.core.ApiCore` (a mixin: it
    sends through the core's ``_send`` and ``_get``)."""

    # the core's requests (ApiCore): one request, and one request read as a model
    _send: Callable[..., httpx.Response]
    _get: Callable[..., Any]

    def _lenient_page(
        self,
        op_id: str,
        field: str,
        shape: Lenient,
        *,
        path: Mapping[str, str] | None,
        params: Mapping[str, Any],
    ) -> tuple[list[Any], bool, Any]:
        """One page read leniently: items (as sent, or as ``shape.item``), has_more, token."""
        resp = self._send(op_id, path=path, params=params)
        status = resp.status_code
        try:
            data = resp.json()
        except ValueError:
            raise ResponseShapeError(op_id, status, "<root>", "not a JSON document") from None
        page = validate_shape(PageShape, data, operation=op_id, status_code=status)
        items = data.get(field)
        if not isinstance(items, list):
            problem = "required field missing" if field not in data else "not a list"
            raise ResponseShapeError(op_id, status, field, problem)
        if page.has_more and page.continuation_token is None:
            raise ResponseShapeError(
                op_id, status, "continuation_token", "null while has_more is true"
            )
        out: list[Any] = []
        for index, item in enumerate(items):
            checked = validate_shape(
                shape.item, item, operation=op_id, status_code=status, prefix=(field, index)
            )
            out.append(item if shape.as_sent else checked)
        return out, page.has_more, page.continuation_token

    def _pages(self, listing: Listing, params: Mapping[str, Any], limit: int | None) -> list[Any]:
        """Every page of one listing (at most ``limit`` items), following continuation tokens."""
        op_id, model, field, path = listing.op_id, listing.model, listing.field, listing.path
        out: list[Any] = []
        token: Any = None
        seen: set[str] = set()
        while True:
            if limit is not None and len(out) >= limit:
                return out[:limit]
            page_max = listing.page_max
            page_size = page_max if limit is None else max(1, min(page_max, limit - len(out)))
            query = {**params, "limit": page_size}
            if token is not None:
                query["continuation_token"] = token
            if isinstance(model, Lenient):
                items, has_more, token = self._lenient_page(
                    op_id, field, model, path=path, params=query
                )
            else:
                page = self._get(op_id, model, path=path, params=query)
                items = getattr(page, field)
                has_more = bool(getattr(page, "has_more", False))
                token = getattr(page, "continuation_token", None)
            out.extend(items)
            if not has_more or token is None:
                return out if limit is None else out[:limit]
            if str(token) in seen:
                raise SDKInternalError(f"{op_id}: continuation_token {token!r} repeated")
            seen.add(str(token))

    def _list(
        self,
        op_id: str,
        model: type[pydantic.BaseModel] | Lenient,
        field: str,
        params: Mapping[str, Any],
        *,
        page_max: int,
        id_key: str = "id",
        ids: Sequence[str] = (),
        limit: int | None = None,
        id_chunk: int = ID_CHUNK,
        path: Mapping[str, str] | None = None,
    ) -> list[Any]:
        """Page through results; more than ``id_chunk`` ids -> one paged listing per chunk.

        Chunks keep URLs short (~27 bytes per repeated id); where a page holds more items than
        ``ID_CHUNK`` ids, callers pass a larger chunk so one request answers one chunk."""
        if limit is not None and limit <= 0:
            return []
        base = params_of(**params)
        listing = Listing(op_id, model, field, page_max, path)
        if not ids:
            return self._pages(listing, base, limit)
        out: list[Any] = []
        seen: set[Any] = set()
        for chunk in chunks(ids, id_chunk):
            remaining = None if limit is None else limit - len(out)
            if remaining is not None and remaining <= 0:
                break
            for item in self._pages(listing, {**base, id_key: chunk}, remaining):
                key = item_id(item)
                if key not in seen:
                    seen.add(key)
                    out.append(item)
        return out if limit is None else out[:limit]

    def _list_resource(
        self,
        listing: Listing,
        query: ListQuery,
        *,
        id_chunk: int = ID_CHUNK,
        **own: Any,
    ) -> list[Any]:
        """A simulation resource's list: the shared ``query`` and the resource's ``own``
        filters, sent in the contract's order (:func:`~pytest_amigo.api.queries.list_params`)."""
        return self._list(
            listing.op_id,
            listing.model,
            listing.field,
            list_params(query, **own),
            page_max=listing.page_max,
            ids=query.get("ids", ()),
            limit=query.get("limit"),
            id_chunk=id_chunk,
            path=listing.path,
        )
