"""Downloads of presigned artifact URLs (the emulator's stand-in for S3; no Amigo auth)."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from pytest_amigo.emulator.artifacts_zip import build_zip
from pytest_amigo.emulator.routes.common import StoreDep, s3_error

router = APIRouter(prefix="/_presigned", include_in_schema=False)


@router.get("/{name}")
def presigned(
    request: Request, store: StoreDep, name: str, expires: int = 0, signature: str = ""
) -> Response:
    if "authorization" in request.headers:
        return s3_error(
            400,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
            "Signature query string parameter or the Authorization header should be specified",
        )
    token = name.removesuffix(".zip")
    rid = store.artifact_tokens.get(token)
    if rid is None or not signature or store.sign(token, expires) != signature:
        return s3_error(403, "SignatureDoesNotMatch", "The request signature is invalid.")
    if time.time() >= expires:
        return s3_error(403, "AccessDenied", "Request has expired")
    zips: dict[str, Path] = request.app.state.zips
    path = zips.get(rid)
    if path is None or not path.exists():
        path = build_zip(store, store.get_run(rid), request.app.state.workdir)
        zips[rid] = path
    return FileResponse(path, media_type="application/zip", filename=f"{rid}.zip")
