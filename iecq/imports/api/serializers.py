from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..choices import ImportKind, ImportState
from ..models import ImportJob
from ..selectors import import_job_progress


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        help_text="CSV: line in the file (header = 1); JSON: position in the list (from 1). 0: the file as a whole."
    )
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    errors = ImportErrorSerializer(many=True, help_text="Every error, in row order (at most 10,000 are kept).")
    error_count = serializers.IntegerField()
    rejected_rows = serializers.IntegerField()
    truncated = serializers.BooleanField()
    written = serializers.IntegerField(help_text="Rows written (only when the job is done).")


class ImportProgressSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ImportState.choices)
    total = serializers.IntegerField()
    processed = serializers.IntegerField(help_text="Rows checked (validating) or written (importing).")
    percent = serializers.IntegerField()


class ImportJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    report = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "format",
            "state",
            "original_name",
            "size",
            "sha256",
            "total",
            "processed",
            "progress",
            "report",
            "created_by_label",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ImportProgressSerializer)
    def get_progress(self, job: ImportJob) -> dict:
        return import_job_progress(job)

    @extend_schema_field(ImportReportSerializer(allow_null=True))
    def get_report(self, job: ImportJob) -> dict | None:
        return job.report or None


class ImportJobCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    file = serializers.FileField(
        help_text="CSV (UTF-8, header line naming the columns) or JSON (a list of objects); the format is read from "
        "the content. Templates: GET /api/v1/imports/template/?kind=…&format=…"
    )
