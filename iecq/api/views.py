"""Platform endpoints: who am I, and the organisation's API tokens."""

import django_filters
from django.http import FileResponse
from django.utils.http import content_disposition_header
from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from .. import services
from ..filtersets import FilterSet
from ..models import ApiToken, DecisionEvidence, Membership, Organisation, TransitionLog
from ..models.tokens import API_SCOPES
from ..roles import OrganisationKind, Role
from .fields import VisiblePrimaryKeyRelatedField
from .viewsets import PROBLEM_RESPONSES, PrincipalScopedAPIView, ScopedViewSet


class PrincipalSerializer(serializers.Serializer):
    kind = serializers.CharField(allow_null=True)
    label = serializers.CharField()
    organisation_id = serializers.IntegerField(allow_null=True)
    role = serializers.CharField(allow_null=True)
    certification_body_id = serializers.IntegerField(allow_null=True)
    manufacturer_id = serializers.IntegerField(allow_null=True)
    country = serializers.CharField(allow_null=True)
    scopes = serializers.ListField(child=serializers.CharField(), allow_null=True)


class MeView(PrincipalScopedAPIView, GenericAPIView):
    """The calling principal: organisation, role, and the token's scopes."""

    serializer_class = PrincipalSerializer

    @extend_schema(summary="Who am I", responses={200: PrincipalSerializer})
    def get(self, request):
        p = request.principal
        return Response(
            PrincipalSerializer({**p.__dict__, "scopes": sorted(p.scopes) if p.scopes is not None else None}).data
        )


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "role", "prefix", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at"]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    role = serializers.ChoiceField(choices=Role.choices)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=API_SCOPES), allow_empty=False, max_length=20)
    expires_in_days = serializers.IntegerField(min_value=1, max_value=3650, default=90)


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(help_text="The secret; shown only in this response.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="Your organisation's API tokens"),
    retrieve=extend_schema(summary="An API token", responses={200: ApiTokenSerializer, **PROBLEM_RESPONSES}),
)
class ApiTokenViewSet(ScopedViewSet):
    """API tokens of the caller's organisation; created by its administrator in a signed-in session."""

    model = ApiToken
    serializer_class = ApiTokenSerializer
    scope_area = None

    @extend_schema(
        summary="Create an API token (the secret is in this response only)",
        request=ApiTokenCreateSerializer,
        responses={201: ApiTokenCreatedSerializer, **PROBLEM_RESPONSES},
    )
    def create(self, request):
        body = ApiTokenCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token, secret = services.api_token_create(actor=request.principal, **body.validated_data)
        token.token = secret
        return Response(ApiTokenCreatedSerializer(token).data, status=201)

    @extend_schema(
        summary="Revoke an API token", request=None, responses={200: ApiTokenSerializer, **PROBLEM_RESPONSES}
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        return Response(ApiTokenSerializer(services.api_token_revoke(actor=request.principal, pk=pk)).data)


class DecisionEvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = DecisionEvidence
        fields = [
            "id",
            "log",
            "title",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by_label",
            "uploaded_at",
        ]
        read_only_fields = fields


class DecisionEvidenceUploadSerializer(serializers.Serializer):
    decision = VisiblePrimaryKeyRelatedField(TransitionLog, help_text="The id of the logged decision (history).")
    title = serializers.CharField(max_length=200)
    file = serializers.FileField()


@extend_schema_view(
    list=extend_schema(summary="Evidence documents of decisions you can see"),
    retrieve=extend_schema(
        summary="One evidence document", responses={200: DecisionEvidenceSerializer, **PROBLEM_RESPONSES}
    ),
)
class DecisionEvidenceViewSet(ScopedViewSet):
    """Documents supporting logged decisions (SA-02): a suspension's evidence, for example."""

    model = DecisionEvidence
    serializer_class = DecisionEvidenceSerializer
    scope_area = "sanctions"
    http_method_names = ["get", "post", "head", "options"]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Attach a document to a decision",
        request={"multipart/form-data": DecisionEvidenceUploadSerializer},
        responses={201: DecisionEvidenceSerializer, **PROBLEM_RESPONSES},
    )
    def create(self, request):
        body = DecisionEvidenceUploadSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        evidence = services.decision_evidence_attach(
            actor=request.principal, decision=data["decision"], title=data["title"], file=data["file"]
        )
        return Response(DecisionEvidenceSerializer(evidence).data, status=201)

    @extend_schema(
        summary="Download the document (an attachment)",
        responses={(200, "*/*"): OpenApiTypes.BINARY, **PROBLEM_RESPONSES},
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        evidence = self.get_object()
        response = FileResponse(evidence.file.open("rb"), content_type=evidence.content_type)
        response["Content-Disposition"] = content_disposition_header(True, evidence.original_name)
        response["X-Content-Type-Options"] = "nosniff"
        return response


class OrganisationFilter(FilterSet):
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices)
    country = django_filters.ChoiceFilter(choices=list(countries))

    class Meta:
        model = Organisation
        fields = ["kind", "country"]


class MembershipFilter(FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Membership
        fields = ["role", "is_active"]


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "kind", "name", "country", "certification_body", "manufacturer", "supervisory_body"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="Your organisation (the operator sees every organisation)"),
    retrieve=extend_schema(summary="An organisation", responses={200: OrganisationSerializer, **PROBLEM_RESPONSES}),
)
class OrganisationViewSet(ScopedViewSet):
    """The organisation the caller acts for: its kind and the CB, manufacturer or supervisory body it is."""

    model = Organisation
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    scope_area = None
    http_method_names = ["get", "head", "options"]


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    full_name = serializers.CharField(source="user.get_full_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "organisation", "username", "full_name", "role", "is_active", "created_at"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="The people of your organisation and their roles"),
    retrieve=extend_schema(summary="A membership", responses={200: MembershipSerializer, **PROBLEM_RESPONSES}),
)
class MembershipViewSet(ScopedViewSet):
    """Who acts for the caller's organisation, in which role; managed by its administrator in the portal."""

    model = Membership
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    scope_area = None
    http_method_names = ["get", "head", "options"]
    list_select_related = ("user",)
