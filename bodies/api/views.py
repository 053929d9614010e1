from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from iecq.api.viewsets import PROBLEM_RESPONSES, HistoryMixin, PrincipalScopedAPIView, ScopedViewSet, ServiceWriteMixin

from .. import selectors, services
from ..filters import CertificationBodyFilter
from ..models import AccreditationBody, CertificationBody
from .serializers import AccreditationBodySerializer, CertificationBodySerializer, CertificationBodyWriteSerializer


@extend_schema_view(
    list=extend_schema(summary="List certification bodies", responses={200: CertificationBodySerializer(many=True)}),
    retrieve=extend_schema(
        summary="A certification body", responses={200: CertificationBodySerializer, **PROBLEM_RESPONSES}
    ),
    create=extend_schema(
        summary="Register a CB application (operator)",
        responses={201: CertificationBodySerializer, **PROBLEM_RESPONSES},
    ),
    partial_update=extend_schema(
        summary="Change a CB's details", responses={200: CertificationBodySerializer, **PROBLEM_RESPONSES}
    ),
)
class CertificationBodyViewSet(HistoryMixin, ServiceWriteMixin, ScopedViewSet):
    """Certification bodies and their lifecycle decisions (CB-07)."""

    model = CertificationBody
    serializer_class = CertificationBodySerializer
    write_serializer_class = CertificationBodyWriteSerializer
    filterset_class = CertificationBodyFilter
    scope_area = "bodies"
    http_method_names = ["get", "post", "patch", "head", "options"]
    create_service = staticmethod(services.certification_body_create)
    update_service = staticmethod(services.certification_body_update)
    transition_services = services.CB_TRANSITION_SERVICES


@extend_schema_view(
    list=extend_schema(summary="List accreditation bodies (reference data, public)"),
    retrieve=extend_schema(summary="An accreditation body"),
)
class AccreditationBodyViewSet(PrincipalScopedAPIView, viewsets.ReadOnlyModelViewSet):
    """National accreditation bodies and their IAF MLA status; public reference data."""

    serializer_class = AccreditationBodySerializer
    scope_area = "bodies"

    def get_queryset(self):
        return selectors.accreditation_body_list()

    model = AccreditationBody
