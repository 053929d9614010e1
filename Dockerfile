# One image for web, worker and beat. Build: docker build -t iecq-platform .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=iecq.settings.production

# WeasyPrint needs Pango; a CJK font prints Chinese, Japanese and Korean names (the platform bundles Latin, Greek,
# Cyrillic and DejaVu's other scripts); gettext compiles the message catalogues.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core \
    fonts-wqy-microhei gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml ./
COPY scripts/requirements.py scripts/
RUN python scripts/requirements.py > /tmp/requirements.txt && pip install -r /tmp/requirements.txt
COPY . .
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput \
 && python manage.py compilemessages --ignore=.venv \
 && useradd --system --home /app iecq && mkdir -p /app/media /var/lib/celery && chown iecq /app/media /var/lib/celery
USER iecq
EXPOSE 8000
CMD ["gunicorn", "iecq.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
