from rest_framework import serializers

from iecq.api.fields import CountryField, VisiblePrimaryKeyRelatedField

from ..models import Contact, Engagement, Manufacturer, Site


class ManufacturerSerializer(serializers.ModelSerializer):
    country = CountryField()

    class Meta:
        model = Manufacturer
        fields = ["id", "name", "legal_name", "country", "website", "email", "created_at", "updated_at"]
        read_only_fields = fields


class ManufacturerWriteSerializer(serializers.ModelSerializer):
    country = CountryField()

    class Meta:
        model = Manufacturer
        fields = ["name", "legal_name", "country", "website", "email"]
        validators = []


class SiteSerializer(serializers.ModelSerializer):
    country = CountryField()

    class Meta:
        model = Site
        fields = ["id", "manufacturer", "name", "address", "city", "country", "created_at"]
        read_only_fields = fields


class SiteWriteSerializer(serializers.ModelSerializer):
    country = CountryField()
    manufacturer = VisiblePrimaryKeyRelatedField(Manufacturer)

    class Meta:
        model = Site
        fields = ["manufacturer", "name", "address", "city", "country"]
        validators = []

    def validate(self, attrs):
        if self.partial and "manufacturer" in attrs:
            raise serializers.ValidationError({"manufacturer": "A site cannot move to another manufacturer."})
        return attrs


class EngagementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Engagement
        fields = ["id", "manufacturer", "certification_body", "since"]
        read_only_fields = fields


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "manufacturer", "name", "function", "email", "phone", "is_primary", "created_at"]
        read_only_fields = fields


class ContactWriteSerializer(serializers.ModelSerializer):
    manufacturer = VisiblePrimaryKeyRelatedField(Manufacturer)

    class Meta:
        model = Contact
        fields = ["manufacturer", "name", "function", "email", "phone", "is_primary"]
        validators = []  # one email per manufacturer: the service's rule, with its own message

    def validate(self, attrs):
        if self.partial and "manufacturer" in attrs:
            raise serializers.ValidationError({"manufacturer": "A contact cannot move to another manufacturer."})
        return attrs
