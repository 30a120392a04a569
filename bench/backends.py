"""Storage backend benchmarks.

    python bench/backends.py [--records 1000000] [--creates 5000] [--reuse]

1. Memory backend: resident memory holding ``--memory-records`` records.
2. PostgreSQL: seeds ``--records`` small records in one collection (COPY into
   the dedicated ``--url`` database, emptied first; ``--reuse`` keeps a
   previous seed), then times one page of 100 with its exact total count,
   sorted on a JSON field, for an equality filter matching 10 % and 1 % of
   the records (and without filter): the first page, and a deep page reached
   by keyset pagination (the 500th, or the last full one when there are fewer).
   The issue's target (median under 50 ms) is judged on the 1 % filter.
3. PostgreSQL: create throughput through the storage API, one commit per
   create (the default ``synchronous_commit``): 1 thread, 4 threads into 4
   collections, 4 threads into one collection, then 1 thread in one
   transaction. Each figure is the median of ``--rounds`` runs.
"""
import os
import sys

# bench/http.py is named like the standard library's `http`: keep this folder off the path.
sys.path[:] = [p for p in sys.path
               if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import io  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import psycopg2  # noqa: E402
from pyramid.config import Configurator  # noqa: E402

from cliquet.storage import Filter, Sort, memory, postgresql  # noqa: E402
from cliquet.utils import COMPARISON, json  # noqa: E402

COLLECTION = {"collection_id": "bench", "parent_id": "bench"}
STATUSES = [f"s{i}" for i in range(10)]
CATEGORIES = [f"c{i}" for i in range(100)]
PAGE_SIZE = 100
PAGE_NUMBER = 500
SORTING = [Sort("rank", 1), Sort("last_modified", -1)]
PAGE_CASES = [  # (label, filters)
    ("filter status=s3 (10 %)", [Filter("status", "s3", COMPARISON.EQ)]),
    ("filter category=c42 (1 %)", [Filter("category", "c42", COMPARISON.EQ)]),
    ("no filter", []),
]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def small_record(i: int, rng: random.Random) -> dict:
    return {"title": f"record {i}", "status": rng.choice(STATUSES),
            "category": rng.choice(CATEGORIES), "rank": rng.randint(0, 1_000_000),
            "done": rng.random() < 0.5}


def bench_memory(count: int) -> None:
    rng = random.Random(1)
    before = rss_mb()
    storage = memory.Storage()
    for i in range(count):
        storage.create(record=small_record(i, rng), **COLLECTION)
    after = rss_mb()
    print(f"memory: {count:,} records, RSS {after:.0f} MB "
          f"({after - before:.0f} MB for the records)")


def ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    conn.close()


def is_seeded(url: str, count: int) -> bool:
    """Whether the bench collection holds ``count`` records of the current shape."""
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cursor:
        cursor.execute("SELECT COUNT(*), bool_and(data ? 'category') FROM records"
                       " WHERE parent_id = 'bench' AND collection_id = 'bench'")
        seeded = cursor.fetchone() == (count, True)
    conn.close()
    return seeded


def seed(url: str, count: int) -> None:
    """Empty the bench database, then COPY ``count`` records (timestamps 1..count)."""
    rng = random.Random(2)
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cursor:
        cursor.execute("TRUNCATE records, deleted, timestamps")
        cursor.execute("ALTER TABLE records DISABLE TRIGGER USER")
        batch = 100_000
        for start in range(0, count, batch):
            buffer = io.StringIO()
            for i in range(start, min(start + batch, count)):
                data = json.dumps(small_record(i, rng)).replace("\\", "\\\\")
                buffer.write(f"r{i:08d}\tbench\tbench\t{i + 1}\t{data}\n")
            buffer.seek(0)
            cursor.copy_from(buffer, "records", columns=(
                "id", "parent_id", "collection_id", "last_modified", "data"))
        cursor.execute("ALTER TABLE records ENABLE TRIGGER USER")
        cursor.execute("INSERT INTO timestamps VALUES ('bench', 'bench', %s)", (count,))
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE records")
    conn.close()


def pagination_rules(sorting, last_record) -> list:
    """Keyset rules of the page after ``last_record`` (§2.10)."""
    rules = []
    for k in range(len(sorting), 0, -1):
        rule = [Filter(s.field, last_record[s.field], COMPARISON.EQ) for s in sorting[:k - 1]]
        field, direction = sorting[k - 1]
        operator = COMPARISON.GT if direction > 0 else COMPARISON.LT
        rules.append([*rule, Filter(field, last_record[field], operator)])
    return rules


def median_ms(function, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def bench_pages(storage, label: str, filters: list, repeat: int) -> None:
    """First page and a deep keyset page of ``filters``, each with its total count."""
    def page(rules=None):
        return storage.get_all(filters=filters, sorting=SORTING, limit=PAGE_SIZE,
                               pagination_rules=rules, **COLLECTION)

    _, total = page()
    first = median_ms(page, repeat)
    number = min(PAGE_NUMBER, total // PAGE_SIZE)
    # Last record of the previous page, found directly (setup only, not timed).
    previous, _ = storage.get_all(filters=filters, sorting=SORTING,
                                  limit=(number - 1) * PAGE_SIZE, **COLLECTION)
    rules = pagination_rules(SORTING, previous[-1])
    deep = median_ms(lambda: page(rules), repeat)
    records, deep_total = page(rules)
    assert deep_total == total and len(records) == PAGE_SIZE
    print(f"postgresql: page of {PAGE_SIZE} sorted on rank, {label}, {total:,} matching, "
          f"count included: first page median {first:.1f} ms, page {number} (keyset) "
          f"median {deep:.1f} ms ({deep / first:.2f}x)")


def run_creates(storage, collections: list, count: int) -> float:
    """Records/s of ``count`` creates, one commit each, one thread per collection entry."""
    def create(collection_id: str, number: int) -> None:
        rng = random.Random(collection_id)
        for i in range(number):
            storage.create(record=small_record(i, rng), collection_id=collection_id,
                           parent_id="bench")

    number = count // len(collections)
    pool = [threading.Thread(target=create, args=(c, number)) for c in collections]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    for collection_id in set(collections):
        storage.delete_all(with_deleted=False, collection_id=collection_id, parent_id="bench")
    return number * len(collections) / elapsed


def run_creates_in_one_transaction(storage, count: int) -> float:
    """Records/s of ``count`` creates joined to one request transaction."""
    import transaction

    rng = random.Random(4)
    target = {"collection_id": "creates-tx", "parent_id": "bench"}
    started = time.perf_counter()
    with transaction.manager:
        for i in range(count):
            storage.create(record=small_record(i, rng), **target)
    elapsed = time.perf_counter() - started
    with transaction.manager:
        storage.delete_all(with_deleted=False, **target)
    return count / elapsed


def bench_creates(url: str, count: int, threads: int, rounds: int) -> None:
    storage = load_storage(url)
    transactional = load_storage(url, transaction_per_request=True)
    cases = [
        ("1 thread, one commit each", lambda: run_creates(storage, ["creates-0"], count)),
        (f"{threads} threads into {threads} collections, one commit each",
         lambda: run_creates(storage, [f"creates-{n}" for n in range(threads)], count)),
        (f"{threads} threads into one collection, one commit each",
         lambda: run_creates(storage, ["creates-0"] * threads, count)),
        ("1 thread, all in one transaction",
         lambda: run_creates_in_one_transaction(transactional, count)),
    ]
    for label, run in cases:
        figures = [run() for _ in range(rounds)]
        print(f"postgresql: {count:,} creates, {label}: median "
              f"{statistics.median(figures):,.0f} records/s "
              f"({', '.join(f'{f:,.0f}' for f in figures)})")
    storage.client.close()
    transactional.client.close()


def load_storage(url: str, **settings) -> postgresql.Storage:
    settings = {"storage_url": url, "transaction_per_request": False, **settings}
    return postgresql.load_from_config(Configurator(settings=settings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--memory-records", type=int, default=100_000)
    parser.add_argument("--creates", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=21, help="timings per page figure")
    parser.add_argument("--rounds", type=int, default=3, help="runs per create figure")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the records seeded by a previous run when they match")
    parser.add_argument("--url", default="postgresql://postgres:postgres@127.0.0.1:5432/"
                                         "cliquet_bench")
    options = parser.parse_args()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"CPUs: {os.cpu_count()}, load average before: {load}")

    bench_memory(options.memory_records)
    ensure_database(options.url)
    # The fetch cap is raised so that the setup can fetch the pages before the keyset page.
    storage = load_storage(options.url, storage_max_fetch_size=options.records)
    storage.initialize_schema()
    if options.reuse and is_seeded(options.url, options.records):
        print(f"postgresql: reusing {options.records:,} seeded records")
    else:
        started = time.perf_counter()
        seed(options.url, options.records)
        print(f"postgresql: seeded {options.records:,} records in "
              f"{time.perf_counter() - started:.0f} s")
    for label, filters in PAGE_CASES:
        bench_pages(storage, label, filters, options.repeat)
    storage.client.close()
    bench_creates(options.url, options.creates, options.threads, options.rounds)


if __name__ == "__main__":
    main()
