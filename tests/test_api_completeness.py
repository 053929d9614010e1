"""PL-03: the REST API covers every resource and every transition, proven from the generated OpenAPI schema.

The test walks every concrete model of the domain apps and every django-fsm transition declared on them.
A model must have a list and a detail path served by a viewset whose `model` is that model, or be listed
below as served nested under its parent, or as legitimately not exposed (with the reason). A transition
must have a `POST {id}/<transition-name>/` endpoint on its model's viewset, or be listed as carried by
another endpoint or as never taken through the API (with the reason). A new model or transition fails
this test until it is exposed or listed here.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django_fsm import FSMFieldMixin
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator

from iecq.transitions import declared_transitions

pytestmark = pytest.mark.req("PL-03")

APPS = ("iecq", "bodies", "manufacturers", "certification", "surveillance", "sanctions", "integrations", "imports")

# Models served as a sub-collection of their parent record (GET lists them, POST adds one where allowed).
NESTED = {
    "certification.EvaluationAuditor": "/api/v1/applications/{id}/team/",
    "certification.CertificateRevision": "/api/v1/certificates/{id}/revisions/",
    "surveillance.AuditTeamMember": "/api/v1/audits/{id}/team/",
    "iecq.TransitionLog": "/api/v1/certification-bodies/{id}/history/",  # and every other resource's history/
}

# Models that are legitimately not API resources, each with the reason.
NOT_EXPOSED = {
    "iecq.User": "people sign in to the portal; the API shows them only as an organisation's memberships",
    "iecq.Notification": "in-app messages to one person; API tokens act for an organisation, not a person (PL-07)",
    "iecq.Reminder": "internal exactly-once ledger of the deadline sweep (SC-02), not a record anybody acts on",
    "iecq.EmailOutbox": "internal outbox rows of mail sent after commit; their content reaches people as email",
    "iecq.IdempotencyKey": "internal store of replayable POST responses (docs/api.md, Idempotency-Key)",
    "certification.CertificateNumberSequence": "internal counter that numbers certificates",
    "certification.RegisterPage": "stored anonymous verification page; its API is the register's signed answer",
    "certification.RegisterEntry": "public entry kept ready for verification; its API is the signed answer",
    "sanctions.NoticeSequence": "internal counter that numbers bulletin notices",
    "integrations.WebhookAttempt": "each delivery's attempts are embedded in /api/v1/webhook-deliveries/{id}/",
    "manufacturers.SiteListing": "a CB's client directory, kept by database triggers; /api/v1/sites/ reads it",
    "manufacturers.ContactListing": "a CB's client directory, kept by database triggers; /api/v1/contacts/ reads it",
}

# Transitions carried by an endpoint with another name (it takes the body the transition needs).
TRANSITION_VIA = {
    ("surveillance.ProductSample", "record_pass"): "/api/v1/samples/{id}/result/",
    ("surveillance.ProductSample", "record_fail"): "/api/v1/samples/{id}/result/",
    ("surveillance.Nonconformity", "submit_action"): "/api/v1/nonconformities/{id}/respond/",
    ("sanctions.CorrectiveActionRequest", "respond_late"): "/api/v1/cars/{id}/respond/",
}

# Transitions nobody takes through the API, each with the reason.
NOT_A_CALL = {
    ("bodies.CertificationBody", "lapse"): "the deadline sweep lapses an approval that was not renewed (CB-09)",
    ("bodies.CertificationBody", "restore_on_appeal"): "taken only by an upheld appeal (SA-04)",
    ("certification.Application", "reopen_on_appeal"): "taken only by an upheld appeal (SA-04)",
    ("certification.Certificate", "expire"): "the deadline sweep expires a certificate not recertified (SV-06)",
    ("certification.CertificatePdfBatch", "start"): "the Celery task starts the job it was given",
    ("certification.CertificatePdfBatch", "finish"): "the Celery task finishes the job when the zip is stored",
    ("certification.CertificatePdfBatch", "fail"): "the Celery task fails a job it cannot finish",
    ("certification.CertificatePdfBatch", "expire"): "the daily clean-up expires a zip kept its retention period",
    ("certification.Certificate", "restore_on_appeal"): "taken only by an upheld appeal (SA-04)",
    ("sanctions.CorrectiveActionRequest", "escalate"): "the deadline sweep escalates an overdue CAR (SA-01)",
    **{
        ("imports.ImportJob", name): "the import task moves its own job; integrators upload and poll it"
        for name in ("start_validation", "start_import", "finish", "reject", "fail")
    },
}


def label(model) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def domain_models():
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            if not (model._meta.abstract or model._meta.proxy):
                yield model


def has_fsm(model) -> bool:
    return any(isinstance(f, FSMFieldMixin) for f in model._meta.concrete_fields)


@pytest.fixture(scope="module")
def api():
    """The generated schema's paths, and which model's viewset serves each path and method."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    served: dict[str, set[tuple[str, str]]] = {}
    for path, _pattern, method, view in EndpointEnumerator().get_api_endpoints():
        model = getattr(getattr(view, "cls", None), "model", None)
        if model is not None:
            # the enumerator names the id `{pk}`, the schema `{id}`
            served.setdefault(label(model), set()).add((method, path.replace("{pk}", "{id}")))
    return schema["paths"], served


def test_every_model_has_a_list_and_a_detail_path(api):
    paths, served = api
    missing = []
    for model in domain_models():
        name = label(model)
        if name in NOT_EXPOSED:
            continue
        if name in NESTED:
            if "get" not in paths.get(NESTED[name], {}):
                missing.append(f"{name}: nested path {NESTED[name]} is not in the schema")
            continue
        own = served.get(name, set())
        lists = [p for m, p in own if m == "GET" and p in paths and "{" not in p]
        details = [p for m, p in own if m == "GET" and p in paths and p.endswith("/{id}/")]
        if not lists or not details:
            missing.append(f"{name}: list {'ok' if lists else 'MISSING'}, detail {'ok' if details else 'MISSING'}")
    assert missing == [], "Models without API paths (expose them or list them with a reason):\n" + "\n".join(missing)


def test_every_transition_has_an_endpoint(api):
    paths, served = api
    missing = []
    for model in domain_models():
        if not has_fsm(model):
            continue
        name = label(model)
        own = {p for m, p in served.get(name, set()) if m == "POST"}
        for transition in declared_transitions(model):
            key = (name, transition)
            if key in NOT_A_CALL:
                continue
            if key in TRANSITION_VIA:
                if "post" not in paths.get(TRANSITION_VIA[key], {}):
                    missing.append(f"{name}.{transition}: {TRANSITION_VIA[key]} is not in the schema")
                continue
            suffix = "/{id}/" + transition.replace("_", "-") + "/"
            if not any(p.endswith(suffix) and "post" in paths.get(p, {}) for p in own):
                missing.append(f"{name}.{transition}: no POST …{suffix}")
    assert missing == [], "Transitions without an endpoint:\n" + "\n".join(missing)


def test_allow_lists_name_only_what_exists():
    """A stale entry would hide a future gap under an old name."""
    names = {label(m) for m in domain_models()}
    assert set(NOT_EXPOSED) | set(NESTED) <= names
    for model_name, transition in {*TRANSITION_VIA, *NOT_A_CALL}:
        assert transition in declared_transitions(apps.get_model(model_name)), (model_name, transition)
    assert not set(NOT_EXPOSED) & set(NESTED)
    assert not set(TRANSITION_VIA) & set(NOT_A_CALL)
