from django_countries.serializer_fields import CountryField
from rest_framework import serializers

from ..models import AccreditationBody, CertificationBody


class CertificationBodySerializer(serializers.ModelSerializer):
    country = CountryField()

    class Meta:
        model = CertificationBody
        fields = ["id", "name", "legal_name", "country", "website", "email", "state", "created_at", "updated_at"]
        read_only_fields = fields


class CertificationBodyWriteSerializer(serializers.ModelSerializer):
    country = CountryField()

    class Meta:
        model = CertificationBody
        fields = ["name", "legal_name", "country", "website", "email"]
        validators = []  # uniqueness is the service's job, for rows the caller cannot see too


class AccreditationBodySerializer(serializers.ModelSerializer):
    country = CountryField()

    class Meta:
        model = AccreditationBody
        fields = ["id", "name", "acronym", "country", "iaf_mla_signatory", "iaf_mla_scope", "iaf_mla_since", "website"]
        read_only_fields = fields
