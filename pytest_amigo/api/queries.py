"""The query a simulation resource's list and search share, typed once.

A list or search method takes its resource's own filters as explicit keyword arguments and the
shared ones as ``**query: Unpack[ListQuery]`` (lists) or ``**filters: Unpack[TaggedQuery]``
(searches): mypy checks every call's keywords against these, and an unknown keyword raises
``TypeError`` as it would for an explicit signature.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

__all__ = ["ListQuery", "TaggedQuery", "list_params", "tagged_params"]


class TaggedQuery(TypedDict, total=False):
    """The filters of every simulation resource's search and list (none: no filter).

    ``creators``: ids of the users who created the objects; ``tags``: their tags."""

    creators: Sequence[str]
    tags: Sequence[str]


class ListQuery(TaggedQuery, total=False):
    """The query of every simulation resource's list, besides its own filters.

    ``ids``: only these objects (sent in chunks); ``is_deleted``: deleted or live ones only
    (``None``, the default: the server's default); ``creators``, ``tags``: as in
    :class:`TaggedQuery`; ``sort_by``: the order, as the API takes it; ``limit``: at most this
    many objects (``None``: all)."""

    ids: Sequence[str]
    is_deleted: bool | None
    sort_by: Sequence[str]
    limit: int | None


def _known(query: Mapping[str, Any], keys: frozenset[str]) -> None:
    unknown = sorted(set(query) - keys)
    if unknown:
        raise TypeError(f"got an unexpected keyword argument {unknown[0]!r}")


def tagged_params(filters: TaggedQuery) -> dict[str, Any]:
    """``creator`` and ``tag``, as a search or list sends them."""
    _known(filters, TaggedQuery.__optional_keys__)
    return {"creator": filters.get("creators", ()), "tag": filters.get("tags", ())}


def list_params(query: ListQuery, **own: Any) -> dict[str, Any]:
    """The query of a simulation resource's list, in the contract's order: ``is_deleted``, the
    resource's ``own`` filters, ``creator``, ``tag``, ``sort_by`` (``ids`` and ``limit`` go to
    the paging)."""
    _known(query, ListQuery.__optional_keys__)
    tagged = TaggedQuery(creators=query.get("creators", ()), tags=query.get("tags", ()))
    return {
        "is_deleted": query.get("is_deleted"),
        **own,
        **tagged_params(tagged),
        "sort_by": query.get("sort_by", ()),
    }
