"""A directory of JSON documents shared by every process of one pytest session.

Under pytest-xdist the controller creates the directory and hands it to the workers; without
xdist the single process owns it. Writers hold a ``filelock`` lock; every write is atomic (write
to a temporary file, then rename), so readers never see half a document. Readers keep the last
parsed version and only re-read when the file changed.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from pytest_amigo.lifecycle.state_files import TOKEN


class SharedState:
    def __init__(self, root: Path) -> None:
        self.root = root  # created on the first write, private to this user (0700)
        self._cache: dict[str, tuple[tuple[int, int], Any]] = {}

    def _ensure(self) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        return self.root / name

    @contextmanager
    def locked(self, name: str, *, timeout: float = -1) -> Iterator[bool]:
        """Hold the lock ``name``; yields False instead of waiting when ``timeout`` is 0."""
        self._ensure()
        lock = FileLock(str(self.path(name + ".lock")))
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            yield False
            return
        try:
            yield True
        finally:
            lock.release()

    def read(self, name: str, default: Any = None, *, fresh: bool = False) -> Any:
        """The document ``name`` (``default`` if absent); ``fresh`` skips the parsed copy."""
        if fresh:
            self._cache.pop(name, None)
        path = self.path(name)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return default
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(name)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
        self._cache[name] = (stamp, data)
        return data

    def write(self, name: str, data: Any) -> None:
        self._ensure()
        path = self.path(name)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                # dumps, not dump: dump streams through the pure-Python encoder (10x slower on
                # the definitions of 100 sets x 100 unit tests)
                handle.write(json.dumps(data, separators=(",", ":")))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)  # a failed write leaves nothing behind
            raise

    def update(self, name: str, change: Callable[[Any], Any], default: Any = None) -> Any:
        """Read-modify-write ``name`` under its lock; returns the new value."""
        with self.locked(name):
            value = change(self.read(name, default, fresh=True))
            self.write(name, value)
            return value


class SharedTokenCache:
    """The session's Amigo id token, shared by its processes (sign-in allows 5 a minute).

    One JSON document: the token (``id_token``, ``expires_at``, ``obtained_at``: when it was
    obtained, which gives its life and so when to refresh it) and ``sign_ins``, the epoch times
    of the session's recent sign-ins by any process, so the sign-in budget is paced across
    processes. Lives in the session's private state directory (created 0700 by ``mkdtemp``),
    written 0600, removed with the directory at the end of the session.
    """

    HISTORY = 120.0
    """Seconds of sign-in history kept (two rate-limit windows)."""

    def __init__(self, state: SharedState, name: str = TOKEN) -> None:
        self.state = state
        self.name = name

    def hold(self, timeout: float = -1) -> AbstractContextManager[bool]:
        """The cache's lock; with ``timeout=0`` yields False instead of waiting."""
        return self.state.locked(self.name, timeout=timeout)

    def _document(self) -> dict[str, Any]:
        try:
            data = self.state.read(self.name, fresh=True)
        except ValueError:  # unreadable: as if absent
            return {}
        return data if isinstance(data, dict) else {}

    def load(self) -> Any:
        """The cached token (a ``SessionToken``), or None."""
        from pytest_amigo.api.tokens import SessionToken

        data = self._document()
        if not data.get("id_token"):
            return None
        try:
            return SessionToken.model_validate(data)
        except ValueError:
            return None

    def sign_ins(self) -> list[float]:
        """Epoch times of the session's recent sign-ins (every process)."""
        values = self._document().get("sign_ins")
        if not isinstance(values, list):
            return []
        return [float(v) for v in values if isinstance(v, int | float)]

    def store(self, token: Any) -> None:
        """Store a freshly obtained token (call under :meth:`hold`); records the sign-in."""
        obtained = getattr(token, "obtained_at", None)
        when = obtained.timestamp() if obtained is not None else time.time()
        history = [t for t in self.sign_ins() if t > when - self.HISTORY]
        data = {**token.model_dump(mode="json"), "sign_ins": [*history, when]}
        self.state._ensure()
        path = self.state.path(self.name)
        fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(path.with_suffix(".tmp"), path)
