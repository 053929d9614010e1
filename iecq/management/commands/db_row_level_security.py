"""(Re)create the row-level security policy of every tenant-owned table; idempotent (docs/security.md)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from iecq.rls import apply_policies


class Command(BaseCommand):
    help = "Create or refresh the PostgreSQL row-level security policies generated from the Tenancy declarations."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, database: str = DEFAULT_DB_ALIAS, **options):
        if connections[database].vendor != "postgresql":
            raise CommandError("Row-level security exists on PostgreSQL only.")
        tables = apply_policies(using=database)
        self.stdout.write(self.style.SUCCESS(f"Row-level security applied to {len(tables)} tables."))
