"""Bearer-token authentication for integrators: `Authorization: Bearer iecq_<prefix>_<secret>`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.utils import timezone
from rest_framework import authentication, exceptions

from .. import lockout
from ..models import ApiToken
from ..models.tokens import hash_secret
from ..principals import Principal, principal_from_token
from ..rls import crossing
from . import token_cache


@dataclass(frozen=True)
class TokenUser:
    """Stands in for `request.user` when an API token authenticates; the principal carries the rest."""

    principal: Principal
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False
    pk: None = None

    def get_username(self) -> str:
        return self.principal.label


def parse_token(raw: str) -> tuple[str, str] | None:
    parts = raw.split("_")
    if len(parts) != 3 or parts[0] != "iecq" or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme not in ("Bearer", "Token"):
            raise exceptions.AuthenticationFailed(
                "Unsupported authorization scheme: send 'Authorization: Bearer iecq_<prefix>_<secret>'.",
                code="token_malformed",
            )
        parsed = parse_token(raw.strip())
        if parsed is None:
            raise exceptions.AuthenticationFailed("Malformed API token.", code="token_malformed")
        prefix, secret = parsed
        address = lockout.client_address(request)
        # The lockout counters and the token's cached entry in one cache round trip.
        entry, generation, counters = token_cache.lookup_with(prefix, lockout.state_keys("token", prefix, address))
        lock, known_here = lockout.state("token", prefix, address, read=counters)
        if lock is not None:  # refused before the secret is compared
            raise exceptions.Throttled(
                wait=lock.retry_after, detail="Too many failed token attempts from here; try again later."
            )
        if entry is None:  # not stored, or a token, organisation or supervisory body changed since
            with crossing("identity"):
                token = (
                    ApiToken.objects_unscoped.select_related("organisation__supervisory_body")
                    .filter(prefix=prefix)
                    .first()
                )
            if token is None or not token.matches(secret):
                lockout.failed("token", prefix, address)
                raise exceptions.AuthenticationFailed("Unknown API token.", code="token_invalid")
            if token.revoked_at is not None:
                raise exceptions.AuthenticationFailed("This API token has been revoked.", code="token_revoked")
            if token.expires_at <= timezone.now():
                raise exceptions.AuthenticationFailed("This API token has expired.", code="token_expired")
            entry = token_cache.store(prefix, generation, token=token, principal=principal_from_token(token))
        elif not secrets.compare_digest(entry["secret_hash"], hash_secret(secret)):
            lockout.failed("token", prefix, address)
            raise exceptions.AuthenticationFailed("Unknown API token.", code="token_invalid")
        elif entry["expires_at"] <= timezone.now():
            raise exceptions.AuthenticationFailed("This API token has expired.", code="token_expired")
        principal = token_cache.principal_of(entry)
        now = timezone.now()
        if entry["last_used_at"] is None or (now - entry["last_used_at"]).total_seconds() > 60:
            with crossing("identity"):
                ApiToken.objects_unscoped.filter(pk=principal.token_id).update(last_used_at=now)
            token_cache.touch(prefix, entry, now)
        if not known_here:  # one cache read per request (above), one write per new place
            lockout.succeeded("token", prefix, address)
        return TokenUser(principal=principal), principal.token_id

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
