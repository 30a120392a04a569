"""Concurrent writers against the demo under gunicorn: what they lose, and what they get.

For each backend (memory: one worker with 8 threads, its records live in one
process; Redis and PostgreSQL: 2 workers with 4 threads each), counts:

  counter    W writers x R rounds of GET -> PATCH ``n + 1`` with If-Match on one
             record, each retried on 412: PATCHes answered 200, the final
             counter, and the updates lost (200s minus the counter)
  pairs      two PATCHes sent together with the same If-Match: rounds with
             one 200 and one 412, rounds where both landed
  collection 4 POSTs sent together with the collection's ETag in If-Match:
             rounds where exactly one landed
  timestamp  4 POSTs sent together with the same old ``last_modified``:
             rounds where exactly one landed (the others 400)

and every 5xx seen. Exits with 1 when anything was lost or a round went wrong.

    python bench/concurrency.py                    # all backends, 8 writers x 200 rounds
    python bench/concurrency.py --backend redis --rounds 50
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections import Counter

_spec = importlib.util.spec_from_file_location(
    "cliquet_bench_http", os.path.join(os.path.dirname(os.path.abspath(__file__)), "http.py"))
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)

REDIS_URL = "redis://127.0.0.1:6379/14"
BACKENDS = {
    "memory": ({"storage_backend": "cliquet.storage.memory",
                "cache_backend": "cliquet.cache.memory",
                "permission_backend": "cliquet.permission.memory"}, 1, 8),
    "redis": ({"storage_backend": "cliquet.storage.redis", "storage_url": REDIS_URL,
               "cache_backend": "cliquet.cache.redis", "cache_url": REDIS_URL,
               "permission_backend": "cliquet.permission.redis",
               "permission_url": REDIS_URL}, 2, 4),
    "postgresql": ({"storage_backend": "cliquet.storage.postgresql",
                    "storage_url": harness.PG_URL,
                    "cache_backend": "cliquet.cache.postgresql", "cache_url": harness.PG_URL,
                    "permission_backend": "cliquet.permission.postgresql",
                    "permission_url": harness.PG_URL}, 2, 4),
}
COLLECTION = "/v1/mushrooms"


def start(backend: str, directory: str):
    """The demo under gunicorn on ``backend``, its storage emptied first."""
    settings, workers, threads = BACKENDS[backend]
    if backend == "postgresql":
        harness.reset_postgresql_database()
    elif backend == "redis":
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
    path = os.path.join(directory, f"concurrency-{backend}.ini")
    with open(path, "w") as f:
        f.write("\n".join(["[app:main]", "use = egg:cliquet#demo"] +
                          [f"cliquet.{k} = {v}" for k, v in settings.items()]) + "\n")
    if backend == "postgresql":
        subprocess.run([os.path.join(harness.BIN, "cliquet"), "--ini", path, "migrate"],
                       check=True, cwd=harness.ROOT, capture_output=True)
    port = harness.free_port()
    command = [os.path.join(harness.BIN, "gunicorn"), "--paste", path,
               "-b", f"127.0.0.1:{port}", "-w", str(workers), "--threads", str(threads)]
    return harness.Server(command, port)


class Tally:
    """Statuses of every request, shared by the threads."""

    def __init__(self, port):
        self.port = port
        self.statuses = Counter()
        self._lock = threading.Lock()
        self._local = threading.local()

    def request(self, method, path, body=None, headers=None):
        headers = dict(harness.HEADERS, **(headers or {}))
        client = getattr(self._local, "client", None)
        try:
            if client is None:
                raise ConnectionError("no connection yet")
            status, response_headers, data = client.request(method, path, body, headers)
        except ConnectionError:  # none yet, or closed by the server after keep-alive
            client = self._local.client = harness.Client(self.port)
            status, response_headers, data = client.request(method, path, body, headers)
        with self._lock:
            self.statuses[status] += 1
        return status, response_headers, json.loads(data) if data else None

    def status(self, method, path, body=None, headers=None) -> int:
        return self.request(method, path, body, headers)[0]

    def create(self, data):
        status, _, body = self.request("POST", COLLECTION, {"data": data})
        assert status == 201, (status, body)
        return body["data"]


def together(calls):
    """Make the calls (a function and its arguments) in threads released at once;
    their results, in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index):
        function, *args = calls[index]
        barrier.wait()
        results[index] = function(*args)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def counter(tally, writers, rounds):
    record = tally.create({"name": "counter", "n": 0})
    url = f"{COLLECTION}/{record['id']}"
    successes, retries = Counter(), Counter()

    def writer(index):
        for _ in range(rounds):
            while True:
                _, _, current = tally.request("GET", url)
                value = current["data"]
                status, _, _ = tally.request(
                    "PATCH", url, {"data": {"n": value["n"] + 1}},
                    {"If-Match": f'"{value["last_modified"]}"'})
                if status == 200:
                    successes[index] += 1
                    break
                retries[index] += 1
                if status != 412:
                    break

    together([(writer, i) for i in range(writers)])
    _, _, final = tally.request("GET", url)
    landed = sum(successes.values())
    return {"200s": landed, "412 retries": sum(retries.values()),
            "counter": final["data"]["n"], "lost": landed - final["data"]["n"]}


