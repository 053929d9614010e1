"""Reference data, maintained by the system operator: accreditation bodies, technologies, schemes, PT rounds."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils.translation import gettext as _

from iecq.errors import NotFound, ValidationFailed
from iecq.principals import Principal
from iecq.tenancy import service

from ..models import AccreditationBody, ProficiencyRound, Scheme, Technology
from .common import apply_changes, require_operator


def _unique(model: type[models.Model], field: str, value: str, exclude_pk: int | None = None) -> None:
    qs = model._default_manager.filter(**{f"{field}__iexact": value.strip()})
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationFailed(errors={field: [_("This value is already used.")]})


def _get(model: type[models.Model], pk: object) -> models.Model:
    try:
        return model._default_manager.select_for_update().get(pk=int(pk))
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _create(model: type[models.Model], unique_fields: tuple[str, ...], actor: Principal, data: dict) -> models.Model:
    require_operator(actor, _("Reference data is maintained by the system operator."))
    for field in unique_fields:
        _unique(model, field, data[field])
    return model._default_manager.create(**{k: v.strip() if isinstance(v, str) else v for k, v in data.items()})


def _update(
    model: type[models.Model],
    unique_fields: tuple[str, ...],
    actor: Principal,
    pk: object,
    changes: dict,
    allowed: tuple[str, ...],
) -> models.Model:
    require_operator(actor, _("Reference data is maintained by the system operator."))
    obj = _get(model, pk)
    apply_changes(obj, changes, allowed)
    for field in unique_fields:
        if field in changes:
            _unique(model, field, getattr(obj, field), exclude_pk=obj.pk)
    obj.save()
    return obj


AB_FIELDS = (
    "name",
    "acronym",
    "country",
    "iaf_mla_signatory",
    "iaf_mla_product_certification",
    "iaf_mla_scope",
    "iaf_mla_since",
    "iaf_mla_until",
    "website",
)


def _check_mla_dates(since: date | None, until: date | None) -> None:
    if since and until and until < since:
        raise ValidationFailed(errors={"iaf_mla_until": [_("The end date comes before the start date.")]})


@service
def accreditation_body_create(*, actor: Principal, **data) -> AccreditationBody:
    """Add a national accreditation body and its IAF MLA status (CB-01)."""
    _check_mla_dates(data.get("iaf_mla_since"), data.get("iaf_mla_until"))
    return _create(AccreditationBody, ("name", "acronym"), actor, data)


@service
def accreditation_body_update(*, actor: Principal, pk: object, **changes) -> AccreditationBody:
    """Change an accreditation body's MLA status, e.g. when its signatory status ends."""
    body = _update(AccreditationBody, ("name", "acronym"), actor, pk, changes, AB_FIELDS)
    _check_mla_dates(body.iaf_mla_since, body.iaf_mla_until)
    return body


@service
def technology_create(*, actor: Principal, code: str, name: str, description: str = "") -> Technology:
    """Add a component technology."""
    return _create(Technology, ("code", "name"), actor, {"code": code, "name": name, "description": description})


@service
def technology_update(*, actor: Principal, pk: object, **changes) -> Technology:
    return _update(Technology, ("code", "name"), actor, pk, changes, ("code", "name", "description"))


@service
def scheme_create(*, actor: Principal, code: str, name: str, document_reference: str, edition: str) -> Scheme:
    """Add an IECQ scheme with its defining document and edition."""
    return _create(
        Scheme,
        ("code", "name"),
        actor,
        {"code": code, "name": name, "document_reference": document_reference, "edition": edition},
    )


@service
def scheme_update(*, actor: Principal, pk: object, **changes) -> Scheme:
    """Record a new edition of a scheme's document, for example."""
    return _update(Scheme, ("code", "name"), actor, pk, changes, ("code", "name", "document_reference", "edition"))


@service
def proficiency_round_create(
    *, actor: Principal, provider: str, code: str, title: str, held_on: date, technology: Technology | None = None
) -> ProficiencyRound:
    """Announce a proficiency-testing round in which laboratories then report results (CB-05)."""
    return _create(
        ProficiencyRound,
        ("code",),
        actor,
        {"provider": provider, "code": code, "title": title, "held_on": held_on, "technology": technology},
    )
