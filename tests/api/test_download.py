"""fetch_presigned against a tiny local HTTP server."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pytest_amigo.api.download import DownloadError, fetch_presigned, redact_url

BODY = hashlib.sha256(b"seed").digest() * (3 * (1 << 20) // 32 + 7)  # ~3 MiB, not chunk-aligned


class _Handler(BaseHTTPRequestHandler):
    seen_headers: list[dict[str, str]] = []  # noqa: RUF012
    fail_first: list[int] = []  # noqa: RUF012

    def do_GET(self) -> None:
        type(self).seen_headers.append({k.lower(): v for k, v in self.headers.items()})
        if self.path.startswith("/missing"):
            self.send_response(403)
            self.end_headers()
            self.wfile.write(b"<Error>AccessDenied</Error>")
            return
        if self.path.startswith("/flaky") and type(self).fail_first:
            type(self).fail_first.pop()
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        view = memoryview(BODY)
        for i in range(0, len(BODY), 64 * 1024):
            self.wfile.write(view[i : i + 64 * 1024])

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.seen_headers = []
    _Handler.fail_first = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_streams_to_file_without_authorization(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "deep" / "dir" / "artifacts.zip"
    url = f"{server}/bucket/run.zip?X-Amz-Signature=topsecret&X-Amz-Credential=abc"
    out = fetch_presigned(url, dest, chunk_size=100_000)
    assert out == dest
    assert dest.read_bytes() == BODY
    assert not dest.with_suffix(".part").exists()
    assert list(dest.parent.iterdir()) == [dest]
    assert _Handler.seen_headers
    assert all("authorization" not in h for h in _Handler.seen_headers)


def test_http_error_message_hides_query_string(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "a.zip"
    url = f"{server}/missing/run.zip?X-Amz-Signature=topsecret"
    with pytest.raises(DownloadError) as info:
        fetch_presigned(url, dest)
    message = str(info.value)
    assert "403" in message
    assert "/missing/run.zip" in message
    assert "topsecret" not in message and "X-Amz" not in message
    assert info.value.status_code == 403
    assert not dest.exists() and not dest.with_suffix(".part").exists()


def test_retries_5xx_then_succeeds(server: str, tmp_path: Path) -> None:
    _Handler.fail_first = [1]
    sleeps: list[float] = []
    dest = fetch_presigned(f"{server}/flaky?sig=x", tmp_path / "f.zip", sleep=sleeps.append)
    assert dest.read_bytes() == BODY
    assert len(sleeps) == 1


def test_transport_error_is_retried_and_redacted(tmp_path: Path) -> None:
    sleeps: list[float] = []
    url = "http://127.0.0.1:9/x.zip?X-Amz-Signature=topsecret"  # discard port: refused
    with pytest.raises(DownloadError) as info:
        fetch_presigned(url, tmp_path / "x.zip", timeout=2.0, attempts=3, sleep=sleeps.append)
    assert "topsecret" not in str(info.value)
    assert len(sleeps) == 2
    assert not (tmp_path / "x.part").exists()


def test_redact_url() -> None:
    assert (
        redact_url("https://u:p@h.example:8443/a/b.zip?sig=1#f") == "https://h.example:8443/a/b.zip"
    )