def pairs(tally, rounds):
    record = tally.create({"name": "pair"})
    url = f"{COLLECTION}/{record['id']}"
    outcomes = Counter()
    for round_ in range(rounds):
        _, headers, _ = tally.request("GET", url)
        if_match = {"If-Match": headers["ETag"]}
        statuses = together([(tally.status, "PATCH", url, {"data": {"by": f"{who}{round_}"}},
                              if_match) for who in "ab"])
        outcomes[tuple(sorted(statuses))] += 1
    return {"(200, 412)": outcomes[(200, 412)], "both 200": outcomes[(200, 200)],
            "other": sum(outcomes.values()) - outcomes[(200, 412)] - outcomes[(200, 200)]}


def collection(tally, rounds):
    one, more = 0, 0
    for _ in range(rounds):
        _, headers, _ = tally.request("GET", f"{COLLECTION}?_limit=1")
        if_match = {"If-Match": headers["ETag"]}
        statuses = together([(tally.status, "POST", COLLECTION, {"data": {"name": "raced"}},
                              if_match)] * 4)
        landed = sum(status == 201 for status in statuses)
        one += landed == 1 and statuses.count(412) == 3
        more += landed > 1
    return {"exactly one": one, "several landed": more, "rounds": rounds}


def timestamp(tally, rounds):
    one, more = 0, 0
    for _ in range(rounds):
        old = tally.create({"name": "old"})
        tally.create({"name": "newer"})
        value = old["last_modified"] - 1
        statuses = together([(tally.status, "POST", COLLECTION,
                               {"data": {"name": "forced", "last_modified": value}})] * 4)
        landed = sum(status == 201 for status in statuses)
        one += landed == 1 and statuses.count(400) == 3
        more += landed > 1
    return {"exactly one": one, "several landed": more, "rounds": rounds}


def run(backend, writers, rounds, pair_rounds, directory):
    server = start(backend, directory)
    try:
        tally = Tally(server.port)
        figures = {"counter": counter(tally, writers, rounds),
                   "pairs": pairs(tally, pair_rounds),
                   "collection": collection(tally, pair_rounds),
                   "timestamp": timestamp(tally, pair_rounds // 2)}
        figures["5xx"] = sum(n for status, n in tally.statuses.items() if status >= 500)
        return figures
    finally:
        server.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=(*BACKENDS, "all"), default="all")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=50, help="rounds of the other scenarios")
    args = parser.parse_args(argv)
    backends = list(BACKENDS) if args.backend == "all" else [args.backend]
    failed = False
    with tempfile.TemporaryDirectory() as directory:
        for backend in backends:
            _, workers, threads = BACKENDS[backend]
            figures = run(backend, args.writers, args.rounds, args.pairs, directory)
            print(f"{backend} (gunicorn {workers} worker(s) x {threads} threads)")
            for name, values in figures.items():
                text = values if isinstance(values, int) else \
                    ", ".join(f"{k} {v}" for k, v in values.items())
                print(f"  {name:<11} {text}")
            failed |= bool(figures["counter"]["lost"] or figures["pairs"]["both 200"] or
                           figures["pairs"]["other"] or figures["5xx"] or
                           figures["collection"]["several landed"] or
                           figures["timestamp"]["several landed"])
            sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
