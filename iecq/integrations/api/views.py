"""The event feed, webhook subscriptions and their delivery log, and watchlists (PL-03, PL-04).

Reads go through the visibility rule (ScopedViewSet), writes through integrations.services.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from ...api.viewsets import PROBLEM_RESPONSES, ScopedViewSet, ServiceWriteMixin, validated_body
from .. import selectors, services
from ..filters import EventFilter, WebhookDeliveryFilter
from ..models import Event, WatchlistEntry, WebhookDelivery, WebhookSubscription
from .serializers import (
    EventSerializer,
    WatchlistEntrySerializer,
    WatchlistEntryWriteSerializer,
    WebhookDeliverySerializer,
    WebhookSubscriptionCreatedSerializer,
    WebhookSubscriptionSerializer,
    WebhookSubscriptionWriteSerializer,
)


class AfterIdPagination(BasePagination):
    """The feed's pages: events in id order after `after`; `next` carries the last id of a full page."""

    default_limit = 100
    max_limit = 500

    def paginate_queryset(self, queryset, request: Request, view=None) -> list:
        raw = request.query_params.get("limit", "")
        try:
            limit = min(max(int(raw), 1), self.max_limit) if raw else self.default_limit
        except ValueError:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"limit": [f"A whole number from 1 to {self.max_limit}."]}) from None
        self.request = request
        self.page = list(queryset[:limit])
        self.full = len(self.page) == limit
        return self.page

    def get_paginated_response(self, data) -> Response:
        next_url = None
        if self.full and self.page:
            next_url = replace_query_param(self.request.build_absolute_uri(), "after", self.page[-1].pk)
        return Response({"next": next_url, "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page (after this page's last id), or null when you have caught up.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        return [
            {
                "name": "limit",
                "required": False,
                "in": "query",
                "description": f"Events per page (1 to {self.max_limit}, default {self.default_limit}).",
                "schema": {"type": "integer"},
            }
        ]


@extend_schema_view(
    list=extend_schema(
        summary="The event feed: what happened to the records you may see, in id order",
        description=(
            "Poll with `after=<the last id you processed>` to follow every change; replaying from `after=0` "
            "rebuilds the current state of every record you may see. Watchlist events (type "
            "`watchlist.certificate_changed`) carry only public register fields."
        ),
    ),
    retrieve=extend_schema(summary="One event", responses={200: EventSerializer, **PROBLEM_RESPONSES}),
)
class EventViewSet(ScopedViewSet):
    """The append-only event feed (PL-04), filtered by the visibility rule."""

    model = Event
    serializer_class = EventSerializer
    scope_area = "integrations"
    filterset_class = EventFilter
    pagination_class = AfterIdPagination

    def get_queryset(self) -> models.QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Event._base_manager.none()
        return selectors.event_feed(principal=self.principal)


@extend_schema_view(
    list=extend_schema(summary="Your organisation's webhook subscriptions"),
    retrieve=extend_schema(
        summary="A webhook subscription", responses={200: WebhookSubscriptionSerializer, **PROBLEM_RESPONSES}
    ),
    partial_update=extend_schema(
        summary="Change a subscription (URL, event types, description, active)",
        request=WebhookSubscriptionWriteSerializer,
        responses={200: WebhookSubscriptionSerializer, **PROBLEM_RESPONSES},
    ),
)
class WebhookSubscriptionViewSet(ServiceWriteMixin, ScopedViewSet):
    """Where the organisation's events are POSTed, signed per Standard Webhooks; administrators manage them."""

    model = WebhookSubscription
    serializer_class = WebhookSubscriptionSerializer
    write_serializer_class = WebhookSubscriptionWriteSerializer
    scope_area = "integrations"
    http_method_names = ["get", "post", "patch", "head", "options"]
    create_service = services.webhook_subscription_create  # routes POST; `create` below shows the secret once
    update_service = services.webhook_subscription_update

    def get_queryset(self) -> models.QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return WebhookSubscription._base_manager.none()
        return selectors.subscriptions(principal=self.principal)

    @extend_schema(
        summary="Subscribe (the signing secret is in this response only)",
        request=WebhookSubscriptionWriteSerializer,
        responses={201: WebhookSubscriptionCreatedSerializer, **PROBLEM_RESPONSES},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated_body(WebhookSubscriptionWriteSerializer, request, self.get_serializer_context())
        data.pop("is_active", None)
        subscription, secret = services.webhook_subscription_create(actor=self.principal, **data)
        body = WebhookSubscriptionCreatedSerializer(subscription).data | {"secret": secret}
        return Response(body, status=201)

    @extend_schema(
        summary="Renew the signing secret (the new one is in this response only)",
        request=None,
        responses={200: WebhookSubscriptionCreatedSerializer, **PROBLEM_RESPONSES},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        self.get_object()
        subscription, secret = services.webhook_subscription_rotate_secret(actor=self.principal, pk=pk)
        return Response(WebhookSubscriptionCreatedSerializer(subscription).data | {"secret": secret})


@extend_schema_view(
    list=extend_schema(summary="The delivery log of your webhooks, newest first"),
    retrieve=extend_schema(
        summary="A delivery and its attempts", responses={200: WebhookDeliverySerializer, **PROBLEM_RESPONSES}
    ),
)
class WebhookDeliveryViewSet(ScopedViewSet):
    """Every event sent (or to be sent) to a subscription: attempts, status codes, errors, durations."""

    model = WebhookDelivery
    serializer_class = WebhookDeliverySerializer
    scope_area = "integrations"
    filterset_class = WebhookDeliveryFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> models.QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery._base_manager.none()
        return selectors.deliveries(principal=self.principal)

    @extend_schema(
        summary="Send a delivery again now (same webhook-id)",
        request=None,
        responses={200: WebhookDeliverySerializer, **PROBLEM_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        self.get_object()
        services.webhook_delivery_replay(actor=self.principal, pk=pk)
        return Response(self.get_serializer(self.get_object()).data)


@extend_schema_view(
    list=extend_schema(summary="Your organisation's watchlist"),
    retrieve=extend_schema(summary="A watchlist entry", responses={200: WatchlistEntrySerializer, **PROBLEM_RESPONSES}),
    destroy=extend_schema(summary="Stop watching", responses={204: None, **PROBLEM_RESPONSES}),
)
class WatchlistEntryViewSet(ScopedViewSet):
    """Certificates (by number) and manufacturers (by name) on the public register the organisation depends on;
    their changes arrive as `watchlist.certificate_changed` events and webhooks, with public fields only."""

    model = WatchlistEntry
    serializer_class = WatchlistEntrySerializer
    scope_area = "integrations"
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self) -> models.QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return WatchlistEntry._base_manager.none()
        return selectors.watchlist(principal=self.principal)

    @extend_schema(
        summary="Watch a certificate (by number) or a manufacturer (by name) on the public register",
        request=WatchlistEntryWriteSerializer,
        responses={201: WatchlistEntrySerializer, **PROBLEM_RESPONSES},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated_body(WatchlistEntryWriteSerializer, request, self.get_serializer_context())
        entry = services.watchlist_entry_add(actor=self.principal, **data)
        return Response(WatchlistEntrySerializer(entry).data, status=201)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        self.get_object()
        services.watchlist_entry_remove(actor=self.principal, pk=pk)
        return Response(status=204)
