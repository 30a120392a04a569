"""HTTP benchmark of the demo service: throughput, latency and server CPU per request.

Starts the demo with the same server settings for every run (waitress, 4
threads, one process, logs at WARNING; or gunicorn with ``--workers N`` on
PostgreSQL + Redis), seeds 10,000 mushrooms by batch, then measures:

  (a) single POST creates, 8 connections     (b) GET one record
  (c) filtered, sorted page of 100            (d) following Next-Page through all records
  (e) PATCH with If-Match, 4 connections      (f) batches of 25 creates, 4 connections
  (g) _since returning 100 changed records    floor: a bare Pyramid view, same server

and (b) over the floor measured in alternating bursts, the ratio the
performance targets are written in (``(b) / floor, alternating``).

For each: requests/s, p50/p99 latency, errors by status and server CPU
milliseconds per request (the CPU of the PostgreSQL backends serving it
apart). Prints a table and writes JSON (``--json``). A single server process
runs on its own CPU(s), the load generator on the first one (``--no-pin``
to share them).

With ``--workers N`` the demo runs under gunicorn on PostgreSQL + Redis, with
one worker then with N, unpinned: (b) driven by wrk when installed (its CPU
per request is negligible), (a), (b), (e), (f), last_modified ordering, and
the throughput of (b) with N workers against one.

    python bench/http.py                     # memory and postgresql, one process
    python bench/http.py --workers 2         # gunicorn, 1 then 2 workers, postgresql + redis
"""
import os
import sys

