"""Grant the application's database role what it needs, and no more.

Migrations run as the tables' owner (MIGRATION_DATABASE_URL); the web and worker processes connect
as a role that owns nothing and is neither superuser nor BYPASSRLS (DATABASE_URL). Run this after
every `migrate`: it is idempotent. The transition log gets SELECT and INSERT only.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

APPEND_ONLY_TABLES = (
    "iecq_transitionlog",
    "certification_certificaterevision",
    "sanctions_bulletinnotice",
    "integrations_event",
)
# The client directory is written only by the owner's triggers (migration manufacturers 0005): the application
# reads it, and cannot make it disagree with the engagements.
READ_ONLY_TABLES = ("django_migrations", "manufacturers_sitelisting", "manufacturers_contactlisting")


class Command(BaseCommand):
    help = "Grant DML privileges to the application's (non-owner) database role."

    def add_arguments(self, parser):
        parser.add_argument(
            "role",
            nargs="?",
            default=settings.DATABASE_APP_ROLE,
            help="The role the application connects as (default: DATABASE_APP_ROLE).",
        )

    def handle(self, *args, role: str | None = None, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database roles exist on PostgreSQL only.")
        if not role:
            raise CommandError("Name the application's role, or set DATABASE_APP_ROLE.")
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
            row = cursor.fetchone()
            if row is None:
                raise CommandError(f"Role {role} does not exist: CREATE ROLE {role} LOGIN PASSWORD '...' first.")
            if any(row):
                raise CommandError(f"Role {role} is a superuser or bypasses row-level security; use a plain role.")
            r = qn(role)
            cursor.execute(f"GRANT USAGE ON SCHEMA public TO {r}")
            cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}")
            cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}")
            for table in APPEND_ONLY_TABLES:
                cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {qn(table)} FROM {r}")
            for table in READ_ONLY_TABLES:
                cursor.execute(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {qn(table)} FROM {r}")
        self.stdout.write(self.style.SUCCESS(f"Granted application privileges to {role}."))
