#!/usr/bin/env python3
"""Database health of the FinGood demo database (the runbook's
`python -c "from app.core.database import get_db_health; print(get_db_health())"`).

Prints one health line, or with --json one JSON object (the demo records its values as the
environmental checks' measurements):

    python demo/checks/health.py [DATABASE_URL] [--json]

The URL defaults to DEMO_DATABASE_URL. Exit 0: healthy; 1: connected but unhealthy (connection
usage at 80 % or more); 2: the database cannot be reached.
"""

import json
import time

from demo_db import EXIT_FAIL, EXIT_PASS, connect, current_revision, run


def get_db_health(argv):
    started = time.monotonic()
    conn = connect(argv)
    with conn:
        conn.execute("SELECT 1").fetchone()
        latency_ms = (time.monotonic() - started) * 1000
        database, version, size = conn.execute(
            "SELECT current_database(), current_setting('server_version'), pg_database_size(current_database())"
        ).fetchone()
        used, limit = conn.execute(
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),"
            " current_setting('max_connections')::int"
        ).fetchone()
        replicas, lag = conn.execute(
            "SELECT count(*), coalesce(max(extract(epoch FROM replay_lag)), 0) FROM pg_stat_replication"
        ).fetchone()
        revision = current_revision(conn)
    usage = 100.0 * used / limit if limit else 100.0
    return {
        "status": "healthy" if usage < 80 else "degraded",
        "database": database,
        "server_version": version,
        "latency_ms": f"{latency_ms:.1f}",
        "connections": used,
        "max_connections": limit,
        "connection_usage_percent": f"{usage:.1f}",
        "replicas": replicas,
        "replication_lag_seconds": f"{float(lag):.1f}",
        "database_size_bytes": size,
        "alembic_revision": revision,
    }


def main(argv):
    health = get_db_health(argv)
    print(json.dumps(health, sort_keys=True) if "--json" in argv else health)
    return EXIT_PASS if health["status"] == "healthy" else EXIT_FAIL


if __name__ == "__main__":
    run(main)
