from rest_framework import serializers


class ProblemErrorSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()
    code = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details; `code` is stable and meant for programs."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField()
    instance = serializers.CharField(required=False)
    errors = ProblemErrorSerializer(many=True, required=False)


class TransitionRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class TransitionLogEntrySerializer(serializers.Serializer):
    """One row of a record's history."""

    at = serializers.DateTimeField()
    transition = serializers.CharField()
    source = serializers.CharField()
    target = serializers.CharField()
    reason = serializers.CharField()
    actor = serializers.CharField(source="actor_label")
