"""The load generator: a second process that sends HTTP requests to the server under test.

    python bench/load.py plan.json     # prints one JSON object: {name: figures} for each measurement

A plan is a list of measurements: {"name", "paths": [...], "headers": {...}, "requests": n} for
latency (one connection, one request at a time, paths taken in turn; with "floor_paths" each request
is followed by one to its floor, so that a busy machine slows both alike; with "gap": seconds, each request and
each floor is followed by that much idle time, so that what a server does after an answer is not timed as part of
the next request), or with "concurrency": c and
"seconds": s for throughput (c keep-alive connections for s seconds). Standard library only, so the
loader measures the same way whatever the server runs.

The loader shares the machine's cores with the server under test. Latency is measured with `http.client`, on one
connection at a time, the same way for a figure and its floor. Throughput uses `RawConnection`, which reads only
the status line and Content-Length: with `http.client`, which parses every response header with the `email`
package, the loader itself took a third of a core (5.1 CPU-seconds in a 15-second run) from the two the server
was being measured on.
"""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import sys
import threading
import time


def _get(conn: http.client.HTTPConnection, path: str, headers: dict) -> int:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status


def latency(host: str, port: int, m: dict) -> dict:
    """Sequential requests; with "floor_paths", a floor request after each one, so both see the same load."""
    conn = http.client.HTTPConnection(host, port, timeout=60)
    # The floor has a connection of its own: on the same one, its request would wait for whatever the server
    # still does for the request before once that one has been answered (a page stored after it was sent).
    floor_conn = http.client.HTTPConnection(host, port, timeout=60)
    paths, floors, headers = m["paths"], m.get("floor_paths"), m.get("headers", {})
    statuses: dict[int, int] = {}
    for path in paths[: min(5, len(paths))]:  # warm up (connections, caches)
        _get(conn, path, headers)
    for path in (floors or [])[:5]:
        _get(floor_conn, path, headers)
    samples, floor_samples = [], []
    gap = m.get("gap", 0)
    for i in range(m["requests"]):
        start = time.perf_counter()
        status = _get(conn, paths[i % len(paths)], headers)
        samples.append(time.perf_counter() - start)
        statuses[status] = statuses.get(status, 0) + 1
        if gap:
            time.sleep(gap)
        if floors:
            start = time.perf_counter()
            _get(floor_conn, floors[i % len(floors)], headers)
            floor_samples.append(time.perf_counter() - start)
            if gap:
                time.sleep(gap)
    conn.close()
    floor_conn.close()
    out = {"median": statistics.median(samples), "p95": sorted(samples)[int(len(samples) * 0.95)]}
    if floor_samples:
        out["floor_median"] = statistics.median(floor_samples)
    return {**out, "statuses": statuses}


class RawConnection:
    """HTTP/1.1 GETs on one keep-alive socket; a response is its status and a body of Content-Length bytes."""

    def __init__(self, host: str, port: int, headers: dict) -> None:
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._request = f"GET {{}} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n"
        self._address = (host, port)
        self._socket: socket.socket | None = None
        self._buffer = b""

    def get(self, path: str) -> int:
        if self._socket is None:
            self._socket = socket.create_connection(self._address, timeout=60)
            self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._buffer = b""
        self._socket.sendall(self._request.format(path).encode())
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            self._receive()
        status_line, *fields = self._buffer[:end].split(b"\r\n")
        self._buffer = self._buffer[end + 4 :]
        lengths = [int(f.split(b":", 1)[1]) for f in fields if f[:15].lower() == b"content-length:"]
        if not lengths:
            raise ValueError(f"no Content-Length in the response to {path}")
        status, length = int(status_line[9:12]), lengths[0]
        while len(self._buffer) < length:
            self._receive()
        self._buffer = self._buffer[length:]
        return status

    def _receive(self) -> None:
        chunk = self._socket.recv(262144)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self._buffer += chunk

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def throughput(host: str, port: int, m: dict) -> dict:
    paths, headers = m["paths"], m.get("headers", {})
    deadline = time.perf_counter() + m["seconds"]
    counts, errors, samples = [], [], []
    lock = threading.Lock()

    def worker(offset: int) -> None:
        conn = RawConnection(host, port, headers)
        done = bad = 0
        mine = []
        i = offset
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                status = conn.get(paths[i % len(paths)])
            except (OSError, ValueError):
                conn.close()  # the next request opens a new connection
                status = 0
            mine.append(time.perf_counter() - start)
            done += 1
            bad += status != 200
            i += 1
        with lock:
            counts.append(done)
            errors.append(bad)
            samples.extend(mine)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k * 97,)) for k in range(m["concurrency"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {
        "rps": sum(counts) / elapsed,
        "requests": sum(counts),
        "errors": sum(errors),
        "median": statistics.median(samples) if samples else None,
    }


def main() -> None:
    with open(sys.argv[1]) as f:
        plan = json.load(f)
    host, port = plan["host"], plan["port"]
    out = {}
    for m in plan["measurements"]:
        out[m["name"]] = throughput(host, port, m) if m.get("concurrency") else latency(host, port, m)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
