"""Sign-in with an API key."""

from __future__ import annotations

from typing import Annotated

from amigo_sdk.generated import model as m
from fastapi import APIRouter, Header
from fastapi.responses import Response

from pytest_amigo.emulator.routes.common import V1, StoreDep, ok

router = APIRouter(prefix=V1 + "/user")


@router.post("/signin_with_api_key", response_model=m.UserSignInWithApiKeyResponse)
async def sign_in(
    organization: str,
    store: StoreDep,
    x_api_key: Annotated[str, Header()],
    x_api_key_id: Annotated[str, Header()],
    x_user_id: Annotated[str, Header()],
) -> Response:
    token, expires = store.sign_in(organization, x_api_key, x_api_key_id, x_user_id)
    return ok(m.UserSignInWithApiKeyResponse, {"id_token": token, "expires_at": expires})
