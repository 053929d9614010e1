"""The person's notifications (PL-07) and the calendar feed of their deadlines."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import calendar
from ..models import Membership, Notification, User
from ..principals import principal_from_membership
from ..rls import crossing


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """Everything the platform told this person, newest first; unread ones highlighted."""
    items = Notification.objects.filter(recipient=request.user).order_by("-created_at")[:200]
    feed_url = None
    if request.user.calendar_token:
        feed_url = request.build_absolute_uri(f"/calendar.ics?token={request.user.calendar_token}")
    return render(
        request, "portal/notifications.html", {"items": items, "feed_url": feed_url, "title": _("Notifications")}
    )


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (`id`) or all of them read."""
    mine = Notification.objects.filter(recipient=request.user, read_at__isnull=True)
    if request.POST.get("id"):
        if (
            not request.POST["id"].isdigit()
            or not Notification.objects.filter(recipient=request.user, pk=request.POST["id"]).exists()
        ):
            raise Http404
        mine = mine.filter(pk=request.POST["id"])
    mine.update(read_at=timezone.now())
    return redirect("portal:notifications")


@login_required
@require_POST
def calendar_token_renew(request: HttpRequest) -> HttpResponse:
    """A new secret address for the calendar feed; the old one stops working."""
    User.objects.filter(pk=request.user.pk).update(calendar_token=secrets.token_urlsafe(32))
    messages.success(request, _("Your calendar address is new; subscribe again with it."))
    return redirect("portal:notifications")


@require_GET
def calendar_feed(request: HttpRequest) -> HttpResponse:
    """The iCalendar feed of the person whose secret token is in the address (calendar apps cannot sign in)."""
    token = request.GET.get("token", "")
    if len(token) < 20:
        raise Http404
    user = User.objects.filter(calendar_token=token, is_active=True).first()
    with crossing("identity"):
        membership = (
            Membership.objects_unscoped.select_related("organisation__supervisory_body", "user")
            .filter(user=user, is_active=True)
            .order_by("organisation__name")
            .first()
            if user
            else None
        )
    if membership is None:
        raise Http404
    body = calendar.render(principal_from_membership(membership), base_url=settings.IECQ_PUBLIC_BASE_URL)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="iecq-deadlines.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
