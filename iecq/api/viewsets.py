"""Base API viewsets: querysets only through the visibility rule, writes only through services,
and one POST action per state-machine transition."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections, models
from django.db.models import OuterRef
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from ..log import history_of
from ..principals import PUBLIC, Principal
from ..selectors import get_visible, visible
from ..tenancy import scope_enter, scope_exit
from ..transitions import declared_transitions
from .fields import listed_attr
from .idempotency import IdempotentPostMixin
from .serializers import (
    ProblemSerializer,
    TransitionLogEntrySerializer,
    TransitionRequestSerializer,
    introspected_once,
    related_columns,
)

PROBLEM_RESPONSES = {
    400: OpenApiResponse(ProblemSerializer, description="Invalid input (problem details)."),
    401: OpenApiResponse(ProblemSerializer, description="Missing, malformed, expired or revoked token."),
    403: OpenApiResponse(ProblemSerializer, description="The role or the token's scopes do not allow this."),
    404: OpenApiResponse(ProblemSerializer, description="No such record, or not visible to you."),
}
TRANSITION_RESPONSES = {**PROBLEM_RESPONSES, 409: OpenApiResponse(ProblemSerializer, description="Not allowed now.")}


class RequestTooLarge(APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class PrincipalScopedAPIView(IdempotentPostMixin):
    """Opens the authenticated principal's scope for the whole request (token or session); every POST honours
    an `Idempotency-Key` header (iecq.api.idempotency)."""

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)
        user = request.user
        principal: Principal
        if getattr(user, "principal", None) is not None:
            principal = user.principal
        elif user is not None and getattr(user, "is_authenticated", False):
            principal = getattr(request._request, "principal", PUBLIC)
        else:
            principal = PUBLIC
        request.principal = principal
        request._request.principal = principal
        self._scope_token = scope_enter(principal)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        size = request.META.get("CONTENT_LENGTH") or "0"
        limit = max(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.IECQ_EVIDENCE_MAX_BYTES + 64 * 1024)
        if not size.isdigit() or int(size) > (
            limit if request.content_type.startswith("multipart/") else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        ):
            raise RequestTooLarge()
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        token = getattr(self, "_scope_token", None)
        if token is not None:
            scope_exit(token)
            self._scope_token = None
        return super().finalize_response(request, response, *args, **kwargs)


class ScopedViewSet(PrincipalScopedAPIView, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Read side of every resource. Subclasses set `model`, `serializer_class`, `scope_area`.

    Writes: set `create_service` / `update_service` (called with `actor=` and the validated data) and
    `transition_services` (transition name → service called with `actor=`, `pk=`, `reason=`).
    """

    model: ClassVar[type[models.Model]]
    scope_area: ClassVar[str]
    list_select_related: ClassVar[tuple[str, ...]] = ()
    transition_services: ClassVar[dict[str, Callable[..., models.Model]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls.transition_services:
            if name not in cls.__dict__:
                setattr(cls, name, _transition_action(cls, name))

    @property
    def principal(self) -> Principal:
        return self.request.principal

    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> models.QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request principal
            return self.model._base_manager.none()
        qs = visible(self.model, self.principal)
        if self.list_select_related:
            qs = qs.select_related(*self.list_select_related)
            if self.action == "list":  # of each related row, only the columns the list prints
                columns = related_columns(self.get_serializer_class(), self.model, self.list_select_related)
                if columns:
                    qs = qs.only(*columns)
        return qs

    def get_serializer_class(self):
        serializer_class = super().get_serializer_class()
        if self.action != "list" or getattr(self, "swagger_fake_view", False):
            return serializer_class
        return introspected_once(serializer_class)  # a page of rows: the model's fields read once per class

    def get_object(self) -> models.Model:
        obj = get_visible(self.model, self.principal, self.kwargs[self.lookup_field])
        self.check_object_permissions(self.request, obj)
        return obj


def _transition_action(cls: type[ScopedViewSet], name: str) -> Callable[..., Response]:
    info = declared_transitions(cls.model).get(name)
    summary = f"{info.label if info else name} ({cls.model._meta.verbose_name})"

    def perform(self: ScopedViewSet, request: Request, pk: str | None = None) -> Response:
        body = TransitionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        service = type(self).transition_services[name]
        obj = service(actor=self.principal, pk=pk, reason=body.validated_data.get("reason", ""))
        return Response(self.get_serializer(obj).data)

    perform.__name__ = name
    perform.__doc__ = f"Transition `{name}`: {info.label if info else name}. Logged with who, when and why."
    # action() first: it replaces the function's `kwargs`, where extend_schema keeps the schema.
    perform = action(detail=True, methods=["post"], url_path=name.replace("_", "-"), url_name=name)(perform)
    return extend_schema(
        summary=summary,
        request=TransitionRequestSerializer,
        responses={200: cls.serializer_class, **TRANSITION_RESPONSES},
    )(perform)


def validated_body(serializer_class: type, request: Request, context: dict[str, Any], *, partial: bool = False):
    """Validate a JSON body; a field the endpoint does not accept is an error, never silently dropped."""
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    serializer = serializer_class(data=request.data, partial=partial, context=context)
    valid = serializer.is_valid()
    errors = {name: ["This field is not accepted here."] for name in sorted(set(request.data) - set(serializer.fields))}
    if not valid:
        errors.update(serializer.errors)
    if errors:
        raise ValidationError(errors)
    return serializer.validated_data


class PrefetchMixin:
    """The ids of the to-many relations a list shows, read for the whole page at once: one query per relation
    whatever the page's length."""

    list_prefetch_related: ClassVar[tuple[str, ...]] = ()

    def paginate_queryset(self, queryset):
        if self.list_prefetch_related and LISTED_IDS_IN_QUERY and connections[queryset.db].vendor == "postgresql":
            return super().paginate_queryset(with_listed_ids(queryset, self.list_prefetch_related, self.principal))
        page = super().paginate_queryset(queryset)
        if page and self.list_prefetch_related:
            attach_listed_ids(page, self.list_prefetch_related, self.principal)
        return page


# Off only in the test that compares both ways (tests/test_api_queries.py); SQLite always takes attach_listed_ids.
LISTED_IDS_IN_QUERY = True


def _listed_links(model: type[models.Model], name: str, principal: Principal) -> tuple[models.QuerySet, str, str]:
    """The link rows of `model`'s many-to-many relation `name` whose related row the principal sees, and the
    names of the link table's owner and related columns."""
    field = model._meta.get_field(name)
    if not field.many_to_many or not field.concrete:
        raise ValueError(f"{model.__name__}.{name} is not a many-to-many field of the model.")
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    links = field.remote_field.through._base_manager.all()
    manager = field.related_model._default_manager
    if hasattr(manager, "visible_to"):
        links = links.filter(**{f"{target}__in": manager.visible_to(principal).values("pk")})
    return links, f"{source}_id", f"{target}_id"


def with_listed_ids(queryset: models.QuerySet, relations: tuple[str, ...], principal: Principal) -> models.QuerySet:
    """`queryset` whose rows carry, for each many-to-many relation named, the ids of the related rows the principal
    sees, ascending (`listed_attr`), read by the rows' own query: `ARRAY(SELECT …)` per row (PostgreSQL).

    What `attach_listed_ids` does in a query per relation after the page, in the page's query: no more round
    trips, and no list of the page's ids to send back. PostgreSQL evaluates these columns only for the rows the
    page returns (after the sort and the limit); each is an index probe of the link table."""
    return queryset.annotate(**dict(_listed_ids_columns(queryset.model, tuple(relations), principal)))


@functools.lru_cache(maxsize=512)
def _listed_ids_columns(model: type[models.Model], relations: tuple[str, ...], principal: Principal) -> tuple:
    """The `ARRAY(SELECT …)` expressions of `with_listed_ids`, built once per model, relations and principal (per
    process): building them (the related model's visibility filter, the subquery) took 0.7 ms of a 5 ms list
    request, and they depend on nothing else. An expression is never changed by the querysets that use it (each
    resolves a copy), and the visibility filter holds no rows, only the principal's ids (`visibility_q`)."""
    columns = []
    for name in relations:
        links, source, target = _listed_links(model, name, principal)
        ids = links.filter(**{source: OuterRef("pk")}).order_by(target).values(target)
        columns.append((listed_attr(name), ArraySubquery(ids)))
    return tuple(columns)


def attach_listed_ids(rows: list[models.Model], relations: tuple[str, ...], principal: Principal) -> None:
    """Put on each row, for each many-to-many relation named, the ids of its related rows the principal sees, in
    ascending order, as a plain list (`listed_attr`) that `ListedPrimaryKeyRelatedField` reads. One query per
    relation after the page: the way of databases other than PostgreSQL (`with_listed_ids` reads them with the
    page there).

    The ids come from the relation's link table alone, limited to the related rows the principal sees. A
    prefetch of the related objects (what Django's `prefetch_related` does) read and built every related row,
    ordered by its model's ordering, to print its id, and built a filtered queryset per relation: for a page
    of certificates that was two thirds of the request (measured by `make bench`)."""
    model = type(rows[0])
    pks = [row.pk for row in rows]
    for name in relations:
        links, source, target = _listed_links(model, name, principal)
        listed: dict[Any, list] = {pk: [] for pk in pks}
        for owner, related in links.filter(**{f"{source}__in": pks}).order_by(target).values_list(source, target):
            listed[owner].append(related)
        for row in rows:
            setattr(row, listed_attr(name), listed[row.pk])


class ServiceWriteMixin:
    """POST (create) and PATCH (update) through services; responses use the read serializer.

    Subclasses set `write_serializer_class` and `create_service(actor=, **data)` /
    `update_service(actor=, pk=, **data)`; PUT is not offered (partial updates only).
    """

    write_serializer_class: ClassVar[type] = None
    create_service: ClassVar[Callable[..., models.Model] | None] = None
    update_service: ClassVar[Callable[..., models.Model] | None] = None

    def get_serializer_class(self):
        if self.action in ("create", "partial_update") and self.write_serializer_class is not None:
            return self.write_serializer_class
        return super().get_serializer_class()

    def _validated(self, request: Request, *, partial: bool) -> dict[str, Any]:
        return validated_body(self.write_serializer_class, request, self.get_serializer_context(), partial=partial)

    def _read(self, obj: models.Model, status_code: int) -> Response:
        return Response(self.serializer_class(obj, context=self.get_serializer_context()).data, status=status_code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if type(self).create_service is None:
            return self.http_method_not_allowed(request)
        data = self._validated(request, partial=False)
        obj = type(self).create_service(actor=self.principal, **data)
        return self._read(obj, 201)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if type(self).update_service is None:
            return self.http_method_not_allowed(request)
        self.get_object()  # 404 before validation for records the caller cannot see
        data = self._validated(request, partial=True)
        obj = type(self).update_service(actor=self.principal, pk=kwargs["pk"], **data)
        return self._read(obj, 200)


class HistoryMixin:
    """GET {id}/history/: the record's transition log, oldest first."""

    @extend_schema(responses={200: TransitionLogEntrySerializer(many=True), **PROBLEM_RESPONSES})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: str | None = None) -> Response:
        obj = self.get_object()
        rows = history_of(obj, self.principal)
        return Response(TransitionLogEntrySerializer(rows, many=True).data)
