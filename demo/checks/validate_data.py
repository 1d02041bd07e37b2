#!/usr/bin/env python3
"""Data integrity validation of the FinGood demo database (the runbook's
`python migrations/test_migrations.py --validate-data`).

Compares the accounts with the baseline that migration 0001 recorded in data_integrity_baseline:
the row count, the total of balances in cents, and a checksum over every (id, balance). Prints
a short report.

    python demo/checks/validate_data.py [DATABASE_URL] [--json]

The URL defaults to DEMO_DATABASE_URL. Exit 0: every check passes; 1: a check fails;
2: the validation could not run (no URL, database unreachable).
"""

import json
import sys

from demo_db import EXIT_ERROR, EXIT_FAIL, EXIT_PASS, balance_expression, columns, connect, current_revision, run


def main(argv):
    as_json = "--json" in argv
    conn = connect(argv)
    with conn:
        database = conn.execute("SELECT current_database()").fetchone()[0]
        revision = current_revision(conn)
        if not columns(conn, "accounts") or not columns(conn, "data_integrity_baseline"):
            print(f"error: {database} has no accounts or no baseline: run alembic upgrade first", file=sys.stderr)
            return EXIT_ERROR
        baseline = conn.execute(
            "SELECT row_count, balance_total_cents, balance_checksum FROM data_integrity_baseline"
            " WHERE captured_by = '0001_create_accounts'"
        ).fetchone()
        if baseline is None:
            print(f"error: {database} has no baseline from 0001_create_accounts", file=sys.stderr)
            return EXIT_ERROR
        expr = balance_expression(conn)
        checks = []
        if expr is None:
            checks.append(("balance columns", False, "accounts has no balance column this check knows"))
            count = conn.execute("SELECT count(*) FROM accounts").fetchone()[0]
            checks.append(("row count", count == baseline[0], f"{count} (baseline {baseline[0]})"))
        else:
            count, total, checksum, nulls, negatives = conn.execute(
                f"SELECT count(*), coalesce(sum({expr}), 0)::bigint,"
                f" md5(coalesce(string_agg(id || ':' || {expr}, ',' ORDER BY id), '')),"
                f" count(*) FILTER (WHERE {expr} IS NULL), count(*) FILTER (WHERE {expr} < 0)"
                " FROM accounts"
            ).fetchone()
            checks.append(("row count", count == baseline[0], f"{count} (baseline {baseline[0]})"))
            diff = total - baseline[1]
            checks.append(("balance total", diff == 0, f"{total} cents (baseline {baseline[1]}, difference {diff:+d})"))
            checks.append(
                ("balance checksum", checksum == baseline[2], f"{checksum[:12]}… (baseline {baseline[2][:12]}…)")
            )
            checks.append(
                ("null or negative balances", nulls == 0 and negatives == 0, f"{nulls} null, {negatives} negative")
            )
            if "balance_cents_pre_0003" in columns(conn, "accounts"):
                differing = conn.execute(
                    f"SELECT count(*) FROM accounts WHERE {expr} IS DISTINCT FROM balance_cents_pre_0003"
                ).fetchone()[0]
                checks.append(
                    (
                        "rows equal to the pre-migration column",
                        differing == 0,
                        f"{differing} rows differ from balance_cents_pre_0003",
                    )
                )
    failed = [name for name, ok, _ in checks if not ok]
    if as_json:
        print(
            json.dumps(
                {
                    "database": database,
                    "revision": revision,
                    "result": "fail" if failed else "pass",
                    "checks": [{"check": n, "result": "pass" if ok else "fail", "details": d} for n, ok, d in checks],
                },
                sort_keys=True,
            )
        )
    else:
        print(f"data integrity validation of {database} at revision {revision or '(none)'}")
        for name, ok, details in checks:
            print(f"  {'ok  ' if ok else 'FAIL'}  {name}: {details}")
        print(f"result: {'FAIL: ' + ', '.join(failed) if failed else 'PASS'}")
    return EXIT_FAIL if failed else EXIT_PASS


if __name__ == "__main__":
    run(main)
