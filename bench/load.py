"""The load generator: a second process that sends HTTP requests to the server under test.

    python bench/load.py plan.json     # prints one JSON object: {name: figures} for each measurement

A plan is a list of measurements: {"name", "paths": [...], "headers": {...}, "requests": n} for
latency (one connection, one request at a time, paths taken in turn; with "floor_paths" each request
is followed by one to its floor, so that a busy machine slows both alike), or with "concurrency": c and
"seconds": s for throughput (c keep-alive connections for s seconds). Standard library only, so the
loader costs little next to the server and measures the same way whatever the server runs.
"""

from __future__ import annotations

import http.client
import json
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
    paths, floors, headers = m["paths"], m.get("floor_paths"), m.get("headers", {})
    statuses: dict[int, int] = {}
    for path in paths[: min(5, len(paths))] + (floors or [])[:5]:  # warm up (connection, caches)
        _get(conn, path, headers)
    samples, floor_samples = [], []
    for i in range(m["requests"]):
        start = time.perf_counter()
        status = _get(conn, paths[i % len(paths)], headers)
        samples.append(time.perf_counter() - start)
        statuses[status] = statuses.get(status, 0) + 1
        if floors:
            start = time.perf_counter()
            _get(conn, floors[i % len(floors)], headers)
            floor_samples.append(time.perf_counter() - start)
    conn.close()
    out = {"median": statistics.median(samples), "p95": sorted(samples)[int(len(samples) * 0.95)]}
    if floor_samples:
        out["floor_median"] = statistics.median(floor_samples)
    return {**out, "statuses": statuses}


def throughput(host: str, port: int, m: dict) -> dict:
    paths, headers = m["paths"], m.get("headers", {})
    deadline = time.perf_counter() + m["seconds"]
    counts, errors, samples = [], [], []
    lock = threading.Lock()

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        done = bad = 0
        mine = []
        i = offset
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                status = _get(conn, paths[i % len(paths)], headers)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=60)
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