# This file is named like the standard library's `http`: keep its folder off the path.
sys.path[:] = [p for p in sys.path
               if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import base64  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
AUTH = "Basic " + base64.b64encode(b"bench:secret").decode()
HEADERS = {"Authorization": AUTH, "Content-Type": "application/json"}
PG_URL = "postgres://postgres:postgres@127.0.0.1:5432/cliquet_bench_http"
REDIS_URL = "redis://127.0.0.1:6379/15"
SEED_RECORDS = 10_000
#: CPUs of the server process, when pinned (see ``pin_processes``).
SERVER_CPUS = set()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Processes and CPU -------------------------------------------------------

def process_tree(pid: int) -> list:
    """``pid`` and its descendants (gunicorn workers)."""
    pids, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            with open(f"/proc/{parent}/task/{parent}/children") as f:
                children = [int(c) for c in f.read().split()]
        except OSError:
            children = []
        pids += children
        frontier += children
    return pids


def cpu_seconds(pids) -> float:
    """CPU time of ``pids`` (all their threads), to the nanosecond where the
    scheduler tells it (``/proc/<pid>/task/<tid>/sched``), else in clock ticks
    (10 ms: a burst of 800 requests of 0.5 ms is then measured to 2.5 %)."""
    return sum(_cpu_seconds(pid) for pid in pids)


def _cpu_seconds(pid: int) -> float:
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    total = 0.0
    for tid in threads:
        try:
            with open(f"/proc/{pid}/task/{tid}/sched") as f:
                for line in f:
                    if line.startswith("se.sum_exec_runtime"):
                        total += float(line.split(":")[1]) / 1000  # milliseconds
                        break
                else:
                    return _cpu_ticks(pid)
        except OSError:
            continue
    return total


def _cpu_ticks(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def postgres_pids() -> list:
    """The PostgreSQL backends serving the bench database, and the WAL writer.

    Autovacuum and checkpoints, which run whenever PostgreSQL decides (after
    the seeding, say), are left out: they made the figure of a scenario
    depend on the one before. Backends started during a scenario count too.
    """
    out = subprocess.run(["pgrep", "-u", "postgres", "-a"], capture_output=True, text=True)
    return [int(line.split()[0]) for line in out.stdout.splitlines()
            if ("cliquet_bench_http" in line or "walwriter" in line)
            and "autovacuum" not in line]


def reset_postgresql_database() -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", password="postgres",
                            dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS cliquet_bench_http WITH (FORCE)")
        cursor.execute("CREATE DATABASE cliquet_bench_http ENCODING 'UTF8' TEMPLATE template0")
    conn.close()


def analyze_postgresql_database() -> None:
    """Statistics of the seeded tables, as autovacuum has them a minute later.

    Right after a bulk load the planner has none, and with none it reads a
    record by its id through the (smaller) ``last_modified`` index, scanning
    the whole collection: the benchmark measures a service's steady state.
    """
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", password="postgres",
                            dbname="cliquet_bench_http")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("ANALYZE")
    conn.close()


def write_ini(backend: str, port: int, directory: str) -> str:
    settings = {
        "cliquet.storage_backend": "cliquet.storage.memory",
        "cliquet.cache_backend": "cliquet.cache.memory",
        "cliquet.permission_backend": "cliquet.permission.memory",
    }
    if backend == "postgresql":
        settings = {
            "cliquet.storage_backend": "cliquet.storage.postgresql",
            "cliquet.storage_url": PG_URL,
            "cliquet.permission_backend": "cliquet.permission.postgresql",
            "cliquet.permission_url": PG_URL,
            "cliquet.cache_backend": "cliquet.cache.redis",
            "cliquet.cache_url": REDIS_URL,
        }
    lines = ["[app:main]", "use = egg:cliquet#demo", "cliquet.batch_max_requests = 25"]
    lines += [f"{k} = {v}" for k, v in settings.items()]
    lines += ["", "[server:main]", "use = egg:waitress#main", "host = 127.0.0.1",
              f"port = {port}", "threads = 4", "",
              "[loggers]", "keys = root", "", "[handlers]", "keys = console", "",
              "[formatters]", "keys = plain", "",
              "[logger_root]", "level = WARNING", "handlers = console", "",
              "[handler_console]", "class = StreamHandler", "args = (sys.stderr,)",
              "level = NOTSET", "formatter = plain", "",
              "[formatter_plain]", "format = %(message)s", ""]
    path = os.path.join(directory, f"bench-{backend}.ini")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return path


class Server:
    """A server process on a free port, stopped on exit."""

    def __init__(self, command, port):
        self.port = port
        cpus = SERVER_CPUS or None
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/v1/__lbheartbeat__")
                connection.getresponse().read()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server {command} did not start")

    def cpu(self) -> float:
        return cpu_seconds(process_tree(self.process.pid))

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


# --- Load ------------------------------------------------------------------

class Client:
    def __init__(self, port):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method, path, body=None, headers=None):
        payload = json.dumps(body).encode() if body is not None else None
        self.connection.request(method, path, body=payload, headers=headers or HEADERS)
        response = self.connection.getresponse()
        data = response.read()
        return response.status, response.headers, data


def run_load(port, connections, requests_per_connection, make_request):
    """Run ``make_request(client, worker, i)`` concurrently; gather latencies and statuses."""
    latencies, statuses, lock = [], {}, threading.Lock()

    def worker(index):
        client = Client(port)
        local_latencies, local_statuses = [], {}
        for i in range(requests_per_connection):
            started = time.perf_counter()
            status = make_request(client, index, i)
            local_latencies.append(time.perf_counter() - started)
            local_statuses[status] = local_statuses.get(status, 0) + 1
        with lock:
            latencies.extend(local_latencies)
            for status, count in local_statuses.items():
                statuses[status] = statuses.get(status, 0) + count

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses, time.perf_counter() - started


