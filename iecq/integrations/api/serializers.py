from rest_framework import serializers

from ..models import Event, WatchlistEntry, WebhookAttempt, WebhookDelivery, WebhookSubscription


class EventSerializer(serializers.ModelSerializer):
    data = serializers.JSONField(
        help_text="The subject after the change: its state and fields (a state change adds transition, from, to, "
        "reason); for a watchlist event, `change` and the certificate's public register record."
    )

    class Meta:
        model = Event
        fields = ["id", "type", "subject_type", "subject_id", "occurred_at", "actor_label", "data"]
        read_only_fields = fields


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "description", "target_url", "event_types", "is_active", "created_by_label", "created_at"]
        read_only_fields = fields


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(help_text="The signing secret (`whsec_...`); shown only in this response.")

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookSubscriptionWriteSerializer(serializers.Serializer):
    target_url = serializers.URLField(max_length=500, help_text="http(s); must resolve to a public address.")
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=80),
        required=False,
        max_length=50,
        help_text='Types ("certificate.suspended"), families ("certificate.*"); empty or omitted: every event.',
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["attempted_at", "status_code", "error", "duration_ms"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(source="event.type", read_only=True)
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event",
            "event_type",
            "message_id",
            "state",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "created_at",
            "attempt_log",
        ]
        read_only_fields = fields


class WatchlistEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = WatchlistEntry
        fields = ["id", "kind", "label", "note", "created_by_label", "created_at"]
        read_only_fields = fields


class WatchlistEntryWriteSerializer(serializers.Serializer):
    certificate_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    manufacturer_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
