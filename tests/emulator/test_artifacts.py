"""Artifacts: presigned URL behaviour (no Authorization, expiry) and the zip layout."""

from __future__ import annotations

import io
import json
import time
import zipfile
from urllib.parse import urlsplit

import httpx

from pytest_amigo.emulator import Emulator, World
from support.emulator import Api, set_id, unit_test_id


def _artifact_url(api: Api, emu: Emulator, world: World, set_name: str) -> tuple[str, str]:
    run_id = api.start(set_id(world, set_name))
    emu.advance(1000)
    resp = api.get(f"/simulation/unit_test_set_run/{run_id}/artifacts/")
    assert resp.status_code == 200, resp.text
    url: str = resp.json()["presigned_url"]
    return run_id, url


def test_zip_layout(api: Api, emu: Emulator, world: World) -> None:
    run_id, url = _artifact_url(api, emu, world, "Main")
    assert urlsplit(url).netloc == urlsplit(emu.base_url).netloc
    resp = httpx.get(url)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(resp.content))
    names = set(zf.namelist())
    mixed, slow = unit_test_id(world, "Mixed"), unit_test_id(world, "Slow")
    expected = {"run.json", "manifest.json", "tool_invocations.json"}
    for uid, count in ((mixed, 3), (slow, 1)):
        for k in range(count):
            expected |= {
                f"unit_tests/{uid}/session-{k}/transcript.json",
                f"unit_tests/{uid}/session-{k}/evaluations.json",
            }
    assert names == expected
    manifest = json.loads(zf.read("manifest.json"))
    assert set(manifest["files"]) == expected
    assert manifest["simulation_unit_test_set_run_id"] == run_id
    run = json.loads(zf.read("run.json"))
    assert run == api.run(run_id)
    transcript = json.loads(zf.read(f"unit_tests/{mixed}/session-0/transcript.json"))
    assert transcript["messages"] and transcript["run_index"] == 0
    assert "Busy parent" in transcript["messages"][0]["message"]
    errored = json.loads(zf.read(f"unit_tests/{mixed}/session-2/evaluations.json"))
    assert errored == []
    evaluations = json.loads(zf.read(f"unit_tests/{mixed}/session-1/evaluations.json"))
    assert len(evaluations) == 3
    refs = {m["id"] for m in transcript["messages"]}
    first = json.loads(zf.read(f"unit_tests/{mixed}/session-0/evaluations.json"))
    assert set(first[0]["source"]["references"]) == refs
    assert len(json.loads(zf.read("tool_invocations.json"))) == 2


def test_presigned_url_rejects_authorization_and_bad_signatures(
    api: Api, emu: Emulator, world: World
) -> None:
    _, url = _artifact_url(api, emu, world, "Quick")
    resp = httpx.get(url, headers={"Authorization": f"Bearer {api.token}"})
    assert resp.status_code == 400
    assert b"InvalidArgument" in resp.content
    tampered = url.replace("signature=", "signature=0")
    assert httpx.get(tampered).status_code == 403
    assert httpx.get(url).status_code == 200


def test_presigned_url_expires_and_padding(world: World) -> None:
    # The URL is valid until ceil(now + ttl): at least ttl seconds for the first download to
    # reach the emulator on a loaded machine, at most ttl + 1 before the second.
    ttl = 3
    with Emulator(world, artifact_url_ttl=ttl, artifact_padding_bytes=3_000_000) as emu:
        caller = Api(emu, None)
        run_id = caller.start(set_id(world, "Quick"))
        emu.advance(100)
        body = caller.get(f"/simulation/unit_test_set_run/{run_id}/artifacts/").json()
        with httpx.stream("GET", body["presigned_url"]) as resp:
            assert resp.status_code == 200
            data = b"".join(resp.iter_bytes())
        zf = zipfile.ZipFile(io.BytesIO(data))
        info = zf.getinfo("padding.bin")
        assert info.file_size == 3_000_000 and info.compress_type == zipfile.ZIP_STORED
        assert "padding.bin" in json.loads(zf.read("manifest.json"))["files"]
        time.sleep(ttl + 1.05)
        expired = httpx.get(body["presigned_url"])
        assert expired.status_code == 403
        assert b"expired" in expired.content
