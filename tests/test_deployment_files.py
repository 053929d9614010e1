"""docker-compose.yml cannot be run here (no Docker engine), so the suite reads it: the production
layout must name real entry points, real settings and a health check and volume where they belong."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS_TEXT = "".join(p.read_text() for p in (ROOT / "iecq" / "settings").glob("*.py"))


def test_production_layout_has_every_service_with_health_checks():
    services = COMPOSE["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    for name in ("web", "worker", "beat", "postgres", "redis"):
        assert "healthcheck" in services[name], name
    for name in ("postgres", "redis", "web", "beat"):
        assert services[name].get("volumes"), name


def test_commands_name_real_entry_points():
    web = " ".join(COMPOSE["services"]["web"]["command"])
    assert "iecq.wsgi:application" in web
    module, attr = "iecq.wsgi", "application"
    assert (ROOT / (module.replace(".", "/") + ".py")).read_text().count(attr) >= 1
    for name in ("worker", "beat"):
        assert COMPOSE["services"][name]["command"][:3] == ["celery", "-A", "iecq"]
    assert "db_grant_app_role" in " ".join(COMPOSE["services"]["migrate"]["command"])


def test_every_environment_variable_is_read_by_the_settings():
    env = COMPOSE["x-app"]["environment"]
    for name in env:
        if name == "DJANGO_SETTINGS_MODULE":
            continue
        assert re.search(rf'["\']{name}["\']', SETTINGS_TEXT), f"{name} is set in docker-compose.yml but never read"


def test_app_connects_as_a_role_other_than_the_owner():
    app_url = COMPOSE["x-app"]["environment"]["DATABASE_URL"]
    migrate_url = COMPOSE["services"]["migrate"]["environment"]["DATABASE_URL"]
    assert app_url.startswith("postgres://iecq_app:") and migrate_url.startswith("postgres://iecq_owner:")
