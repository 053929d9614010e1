from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An in-app message to one person about something they must act on (PL-07)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")

    def __str__(self) -> str:
        return self.title


class Reminder(models.Model):
    """One reminder about one deadline for one person; the unique key is what makes it exactly once (SC-02)."""

    deadline_key = models.CharField(max_length=200)
    step = models.CharField(max_length=20)  # "30d", "7d", "0d" before the date, or "overdue"
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    due_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deadline_key", "step", "recipient"], name="reminder_once")]

    def __str__(self) -> str:
        return f"{self.deadline_key} {self.step} → {self.recipient_id}"


class EmailOutbox(models.Model):
    """An email written in the same transaction as what it reports, sent after commit by a worker.

    Delivery is at least once: a worker killed between the SMTP answer and marking the row sent would
    send it again, so every message carries a stable Message-ID that mail clients use to drop duplicates.
    """

    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    message_id = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