def measure(name, server, connections, per_connection, make_request, weight=1, pg=False):
    pg_pids = postgres_pids() if pg else []
    cpu_before, pg_before = server.cpu(), cpu_seconds(pg_pids)
    latencies, statuses, elapsed = run_load(server.port, connections, per_connection,
                                            make_request)
    pg_started = set(postgres_pids()) - set(pg_pids) if pg else set()
    cpu_after, pg_after = server.cpu(), cpu_seconds(pg_pids) + cpu_seconds(pg_started)
    count = len(latencies)
    latencies.sort()
    errors = {str(s): n for s, n in statuses.items() if s >= 400}
    return {
        "scenario": name,
        "requests": count,
        "requests_per_s": round(count / elapsed, 1),
        "p50_ms": round(latencies[count // 2] * 1000, 2),
        "p99_ms": round(latencies[min(count - 1, int(count * 0.99))] * 1000, 2),
        "errors": errors,
        "server_cpu_ms_per_request": round((cpu_after - cpu_before) * 1000 / count, 3),
        "postgresql_cpu_ms_per_request": (round((pg_after - pg_before) * 1000 / count, 3)
                                          if pg else None),
        "records_per_request": weight,
    }


# --- Scenarios ---------------------------------------------------------------

def mushroom(i):
    colors = ("red", "brown", "white")
    return {"name": f"mushroom-{i % 50}", "size": i % 30, "color": colors[i % 3],
            "edible": i % 2 == 0, "weight": round(i * 0.37, 2)}


def seed(port):
    client = Client(port)
    ids = []
    for start in range(0, SEED_RECORDS, 25):
        requests = [{"method": "POST", "path": "/mushrooms", "body": {"data": mushroom(i)}}
                    for i in range(start, start + 25)]
        status, _, body = client.request("POST", "/v1/batch", {"requests": requests})
        assert status == 200, body
        for response in json.loads(body)["responses"]:
            assert response["status"] == 201, response
            ids.append(response["body"]["data"]["id"])
    return ids


def scenarios(server, ids, pg, quick, floor_ratio_too=True):
    scale = 0.2 if quick else 1
    n = lambda count: max(1, int(count * scale))  # noqa: E731
    results = []

    counter = iter(range(10**9))
    results.append(measure("(a) POST create, 8 conn", server, 8, n(250), lambda c, w, i: c.request(
        "POST", "/v1/mushrooms", {"data": mushroom(next(counter))})[0], pg=pg))

    record = f"/v1/mushrooms/{ids[0]}"
    results.append(measure("(b) GET one record", server, 4, n(500),
                           lambda c, w, i: c.request("GET", record)[0], pg=pg))
    if floor_ratio_too:  # pinned single process only: the floor runs the same way
        results.append(floor_ratio(server, record, quick))

    page = "/v1/mushrooms?name=mushroom-7&min_size=10&_sort=-size&_limit=100"
    results.append(measure("(c) filtered sorted page", server, 4, n(50),
                           lambda c, w, i: c.request("GET", page)[0], weight=100, pg=pg))

    results.append(follow_pages(server, pg))

    etags = {}

    def patch(client, worker, i):
        target = f"/v1/mushrooms/{ids[1 + worker]}"
        if worker not in etags:
            etags[worker] = client.request("GET", target)[1]["ETag"]
        status, headers, _ = client.request(
            "PATCH", target, {"data": {"weight": i}}, dict(HEADERS, **{"If-Match": etags[worker]}))
        etags[worker] = headers.get("ETag", etags[worker])
        return status

    results.append(measure("(e) PATCH If-Match, 4 conn", server, 4, n(250), patch, pg=pg))

    def batch(client, worker, i):
        requests = [{"method": "POST", "path": "/mushrooms",
                     "body": {"data": mushroom(next(counter))}} for _ in range(25)]
        status, _, body = client.request("POST", "/v1/batch", {"requests": requests})
        statuses = {r["status"] for r in json.loads(body)["responses"]} if status == 200 else set()
        return max(statuses | {status}) if statuses - {201} else status

    results.append(measure("(f) batch of 25 creates, 4 conn", server, 4, n(40), batch,
                           weight=25, pg=pg))

    client = Client(server.port)
    since = client.request("GET", "/v1/mushrooms?_limit=1")[1]["ETag"].strip('"')
    for record_id in ids[100:200]:
        client.request("PATCH", f"/v1/mushrooms/{record_id}", {"data": {"color": "blue"}})
    changes = f"/v1/mushrooms?_since={since}&_sort=last_modified"
    results.append(measure("(g) _since, 100 changes", server, 2, n(50),
                           lambda c, w, i: c.request("GET", changes)[0], weight=100, pg=pg))
    return results


def follow_pages(server, pg):
    """(d) Walk every page by 100; report CPU per page at the start and the end."""
    client = Client(server.port)
    url = "/v1/mushrooms?_limit=100&_sort=-last_modified"
    per_page, pg_per_page, latencies, statuses = [], [], [], {}
    pg_pids = postgres_pids() if pg else []
    cpu_total, pg_total = server.cpu(), cpu_seconds(pg_pids)
    while url:
        cpu_before, pg_before = server.cpu(), cpu_seconds(pg_pids)
        started = time.perf_counter()
        status, headers, _ = client.request("GET", url)
        latencies.append(time.perf_counter() - started)
        per_page.append(server.cpu() - cpu_before)
        pg_per_page.append(cpu_seconds(pg_pids) - pg_before)
        statuses[status] = statuses.get(status, 0) + 1
        next_page = headers.get("Next-Page")
        url = urllib.parse.urlsplit(next_page)._replace(scheme="", netloc="").geturl() \
            if next_page else None
    count = len(latencies)
    window = max(1, count // 10)
    latencies.sort()
    return {
        "scenario": "(d) Next-Page through all, by 100",
        "requests": count,
        "requests_per_s": round(count / sum(latencies), 1),
        "p50_ms": round(latencies[count // 2] * 1000, 2),
        "p99_ms": round(latencies[min(count - 1, int(count * 0.99))] * 1000, 2),
        "errors": {str(s): n for s, n in statuses.items() if s >= 400},
        "server_cpu_ms_per_request": round((server.cpu() - cpu_total) * 1000 / count, 3),
        "postgresql_cpu_ms_per_request": (
            round((cpu_seconds(pg_pids) - pg_total) * 1000 / count, 3) if pg else None),
        "first_pages_cpu_ms": round(sum(per_page[:window]) * 1000 / window, 3),
        "last_pages_cpu_ms": round(sum(per_page[-window:]) * 1000 / window, 3),
        "first_pages_pg_ms": round(sum(pg_per_page[:window]) * 1000 / window, 3) if pg else None,
        "last_pages_pg_ms": round(sum(pg_per_page[-window:]) * 1000 / window, 3) if pg else None,
        "records_per_request": 100,
    }


def floor_server() -> "Server":
    """A bare Pyramid view on the same server settings (``/v1/__lbheartbeat__``)."""
    port = free_port()
    code = ("from pyramid.config import Configurator\n"
            "from waitress import serve\n"
            "def view(request):\n    return {}\n"
            "c = Configurator()\n"
            "c.add_route('x', '/v1/__lbheartbeat__')\n"
            "c.add_view(view, route_name='x', renderer='json')\n"
            f"serve(c.make_wsgi_app(), host='127.0.0.1', port={port}, threads=4, _quiet=True)\n")
    return Server([sys.executable, "-c", code], port)


def floor(quick):
    """A bare Pyramid view on the same server settings."""
    server = floor_server()
    try:
        return measure("floor: bare Pyramid view", server, 4, 100 if quick else 500,
                       lambda c, w, i: c.request("GET", "/v1/__lbheartbeat__")[0])
    finally:
        server.stop()


def floor_ratio(server, path, quick, rounds=8):
    """CPU per request of ``GET path`` over the floor's, measured in alternation.

    The CPU a request costs drifts during a run (other guests of a virtual
    machine, frequency): bursts of the two servers alternate, so that both
    see the same conditions, and the ratio of their totals is reported with
    the median of the rounds' ratios.
    """
    bare = floor_server()
    per_burst = 50 if quick else 150
    totals = {"app": [0.0, 0], "floor": [0.0, 0]}
    ratios = []
    try:
        for _ in range(rounds):
            costs = {}
            for name, target, target_path in (("floor", bare, "/v1/__lbheartbeat__"),
                                              ("app", server, path)):
                result = measure(name, target, 4, per_burst,
                                 lambda c, w, i, p=target_path: c.request("GET", p)[0])
                cpu = result["server_cpu_ms_per_request"] * result["requests"]
                totals[name][0] += cpu
                totals[name][1] += result["requests"]
                costs[name] = result["server_cpu_ms_per_request"]
            if costs["floor"]:
                ratios.append(costs["app"] / costs["floor"])
    finally:
        bare.stop()
    app_ms = totals["app"][0] / totals["app"][1]
    floor_ms = totals["floor"][0] / totals["floor"][1]
    ratios.sort()
    return {
        "scenario": "(b) / floor, alternating",
        "app_cpu_ms_per_request": round(app_ms, 3),
        "floor_cpu_ms_per_request": round(floor_ms, 3),
        "ratio": round(app_ms / floor_ms, 2),
        "median_round_ratio": round(ratios[len(ratios) // 2], 2) if ratios else None,
    }


def print_scale_out(results, workers):
    """Throughput of (b) with ``workers`` workers against one."""
    def get_rate(title):
        rows = [r for r in results[title] if r["scenario"].startswith("(b)")]
        return rows[0]["requests_per_s"], rows[0]["scenario"]

    one, scenario = get_rate("postgresql, gunicorn, 1 worker")
    many, _ = get_rate(f"postgresql, gunicorn, {workers} workers")
    print(f"\nscale-out: {scenario}: {many} req/s with {workers} workers, {one} with one: "
          f"{many / one:.2f}x")


def run_backend(backend, workers, quick, scale=False):
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        ini = write_ini(backend, port, directory)
        pg = backend == "postgresql"
        if pg:
            reset_postgresql_database()
            import redis

            redis.Redis.from_url(REDIS_URL).flushdb()
            subprocess.run([os.path.join(BIN, "cliquet"), "--ini", ini, "migrate"], check=True,
                           cwd=ROOT, capture_output=True)
        if scale:
            command = [os.path.join(BIN, "gunicorn"), "--paste", ini, "-w", str(workers),
                       "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
        else:
            command = [os.path.join(BIN, "pserve"), ini]
        server = Server(command, port)
        try:
            ids = seed(port)
            if pg:
                analyze_postgresql_database()
            if scale:
                return scale_out(server, ids, quick)
            return scenarios(server, ids, pg, quick)
        finally:
            server.stop()


def wrk_get(server, path, quick, pg=True):
    """(b) driven by wrk (C, a few microseconds of CPU per request), if installed.

    The Python load generator needs about as much CPU per request as the
    server: when the workers share the CPUs with it, it caps their throughput.
    """
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    pg_pids = postgres_pids() if pg else []
    cpu_before, pg_before = server.cpu(), cpu_seconds(pg_pids)
    command = [wrk, "-t1", "-c8", f"-d{2 if quick else 8}s", "--latency",
               "-H", f"Authorization: {AUTH}", f"http://127.0.0.1:{server.port}{path}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    cpu_after, pg_after = server.cpu(), cpu_seconds(pg_pids)
    count = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def percentile(label):
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 2)

    return {
        "scenario": "(b) GET one record, wrk 8 conn",
        "requests": count,
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": percentile("50"),
        "p99_ms": percentile("99"),
        "errors": {"non-2xx": int(non_2xx.group(1))} if non_2xx else {},
        "server_cpu_ms_per_request": round((cpu_after - cpu_before) * 1000 / count, 3),
        "postgresql_cpu_ms_per_request": (round((pg_after - pg_before) * 1000 / count, 3)
                                          if pg else None),
        "records_per_request": 1,
    }


def scale_out(server, ids, quick):
    """(a), (b), (e), (f) against several workers, and last_modified ordering."""
    results = []
    by_wrk = wrk_get(server, f"/v1/mushrooms/{ids[0]}", quick)
    if by_wrk is not None:
        results.append(by_wrk)
    results += [r for r in scenarios(server, ids, True, quick, floor_ratio_too=False)
                if r["scenario"][:3] in ("(a)", "(b)", "(e)", "(f)")]
    client = Client(server.port)
    status, _, body = client.request("GET", "/v1/mushrooms?_sort=last_modified")
    stamps = [r["last_modified"] for r in json.loads(body)["data"]]
    results.append({"scenario": "last_modified strictly increasing",
                    "ok": all(a < b for a, b in zip(stamps, stamps[1:]))})
    return results


def print_table(title, results):
    print(f"\n{title}")
    header = f"{'scenario':38} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms':>8} " \
             f"{'PG ms':>7}  errors"
    print(header)
    print("-" * len(header))
    for r in results:
        if "ratio" in r:
            print(f"{r['scenario']:38} {r['ratio']}x the floor "
                  f"({r['app_cpu_ms_per_request']} ms / {r['floor_cpu_ms_per_request']} ms; "
                  f"median of rounds {r['median_round_ratio']}x)")
            continue
        if "requests" not in r:
            print(f"{r['scenario']:38} {r}")
            continue
        pg = r.get("postgresql_cpu_ms_per_request")
        extra = ""
        if "first_pages_cpu_ms" in r:
            extra = (f"  (CPU/page first {r['first_pages_cpu_ms']} ms,"
                     f" last {r['last_pages_cpu_ms']} ms")
            if r.get("first_pages_pg_ms") is not None:
                extra += (f"; PG first {r['first_pages_pg_ms']} ms,"
                          f" last {r['last_pages_pg_ms']} ms")
            extra += ")"
        print(f"{r['scenario']:38} {r['requests_per_s']:>9} {r['p50_ms']:>8} {r['p99_ms']:>8} "
              f"{r['server_cpu_ms_per_request']:>8} {'' if pg is None else pg:>7}  "
              f"{r['errors'] or '-'}{extra}")


def pin_processes() -> str:
    """Keep the load generator on the first CPU and the server on the others.

    Unpinned, waitress' threads and the client's bounce between the CPUs: on
    2 CPUs the bare-Pyramid floor then costs 1.5 to 4 ms of CPU per request
    instead of 0.4, and varies from run to run with what else is running.
    """
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return "not pinned (one CPU)"
    os.sched_setaffinity(0, {cpus[0]})
    SERVER_CPUS.update(cpus[1:])
    return f"client on CPU {cpus[0]}, server on CPU {','.join(map(str, cpus[1:]))}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("memory", "postgresql", "all"), default="all")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="fewer requests, for a smoke run")
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--no-pin", action="store_true",
                        help="let the client and a single server process share the CPUs")
    args = parser.parse_args(argv)

    pinning = "not pinned"
    if args.workers == 1 and not args.no_pin:
        pinning = pin_processes()
    report = {"cpus": os.cpu_count(), "workers": args.workers, "pinning": pinning,
              "results": {}}
    print(f"CPUs: {os.cpu_count()}, workers: {args.workers}, {pinning}")
    report["results"]["floor"] = [floor(args.quick)]
    print_table("floor", report["results"]["floor"])
    backends = ["memory", "postgresql"] if args.backend == "all" else [args.backend]
    if args.workers > 1:
        # The same gunicorn setup with one worker, then with --workers.
        for workers in (1, args.workers):
            title = f"postgresql, gunicorn, {workers} worker{'s' if workers > 1 else ''}"
            report["results"][title] = run_backend("postgresql", workers, args.quick,
                                                    scale=True)
            print_table(title, report["results"][title])
        print_scale_out(report["results"], args.workers)
        backends = []
    for backend in backends:
        results = run_backend(backend, args.workers, args.quick)
        report["results"][backend] = results
        print_table(backend, results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
