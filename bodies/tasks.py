"""Side effects of CB decisions, run after commit."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import send_mass_mail
from django.utils import translation
from django.utils.translation import gettext as _

from iecq.models import Membership, TransitionLog
from iecq.principals import Principal
from iecq.roles import Role
from iecq.tasks import ScopedTask

from .choices import CertificationBodyState


@shared_task(
    base=ScopedTask,
    name="bodies.tasks.certification_body_decision_notify",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def certification_body_decision_notify(*, log_id: int, principal: Principal) -> int:
    """Email the CB's administrators and certification managers about a lifecycle decision; returns mails sent."""
    log = TransitionLog.objects.select_related("certification_body").filter(pk=log_id).first()
    if log is None or log.certification_body is None:
        return 0
    recipients = (
        Membership.objects.filter(
            organisation__certification_body=log.certification_body,
            role__in=[Role.CB_ADMIN, Role.CB_CERTIFICATION_MANAGER],
            is_active=True,
            user__is_active=True,
        )
        .exclude(user__email="")
        .select_related("user")
    )
    messages = []
    for membership in recipients:
        with translation.override(membership.user.language or "en"):
            state = str(CertificationBodyState(log.target).label)
            source = str(CertificationBodyState(log.source).label)
            subject = _("IECQ decision on %(cb)s: %(state)s") % {"cb": log.object_repr, "state": state}
            body = _("The system operator recorded the decision '%(transition)s' (%(source)s → %(target)s).") % {
                "transition": log.transition,
                "source": source,
                "target": state,
            }
            if log.reason:
                body += "\n\n" + _("Reason: %(reason)s") % {"reason": log.reason}
        messages.append((subject, body, None, [membership.user.email]))
    send_mass_mail(messages, fail_silently=False)
    return len(messages)
