"""Fill the database with a national-scale data set by COPY (issue 10): `manage.py seed_scale --certificates N`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from iecq.scale import seed_scale
from manufacturers.models import ContactListing, SiteListing


class Command(BaseCommand):
    help = "Add N certificates with ~100 CBs, N/20 manufacturers, audits, nonconformities, CARs and log rows (COPY)."

    def add_arguments(self, parser):
        parser.add_argument("--certificates", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=2026, help="random seed (the same seed gives the same data)")
        parser.add_argument(
            "--due-soon", type=int, default=None, help="exactly this many audits due within the reminder horizon"
        )

    def handle(self, *args, certificates: int, seed: int, due_soon: int | None, verbosity: int = 1, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale writes with PostgreSQL COPY; point DATABASE_URL at PostgreSQL.")
        if certificates < 1:
            raise CommandError("--certificates must be at least 1.")
        with transaction.atomic():
            report = seed_scale(
                certificates,
                seed=seed,
                due_soon=due_soon,
                log=lambda s: self.stdout.write(f"  {s}") if verbosity else None,
            )
        # After the commit, the state autovacuum keeps a running database in: the visibility map that lets index-only
        # scans skip the table, the hint bits a first read would otherwise write. About six seconds at a million
        # certificates. VACUUM cannot run inside a transaction: called inside one (the tests), the ANALYZE that
        # seed_scale ran is all.
        if not connection.in_atomic_block:
            written = {*report.tables, SiteListing._meta.db_table, ContactListing._meta.db_table}  # with triggers'
            with connection.cursor() as cursor:
                for table in sorted(written):
                    cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")
            # The register's entries, as the beat task `register_entries_fill` would compute them within minutes.
            from certification import register_cache

            filled = register_cache.fill_entries(batch=5000)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) certification_registerentry")
            if verbosity:
                self.stdout.write(f"  {filled} register entries filled")
        if not verbosity:
            return
        for table, (rows, seconds) in sorted(report.tables.items()):
            self.stdout.write(f"{table:<50} {rows:>10} rows {seconds:>7.1f}s")
        self.stdout.write(self.style.SUCCESS(f"{certificates} certificates in {report.seconds:.1f}s"))
