"""Portal pages under Settings, next to API tokens: webhooks with their delivery log, and the watchlist (PL-04)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from ..errors import DomainError, NotFound
from ..portal.views import PrincipalMixin
from ..selectors import get_visible
from . import selectors, services
from .models import WebhookDelivery, WebhookSubscription


def _types(value: str) -> list[str]:
    return [t.strip() for t in value.replace("\n", ",").split(",") if t.strip()]


class WebhookForm(forms.Form):
    target_url = forms.URLField(
        label=gettext_lazy("Target URL"),
        max_length=500,
        assume_scheme="https",
        help_text=gettext_lazy("Where events are POSTed; it must resolve to a public address."),
    )
    event_types = forms.CharField(
        label=gettext_lazy("Event types"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("Comma-separated, e.g. certificate.suspended, certificate.*; empty: every event."),
    )
    description = forms.CharField(label=gettext_lazy("Description"), required=False, max_length=200)


class WebhookEditForm(WebhookForm):
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False)


def _errors_to_form(form: forms.Form, exc: DomainError) -> None:
    if not exc.errors:
        form.add_error(None, exc.detail)
    for field, msgs in exc.errors.items():
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)


class AdminOnlyMixin(PrincipalMixin, LoginRequiredMixin):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not self.principal.is_organisation_admin:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class WebhookListView(AdminOnlyMixin, View):
    """The organisation's webhook subscriptions; a new one shows its signing secret once."""

    def get(self, request: HttpRequest, form: WebhookForm | None = None, secret: str = "") -> HttpResponse:
        context = {
            "subscriptions": selectors.subscriptions(principal=self.principal),
            "form": form or WebhookForm(),
            "secret": secret,
        }
        return render(request, "integrations/webhooks.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = WebhookForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                _s, secret = services.webhook_subscription_create(
                    actor=self.principal,
                    target_url=data["target_url"],
                    event_types=_types(data["event_types"]),
                    description=data["description"],
                )
            except DomainError as exc:
                _errors_to_form(form, exc)
            else:
                return self.get(request, secret=secret)
        return self.get(request, form=form)


class WebhookDetailView(AdminOnlyMixin, View):
    """One subscription: change it, renew its secret, and its delivery log with a replay button per delivery."""

    model = WebhookSubscription

    def _subscription(self, pk: int) -> WebhookSubscription:
        try:
            return get_visible(WebhookSubscription, self.principal, pk)
        except NotFound:
            raise Http404 from None

    def get(self, request: HttpRequest, pk: int, form: WebhookEditForm | None = None, secret: str = "") -> HttpResponse:
        subscription = self._subscription(pk)
        form = form or WebhookEditForm(
            initial={
                "target_url": subscription.target_url,
                "event_types": ", ".join(subscription.event_types),
                "description": subscription.description,
                "is_active": subscription.is_active,
            }
        )
        deliveries = selectors.deliveries(principal=self.principal).filter(subscription=subscription)[:50]
        context = {"subscription": subscription, "form": form, "deliveries": deliveries, "secret": secret}
        return render(request, "integrations/webhook_detail.html", context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._subscription(pk)
        if "rotate" in request.POST:
            try:
                _s, secret = services.webhook_subscription_rotate_secret(actor=self.principal, pk=pk)
            except NotFound:
                raise Http404 from None
            return self.get(request, pk, secret=secret)
        form = WebhookEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.webhook_subscription_update(
                    actor=self.principal,
                    pk=pk,
                    target_url=data["target_url"],
                    event_types=_types(data["event_types"]),
                    description=data["description"],
                    is_active=data["is_active"],
                )
            except NotFound:
                raise Http404 from None
            except DomainError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("The subscription is saved."))
                return redirect("integrations:webhook-detail", pk=pk)
        return self.get(request, pk, form=form)


class DeliveryReplayView(AdminOnlyMixin, View):
    """POST: send a delivery again now."""

    model = WebhookDelivery
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            delivery = get_visible(WebhookDelivery, self.principal, pk)
            services.webhook_delivery_replay(actor=self.principal, pk=pk)
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            messages.error(request, "; ".join(str(m) for msgs in exc.errors.values() for m in msgs) or exc.detail)
        else:
            messages.success(request, _("The delivery is sent again."))
        return redirect("integrations:webhook-detail", pk=delivery.subscription_id)


class WatchForm(forms.Form):
    certificate_number = forms.CharField(
        label=gettext_lazy("Certificate number"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("As the public register shows it, e.g. IECQ-AC-DE001-00001."),
    )
    manufacturer_name = forms.CharField(
        label=gettext_lazy("or manufacturer"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Its name as the public register shows it: every certificate of it is watched."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=200)


class WatchlistView(PrincipalMixin, LoginRequiredMixin, View):
    """The certificates and manufacturers the organisation depends on, and what changed about them lately."""

    def get(self, request: HttpRequest, form: WatchForm | None = None) -> HttpResponse:
        if self.principal.organisation_id is None:
            raise Http404
        context = {
            "entries": selectors.watchlist(principal=self.principal),
            "events": selectors.watch_events(principal=self.principal)[:50],
            "form": form or WatchForm(),
        }
        return render(request, "integrations/watchlist.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        if self.principal.organisation_id is None:
            raise Http404
        if "remove" in request.POST:
            try:
                services.watchlist_entry_remove(actor=self.principal, pk=request.POST["remove"])
            except NotFound:
                raise Http404 from None
            except DomainError as exc:
                messages.error(request, exc.detail)
            else:
                messages.success(request, _("No longer watched."))
            return redirect("integrations:watchlist")
        form = WatchForm(request.POST)
        if form.is_valid():
            try:
                services.watchlist_entry_add(actor=self.principal, **form.cleaned_data)
            except DomainError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("Added to the watchlist."))
                return redirect("integrations:watchlist")
        return self.get(request, form=form)
