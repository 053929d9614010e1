"""The Celery app. Workers: `make worker`; the beat scheduler: `make beat` (schedule in settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iecq.settings.local")

app = Celery("iecq")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
