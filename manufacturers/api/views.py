import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view

from iecq.api.viewsets import PROBLEM_RESPONSES, ScopedViewSet, ServiceWriteMixin
from iecq.filtersets import FilterSet

from .. import services
from ..filters import EngagementFilter, ManufacturerFilter, SiteFilter
from ..models import Contact, Engagement, Manufacturer, Site
from .serializers import (
    ContactSerializer,
    ContactWriteSerializer,
    EngagementSerializer,
    ManufacturerSerializer,
    ManufacturerWriteSerializer,
    SiteSerializer,
    SiteWriteSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="List manufacturers"),
    retrieve=extend_schema(summary="A manufacturer", responses={200: ManufacturerSerializer, **PROBLEM_RESPONSES}),
    create=extend_schema(
        summary="Register a manufacturer", responses={201: ManufacturerSerializer, **PROBLEM_RESPONSES}
    ),
    partial_update=extend_schema(
        summary="Change a manufacturer's details", responses={200: ManufacturerSerializer, **PROBLEM_RESPONSES}
    ),
)
class ManufacturerViewSet(ServiceWriteMixin, ScopedViewSet):
    """Manufacturers (MF-05)."""

    model = Manufacturer
    serializer_class = ManufacturerSerializer
    write_serializer_class = ManufacturerWriteSerializer
    filterset_class = ManufacturerFilter
    scope_area = "manufacturers"
    http_method_names = ["get", "post", "patch", "head", "options"]
    create_service = staticmethod(services.manufacturer_create)
    update_service = staticmethod(services.manufacturer_update)


@extend_schema_view(
    list=extend_schema(summary="List manufacturing sites"),
    retrieve=extend_schema(summary="A manufacturing site", responses={200: SiteSerializer, **PROBLEM_RESPONSES}),
    create=extend_schema(summary="Add a site", responses={201: SiteSerializer, **PROBLEM_RESPONSES}),
    partial_update=extend_schema(summary="Change a site", responses={200: SiteSerializer, **PROBLEM_RESPONSES}),
)
class SiteViewSet(ServiceWriteMixin, ScopedViewSet):
    """Manufacturing sites (MF-05)."""

    model = Site
    serializer_class = SiteSerializer
    write_serializer_class = SiteWriteSerializer
    filterset_class = SiteFilter
    scope_area = "manufacturers"
    http_method_names = ["get", "post", "patch", "head", "options"]
    create_service = staticmethod(services.site_create)
    update_service = staticmethod(services.site_update)


@extend_schema_view(
    list=extend_schema(summary="List client relationships between manufacturers and CBs"),
    retrieve=extend_schema(summary="A client relationship", responses={200: EngagementSerializer, **PROBLEM_RESPONSES}),
)
class EngagementViewSet(ScopedViewSet):
    """Which CBs a manufacturer deals with."""

    model = Engagement
    serializer_class = EngagementSerializer
    filterset_class = EngagementFilter
    scope_area = "manufacturers"


class ContactFilter(FilterSet):
    """Declared, not generated (generated filters would query tenant-scoped managers outside any scope).
    It belongs in manufacturers/filters.py, next to the others, once the portal lists contacts."""

    manufacturer = django_filters.NumberFilter(field_name="manufacturer")
    is_primary = django_filters.BooleanFilter(field_name="is_primary")

    class Meta:
        model = Contact
        fields = ["manufacturer", "is_primary"]


@extend_schema_view(
    list=extend_schema(summary="List contact persons of manufacturers"),
    retrieve=extend_schema(summary="A contact person", responses={200: ContactSerializer, **PROBLEM_RESPONSES}),
    create=extend_schema(
        summary="Add a contact person (the manufacturer's administrator or quality manager, or the operator)",
        responses={201: ContactSerializer, **PROBLEM_RESPONSES},
    ),
    partial_update=extend_schema(
        summary="Change a contact person", responses={200: ContactSerializer, **PROBLEM_RESPONSES}
    ),
)
class ContactViewSet(ServiceWriteMixin, ScopedViewSet):
    """Contact persons of manufacturers (MF-05); one email address per manufacturer."""

    model = Contact
    serializer_class = ContactSerializer
    write_serializer_class = ContactWriteSerializer
    filterset_class = ContactFilter
    scope_area = "manufacturers"
    http_method_names = ["get", "post", "patch", "head", "options"]
    create_service = staticmethod(services.contact_create)
    update_service = staticmethod(services.contact_update)
