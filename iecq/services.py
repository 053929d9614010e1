"""Writes on principals: API tokens, the active membership, two-factor sign-in."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pyotp
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import Forbidden, ValidationFailed
from .models import ApiToken, DecisionEvidence, TransitionLog, User
from .models.tokens import API_SCOPES, hash_secret
from .principals import Principal
from .roles import ROLES_BY_KIND
from .selectors import get_visible
from .tenancy import service


@service
def api_token_create(
    *, actor: Principal, name: str, role: str, scopes: list[str], expires_in_days: int = 90
) -> tuple[ApiToken, str]:
    """Create an API token for the actor's organisation; returns the token and its secret, shown only once."""
    if not actor.is_organisation_admin or actor.user_id is None:
        raise Forbidden(_("Only an organisation's administrator signed in to the portal creates API tokens."))
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Give the token a name that says who uses it.")]
    if role not in ROLES_BY_KIND[actor.kind]:
        errors["role"] = [_("This role does not exist in your organisation.")]
    bad_scopes = sorted(set(scopes) - set(API_SCOPES))
    if bad_scopes or not scopes:
        errors["scopes"] = [_("Choose one or more of: %(scopes)s.") % {"scopes": ", ".join(API_SCOPES)}]
    if not 1 <= expires_in_days <= settings.IECQ_API_TOKEN_MAX_DAYS:
        errors["expires_in_days"] = [
            _("A token lives between 1 and %(days)d days.") % {"days": settings.IECQ_API_TOKEN_MAX_DAYS}
        ]
    if errors:
        raise ValidationFailed(errors=errors)
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32).replace("_", "-")
    token = ApiToken.objects.create(
        organisation_id=actor.organisation_id,
        name=name.strip()[:100],
        role=role,
        prefix=prefix,
        secret_hash=hash_secret(secret),
        scopes=sorted(set(scopes)),
        created_by_id=actor.user_id,
        expires_at=timezone.now() + timedelta(days=expires_in_days),
    )
    return token, f"iecq_{prefix}_{secret}"


@service
def api_token_revoke(*, actor: Principal, pk: object) -> ApiToken:
    """Revoke a token of the actor's organisation; it stops working at once and is kept for the log."""
    token = get_visible(ApiToken, actor, pk, for_update=True)
    if not actor.is_organisation_admin or token.organisation_id != actor.organisation_id:
        raise Forbidden(_("Only the organisation's administrator revokes its tokens."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def totp_begin(*, user: User) -> str:
    """Give the user a new (not yet enabled) TOTP secret to enrol in an authenticator app."""
    if user.totp_enabled:
        raise ValidationFailed(errors={"code": [_("Two-factor sign-in is already on.")]})
    user.totp_secret = pyotp.random_base32()
    user.save(update_fields=["totp_secret"])
    return user.totp_secret


def totp_verify(user: User, code: str) -> bool:
    code = (code or "").strip().replace(" ", "")
    return bool(user.totp_secret) and code.isdigit() and pyotp.TOTP(user.totp_secret).verify(code, valid_window=1)


def totp_enable(*, user: User, code: str) -> None:
    """Turn two-factor sign-in on once the user proves the authenticator app shows the right code."""
    if not totp_verify(user, code):
        raise ValidationFailed(errors={"code": [_("That code is not right; check the time on your phone.")]})
    user.totp_enabled = True
    user.save(update_fields=["totp_enabled"])


def totp_disable(*, user: User, code: str) -> None:
    if not totp_verify(user, code):
        raise ValidationFailed(errors={"code": [_("That code is not right.")]})
    user.totp_enabled = False
    user.totp_secret = ""
    user.save(update_fields=["totp_enabled", "totp_secret"])


@service
def decision_evidence_attach(*, actor: Principal, decision, title: str, file) -> DecisionEvidence:
    """Attach evidence to a logged decision: whoever took it, the CB's decision makers, or the operator."""
    from .permissions import CB_DECIDERS
    from .uploads import check_upload

    log = get_visible(TransitionLog, actor, getattr(decision, "pk", decision))
    took_it = actor.user_id is not None and actor.user_id == log.actor_user_id
    cb_decider = (
        actor.is_cb and actor.certification_body_id == log.certification_body_id and actor.has_role(*CB_DECIDERS)
    )
    if not (took_it or cb_decider or actor.is_operator):
        raise Forbidden(_("Only whoever took the decision, its CB's managers or the operator add its evidence."))
    if not title.strip():
        raise ValidationFailed(errors={"title": [_("Say what the document shows.")]})
    checked = check_upload(file)
    evidence = DecisionEvidence(
        log=log,
        title=title.strip()[:200],
        storage_name=checked.storage_name,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by_label=actor.label,
    )
    evidence.file.save(checked.storage_name, file, save=False)
    evidence.save()
    return evidence
