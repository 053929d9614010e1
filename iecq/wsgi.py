"""WSGI entry point for gunicorn: `gunicorn iecq.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iecq.settings.production")
application = get_wsgi_application()
