"""Storage backend benchmarks.

    python bench/backends.py [--records 1000000] [--memory-records 100000] [--creates 5000]

1. PostgreSQL: seeds ``--records`` small records in one collection (COPY), then
   times one page of 100 with one filter, one sort and its total count: the
   first page, and the 500th page reached by keyset pagination.
2. PostgreSQL: create throughput through the storage API: one commit per
   create from 1 and ``--threads`` threads, then all in one transaction.
3. Memory backend: resident memory holding ``--memory-records`` records.
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
PAGE_SIZE = 100
PAGE_NUMBER = 500


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def small_record(i: int, rng: random.Random) -> dict:
    return {"title": f"record {i}", "status": rng.choice(STATUSES),
            "rank": rng.randint(0, 1_000_000), "done": rng.random() < 0.5}


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


def seed(url: str, count: int) -> None:
    """COPY ``count`` records (timestamps 1..count) into the bench collection."""
    rng = random.Random(2)
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cursor:
        cursor.execute("DELETE FROM records WHERE parent_id = 'bench'")
        cursor.execute("DELETE FROM timestamps WHERE parent_id = 'bench'")
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


def bench_pages(storage, repeat: int) -> None:
    filters = [Filter("status", "s3", COMPARISON.EQ)]
    sorting = [Sort("rank", 1), Sort("last_modified", -1)]
    page, total = storage.get_all(filters=filters, sorting=sorting, limit=PAGE_SIZE, **COLLECTION)
    first = median_ms(lambda: storage.get_all(filters=filters, sorting=sorting,
                                              limit=PAGE_SIZE, **COLLECTION), repeat)
    print(f"postgresql: page of {PAGE_SIZE}, filter status=s3 ({total:,} matching), "
          f"sort rank: first page median {first:.1f} ms (count included)")
    # Last record of page 499, found directly (setup only, not timed).
    offset = (PAGE_NUMBER - 1) * PAGE_SIZE - 1
    if offset >= total:
        print(f"postgresql: fewer than {PAGE_NUMBER} pages, skipping the keyset page")
        return
    previous, _ = storage.get_all(filters=filters, sorting=sorting, limit=offset + 1,
                                  **COLLECTION)
    rules = pagination_rules(sorting, previous[-1])
    deep = median_ms(lambda: storage.get_all(filters=filters, sorting=sorting, limit=PAGE_SIZE,
                                             pagination_rules=rules, **COLLECTION), repeat)
    page, page_total = storage.get_all(filters=filters, sorting=sorting, limit=PAGE_SIZE,
                                       pagination_rules=rules, **COLLECTION)
    assert page_total == total and len(page) == PAGE_SIZE
    print(f"postgresql: page {PAGE_NUMBER} (keyset) median {deep:.1f} ms "
          f"({deep / first:.2f}x the first page)")


def bench_creates(storage, count: int, threads: int) -> None:
    """Creates through the storage API, one commit each, from 1 and ``threads`` threads."""
    def create(collection_id: str, number: int) -> None:
        rng = random.Random(collection_id)
        for i in range(number):
            storage.create(record=small_record(i, rng), collection_id=collection_id,
                           parent_id="bench")

    for workers in (1, threads):
        collections = [f"creates-{n}" for n in range(workers)]
        started = time.perf_counter()
        pool = [threading.Thread(target=create, args=(c, count // workers)) for c in collections]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        elapsed = time.perf_counter() - started
        total = count // workers * workers
        print(f"postgresql: {total:,} creates, {workers} thread(s) (one collection each), "
              f"one commit each: {total / elapsed:,.0f} records/s")
        for collection_id in collections:
            storage.delete_all(with_deleted=False, collection_id=collection_id,
                               parent_id="bench")


def bench_creates_in_one_transaction(url: str, count: int) -> None:
    """Creates joined to one request transaction (``transaction_per_request``)."""
    import transaction

    config = Configurator(settings={"storage_url": url, "transaction_per_request": True})
    storage = postgresql.load_from_config(config)
    rng = random.Random(4)
    target = {"collection_id": "creates-tx", "parent_id": "bench"}
    started = time.perf_counter()
    with transaction.manager:
        for i in range(count):
            storage.create(record=small_record(i, rng), **target)
    elapsed = time.perf_counter() - started
    print(f"postgresql: {count:,} creates in one transaction: {count / elapsed:,.0f} records/s")
    with transaction.manager:
        storage.delete_all(with_deleted=False, **target)
    storage.client.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--memory-records", type=int, default=100_000)
    parser.add_argument("--creates", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--url", default="postgresql://postgres:postgres@127.0.0.1:5432/"
                                         "cliquet_bench")
    options = parser.parse_args()
    print(f"CPUs: {os.cpu_count()}")

    bench_memory(options.memory_records)
    ensure_database(options.url)
    # The fetch cap is raised so that the setup can fetch the 499 pages before the keyset page.
    config = Configurator(settings={"storage_url": options.url, "transaction_per_request": False,
                                    "storage_max_fetch_size": options.records})
    storage = postgresql.load_from_config(config)
    storage.initialize_schema()
    started = time.perf_counter()
    seed(options.url, options.records)
    print(f"postgresql: seeded {options.records:,} records in "
          f"{time.perf_counter() - started:.0f} s")
    bench_pages(storage, options.repeat)
    bench_creates(storage, options.creates, options.threads)
    bench_creates_in_one_transaction(options.url, options.creates)
    storage.client.engine.dispose()


if __name__ == "__main__":
    main()
