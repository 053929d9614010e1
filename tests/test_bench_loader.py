"""The benchmark's load generator (bench/load.py): its light HTTP client reads what a server sends, keep-alive."""

from __future__ import annotations

import http.server
import importlib.util
import threading
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location(
    "bench_load", Path(__file__).resolve().parent.parent / "bench" / "load.py"
)
load = importlib.util.module_from_spec(spec)
spec.loader.exec_module(load)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    connections: set = set()
    tokens: list = []

    def do_GET(self):
        Handler.connections.add(self.client_address)
        Handler.tokens.append(self.headers.get("X-Token"))
        if self.path == "/no-length":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"body")
            self.close_connection = True
            return
        body = (self.path * 5000).encode() if self.path != "/missing" else b"not here"
        self.send_response(404 if self.path == "/missing" else 200)
        self.send_header("content-LENGTH", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address
    httpd.shutdown()


def test_the_raw_client_reads_status_and_whole_bodies_on_one_connection(server):
    Handler.connections, Handler.tokens = set(), []
    conn = load.RawConnection(*server, {"X-Token": "t"})
    assert [conn.get(p) for p in ("/a", "/long/path/", "/missing", "/a")] == [200, 200, 404, 200]
    assert len(Handler.connections) == 1  # each body was read whole, so the next response was found
    assert Handler.tokens == ["t"] * 4  # the plan's headers go with every request
    with pytest.raises(ValueError):
        conn.get("/no-length")
    conn.close()
    assert conn.get("/a") == 200  # a new connection after close
