#!/usr/bin/env python3
"""The peer of `sealbook bench`: the Python `eventsourcing` library (PostgreSQL persistence over
psycopg 3) writing and reading events in the same settings as Sealbook's append scenarios.

    peer.py --events N --mode single|batch50|writers4 [--then-read] [--dsn URL]

The database comes from --dsn or $SEALBOOK_PEER_DSN (a postgresql:// URL; the environment keeps
the password out of the process list). Prints exactly one JSON object on stdout:

    {"ok": true, "mode": ..., "events": N, "transactions": T, "seconds": s, "eventsPerSec": r,
     "latency": {"count", "p50Ms", "p99Ms", "meanMs", "maxMs"}, "read": {...}?, "versions": {...}}

or {"ok": false, "error": "..."}; the exit status is 0 only when ok.

Settings, kept equal to the Sealbook side:
  single    one writer, N saves of one new event each (one transaction per event), round robin
            over 100 aggregates (streams); the first save of an aggregate is its creation event.
  batch50   one writer, one save of 50 pending events of one aggregate per transaction, round
            robin over 20 aggregates.
  writers4  four threads sharing one application (its connection pool), each saving N/4 single
            events to its own 25 aggregates.
  --then-read  afterwards, reads every stored event back in order through the application's
            recorder (select_notifications, pages of 1000) and decodes each into a domain event.

Event data has the shape and size of Sealbook's checklist.item.recorded bench events.
"""

import argparse
import importlib.metadata
import json
import os
import platform
import sys
import threading
import time
import urllib.parse

ITEMS = ["replication-lag", "disk-free", "connections-used", "long-running-queries", "locks-waiting",
         "backup-age", "wal-archive-lag", "cache-hit-ratio"]
UNITS = ["ms", "GB", "count", "s", "count", "h", "MB", "pct"]


def item_data(i):
    """The same values as Sealbook's Workload.data(i)."""
    k = i % len(ITEMS)
    return dict(
        item=ITEMS[k],
        status="fail" if i % 53 == 0 else "pass",
        value=f"{i % 977}.{i % 10}",
        unit=UNITS[k],
        threshold={"op": "<=", "value": "1000", "unit": UNITS[k]},
        evidence={"host": f"db-primary-{i % 3}"},
    )


def versions():
    out = {"python": platform.python_version()}
    for name in ("eventsourcing", "psycopg", "psycopg-binary", "psycopg-pool"):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def environment(dsn, pool_size):
    u = urllib.parse.urlsplit(dsn)
    if u.scheme not in ("postgres", "postgresql"):
        raise ValueError("the DSN must be a postgresql:// URL")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": urllib.parse.unquote(u.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": u.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(u.port or 5432),
        "POSTGRES_USER": urllib.parse.unquote(u.username or "postgres"),
        "POSTGRES_PASSWORD": urllib.parse.unquote(u.password or ""),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": "2",
    }


def latency_summary(samples):
    if not samples:
        return {"count": 0, "p50Ms": None, "p99Ms": None, "meanMs": None, "maxMs": None}
    s = sorted(samples)

    def rank(p):  # nearest rank, as the Swift side
        r = max(1, min(len(s), -(-int(p * len(s) * 1000) // 100000)))
        return round(s[r - 1] * 1000, 3)

    return {"count": len(s), "p50Ms": rank(50), "p99Ms": rank(99),
            "meanMs": round(sum(s) / len(s) * 1000, 3), "maxMs": round(s[-1] * 1000, 3)}


def run(args):
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Checklist(Aggregate):
        @event("Opened")
        def __init__(self, name):
            self.name = name
            self.recorded = 0

        @event("ItemRecorded")
        def record_item(self, item, status, value, unit, threshold, evidence):
            self.recorded += 1

    class Bench(Application):
        pass

    dsn = args.dsn or os.environ.get("SEALBOOK_PEER_DSN")
    if not dsn:
        raise ValueError("no database: pass --dsn or set SEALBOOK_PEER_DSN")
    app = Bench(env=environment(dsn, pool_size=8))
    n = args.events
    lat = []
    transactions = 0

    def record(agg, i):
        d = item_data(i)
        agg.record_item(d["item"], d["status"], d["value"], d["unit"], d["threshold"], d["evidence"])

    start = time.perf_counter()
    if args.mode == "single":
        aggs = {}
        for i in range(n):
            s = i % 100
            agg = aggs.get(s)
            if agg is None:
                agg = aggs[s] = Checklist(f"bench/{s}")  # the creation event is this save's event
            else:
                record(agg, i)
            t0 = time.perf_counter()
            app.save(agg)
            lat.append(time.perf_counter() - t0)
            transactions += 1
    elif args.mode == "batch50":
        aggs = {}
        i = 0
        b = 0
        while i < n:
            m = min(50, n - i)
            s = b % 20
            agg = aggs.get(s)
            k = 0
            if agg is None:
                agg = aggs[s] = Checklist(f"batch/{s}")
                k = 1
            while k < m:
                record(agg, i + k)
                k += 1
            t0 = time.perf_counter()
            app.save(agg)
            lat.append(time.perf_counter() - t0)
            transactions += 1
            i += m
            b += 1
    elif args.mode == "writers4":
        per = n // 4
        lats = [[] for _ in range(4)]
        errors = []

        def writer(w):
            try:
                aggs = {}
                for i in range(per):
                    s = i % 25
                    agg = aggs.get(s)
                    if agg is None:
                        agg = aggs[s] = Checklist(f"writer-{w}/{s}")
                    else:
                        record(agg, i)
                    t0 = time.perf_counter()
                    app.save(agg)
                    lats[w].append(time.perf_counter() - t0)
            except Exception as e:  # reported, not swallowed
                errors.append(f"writer {w}: {e!r}")

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise RuntimeError(errors[0])
        for part in lats:
            lat.extend(part)
        n = per * 4
        transactions = n
    else:
        raise ValueError(f"unknown mode {args.mode}")
    seconds = time.perf_counter() - start
    result = {
        "ok": True, "peer": "eventsourcing", "mode": args.mode, "events": n, "transactions": transactions,
        "seconds": round(seconds, 3), "eventsPerSec": round(n / seconds, 1), "latency": latency_summary(lat),
    }

    if args.then_read:
        count = 0
        start = time.perf_counter()
        next_id = 1
        while True:
            page = app.recorder.select_notifications(start=next_id, limit=1000)
            for notification in page:
                app.mapper.to_domain_event(notification)
                count += 1
            if len(page) < 1000:
                break
            next_id = page[-1].id + 1
        seconds = time.perf_counter() - start
        result["read"] = {"events": count, "seconds": round(seconds, 3), "eventsPerSec": round(count / seconds, 1)}
    app.close()
    result["versions"] = versions()
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dsn", help="postgresql:// URL (default: $SEALBOOK_PEER_DSN)")
    p.add_argument("--events", type=int)
    p.add_argument("--mode", choices=["single", "batch50", "writers4"])
    p.add_argument("--then-read", action="store_true", help="read every event back afterwards")
    p.add_argument("--versions", action="store_true", help="print the versions only")
    args = p.parse_args()
    if args.versions:
        print(json.dumps({"ok": True, "versions": versions()}))
        return 0
    if args.events is None or args.mode is None or args.events < 1:
        p.error("--events N (N >= 1) and --mode are required")
    try:
        result = run(args)
    except Exception as e:
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}", "versions": versions()}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
