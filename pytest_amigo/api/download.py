"""Streamed download of a presigned artifacts URL.

The presigned URL is itself the credential (its query string carries the signature), so:

* it is fetched with a plain :mod:`httpx` client, never the Amigo SDK client: the Amigo
  ``Authorization`` header must not travel to the storage provider;
* error messages show the URL without its query string or fragment;
* the body is streamed chunk by chunk to ``dest.with_suffix(".part")`` and atomically renamed
  onto ``dest`` once complete, so a partial download never looks like a finished one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
from amigo_sdk.errors import AmigoError

__all__ = ["DownloadError", "fetch_presigned", "redact_url"]

_RETRY_STATUS = frozenset({500, 502, 503, 504})


class DownloadError(AmigoError):
    """A presigned download failed (message never contains the URL's query string)."""


def redact_url(url: str) -> str:
    """``url`` without user info, query string and fragment (safe to print)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable url>"
    netloc = parts.hostname or ""
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def fetch_presigned(
    url: str,
    dest: Path,
    *,
    timeout: float = 60.0,
    chunk_size: int = 1 << 20,
    attempts: int = 3,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """Download ``url`` to ``dest`` (parents created); return ``dest``.

    Transport errors and 5xx answers are retried (``attempts`` in total, short backoff);
    any other non-2xx answer raises :class:`DownloadError` at once.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_suffix(".part")
    safe = redact_url(url)
    attempts = max(1, attempts)
    last: DownloadError | None = None
    for attempt in range(1, attempts + 1):
        try:
            _stream_once(url, part, timeout=timeout, chunk_size=chunk_size, safe=safe)
        except _Retryable as exc:
            last = DownloadError(str(exc), status_code=exc.status_code)
        except BaseException:
            _unlink(part)
            raise
        else:
            os.replace(part, dest)
            return dest
        _unlink(part)
        if attempt < attempts:
            sleep(min(4.0, 0.5 * 2 ** (attempt - 1)))
    assert last is not None
    raise last


class _Retryable(Exception):
    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


def _stream_once(url: str, part: Path, *, timeout: float, chunk_size: int, safe: str) -> None:
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=True) as client,
            client.stream("GET", url) as resp,
        ):
            if resp.status_code in _RETRY_STATUS:
                raise _Retryable(
                    f"download of {safe} failed: HTTP {resp.status_code}", resp.status_code
                )
            if not resp.is_success:
                raise DownloadError(
                    f"download of {safe} failed: HTTP {resp.status_code}"
                    + (" (the presigned URL may have expired)" if resp.status_code == 403 else ""),
                    status_code=resp.status_code,
                )
            with open(part, "wb") as fh:
                for chunk in resp.iter_bytes(chunk_size):
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
    except httpx.TransportError as exc:
        detail = str(exc).replace(url, safe)
        if "?" in detail:
            detail = detail.split("?", 1)[0]
        raise _Retryable(
            f"download of {safe} failed: {type(exc).__name__}: {detail}".rstrip(": ")
        ) from None


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
