"""The per-request database health check asks the socket first (iecq.dbbackend): no SELECT 1 while the server
has said nothing, and a connection the server ended is still found out and replaced."""

from __future__ import annotations

import select
import time

import pytest
from django.db import connections

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def wrapper():
    """A connection of its own to the test database, with health checks on, as in production."""
    conn = connections.create_connection("default")
    conn.settings_dict["CONN_HEALTH_CHECKS"] = True
    conn.settings_dict["CONN_MAX_AGE"] = 60
    conn.ensure_connection()
    yield conn
    conn.close()


def _last_query(pid: int) -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def _new_request(conn) -> None:
    conn.close_if_unusable_or_obsolete()  # what request_started does: the next use checks the connection again


def test_a_healthy_connection_is_checked_without_a_round_trip(wrapper):
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT 'the request before'")
        pid = wrapper.connection.info.backend_pid
    _new_request(wrapper)
    assert wrapper.health_check_done is False
    wrapper.close_if_health_check_failed()
    assert wrapper.health_check_done is True and wrapper.connection is not None
    assert _last_query(pid) == "SELECT 'the request before'"  # no SELECT 1 reached the server


def test_a_connection_the_server_ended_is_closed_and_the_next_query_reconnects(wrapper):
    pid = wrapper.connection.info.backend_pid
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    socket = wrapper.connection.fileno()
    deadline = time.monotonic() + 10
    while not select.select([socket], [], [], 0.1)[0]:  # the server's goodbye is on its way
        assert time.monotonic() < deadline, "the terminated session's socket never became readable"
    _new_request(wrapper)
    wrapper.close_if_health_check_failed()
    assert wrapper.connection is None  # found out before the request's query could fail on it
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
