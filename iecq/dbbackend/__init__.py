"""PostgreSQL through psycopg2, as Django's own backend, told of rollbacks (see `base.DatabaseWrapper`)."""
