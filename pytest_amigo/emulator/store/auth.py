"""Sign-in tokens, the signed-in user and permissions."""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import UTC, datetime

from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.errors import Forbidden, NotFound, Unauthorized
from pytest_amigo.emulator.store.clock import iso
from pytest_amigo.emulator.store.state import StoreState, Token


class Auth(StoreState):
    """API keys to tokens, tokens to users, users to permissions."""

    def sign_in(self, org: str, api_key: str, api_key_id: str, user_id: str) -> tuple[str, str]:
        if org != self.org:
            raise NotFound("Organization not found.")
        user = self.users.get(api_key_id)
        if (
            user is None
            or not hmac.compare_digest(user.api_key, api_key)
            or user.user_id != user_id
        ):
            raise Unauthorized(
                "API key not found, is incorrect, or the requested user is not found."
            )
        token = secrets.token_urlsafe(32)
        expires = time.time() + self.options.token_ttl
        with self.lock:
            self.tokens[token] = Token(user, expires)
        return token, iso(datetime.fromtimestamp(expires, UTC))

    def authenticate(self, token: str) -> w.User:
        found = self.tokens.get(token)
        if found is None:
            raise Unauthorized("Invalid authorization token.")
        if time.time() >= found.expires_at:
            raise Unauthorized("The authorization token has expired.")
        return found.user

    def user_for(self, token: str, organization: str) -> w.User:
        """The signed-in user of ``token`` on the path's organization."""
        user = self.authenticate(token)
        if organization != self.org:
            raise NotFound("Organization not found.")
        return user

    @staticmethod
    def require(user: w.User, permission: str) -> None:
        if permission in user.denied_permissions:
            raise Forbidden(
                f"The user is missing permission {permission} to perform this operation."
            )
