"""The sweep's choice of what is this user's and old (pure): the server's ``creator`` and
``created_at`` decide, the client's tags only when the server leaves them out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pytest_amigo.lifecycle.sweep import stale, young

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
CUTOFF = NOW - dt.timedelta(hours=24)
OLD, RECENT = NOW - dt.timedelta(days=3), NOW - dt.timedelta(minutes=5)


def doc(
    *,
    creator: str | None = "me",
    created: dt.datetime | None = None,
    user_tag: str | None = None,
    time_tag: dt.datetime | None = None,
) -> dict[str, Any]:
    tags = [{"key": "pytest-amigo", "value": "temporary"}]
    if user_tag is not None:
        tags.append({"key": "pytest-amigo-user", "value": user_tag})
    if time_tag is not None:
        tags.append({"key": "pytest-amigo-created", "value": time_tag.isoformat()})
    found: dict[str, Any] = {"id": "u1", "is_deleted": False, "tags": tags}
    if creator is not None:
        found["creator"] = {"org_id": "acme", "user_id": creator}
    if created is not None:
        found["created_at"] = created.isoformat().replace("+00:00", "Z")
    return found


def test_the_servers_created_at_wins_over_the_time_tag() -> None:
    lying = doc(created=OLD, user_tag="me", time_tag=RECENT)
    assert stale(lying, "me", CUTOFF) and not young(lying, "me", CUTOFF)
    fresh = doc(created=RECENT, user_tag="me", time_tag=OLD)
    assert young(fresh, "me", CUTOFF) and not stale(fresh, "me", CUTOFF)


def test_the_servers_creator_wins_over_the_user_tag() -> None:
    forged = doc(creator="someone-else", created=OLD, user_tag="me", time_tag=OLD)
    assert not stale(forged, "me", CUTOFF) and not young(forged, "me", CUTOFF)


def test_an_earlier_versions_temporary_with_one_tag_is_judged_by_the_server() -> None:
    assert stale(doc(created=OLD), "me", CUTOFF)
    assert young(doc(created=RECENT), "me", CUTOFF)


def test_the_tags_count_only_when_the_server_says_nothing() -> None:
    assert stale(doc(creator=None, user_tag="me", time_tag=OLD), "me", CUTOFF)
    assert not stale(doc(creator=None, time_tag=OLD), "me", CUTOFF)  # nobody says whose
    untimed = doc(user_tag="me")  # nobody says when: never swept
    assert not stale(untimed, "me", CUTOFF) and not young(untimed, "me", CUTOFF)


def test_not_a_temporary_or_deleted_is_never_swept() -> None:
    other_tool = {**doc(created=OLD), "tags": [{"key": "team", "value": "billing"}]}
    assert not stale(other_tool, "me", CUTOFF)
    assert not stale({**doc(created=OLD), "is_deleted": True}, "me", CUTOFF)
