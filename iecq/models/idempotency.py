from django.db import models


class IdempotencyKey(models.Model):
    """A POST's `Idempotency-Key` and the first response to it, so a retried request is answered, not redone.

    Scoped per principal (`principal_key`: one user in one organisation, or one API token); `response_status`
    is null while the first request is still in flight. Rows expire after IDEMPOTENCY_KEY_TTL and are
    cleared by the `idempotency_keys_clear` task.
    """

    principal_key = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")
    response_content_type = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principal_key", "key"], name="idempotency_key_once")]

    def __str__(self) -> str:
        return f"{self.principal_key} {self.key}"
