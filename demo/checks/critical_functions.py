#!/usr/bin/env python3
"""Critical business functions of the FinGood demo database (the runbook's
`python migrations/validate_critical_functions.py`): the queries the application cannot do
without, run against the schema as it is now.

    python demo/checks/critical_functions.py [DATABASE_URL]

The URL defaults to DEMO_DATABASE_URL. Exit 0: every function works; 1: one does not;
2: the database cannot be reached.
"""

import psycopg
from demo_db import EXIT_FAIL, EXIT_PASS, balance_expression, columns, connect, current_revision, run


def check_balance_lookup(conn, expr):
    """An account's balance by its owner reference (the account page)."""
    owner = conn.execute("SELECT owner_ref FROM accounts ORDER BY id LIMIT 1").fetchone()
    if owner is None:
        return False, "no account"
    rows = conn.execute(f"SELECT id, {expr}, currency FROM accounts WHERE owner_ref = %s", owner).fetchall()
    return len(rows) == 1 and rows[0][1] is not None, f"{len(rows)} account(s) for {owner[0]}"


def check_currency_totals(conn, expr):
    """Total balances per currency (the daily treasury report)."""
    rows = conn.execute(
        f"SELECT currency, count(*), sum({expr})::bigint FROM accounts GROUP BY currency ORDER BY currency"
    ).fetchall()
    ok = {r[0] for r in rows} == {"EUR", "GBP", "USD"} and all(r[2] is not None for r in rows)
    return ok, ", ".join(f"{r[0]} {r[1]} accounts" for r in rows)


def check_fee_statement(conn):
    """An account's fees in a month (the statement), when the fees table exists (0002 on)."""
    if not columns(conn, "fees"):
        return True, "no fees table at this revision (skipped)"
    rows = conn.execute(
        "SELECT count(*), coalesce(sum(amount_cents), 0)::bigint FROM fees"
        " WHERE account_id = 28 AND charged_at >= '2024-01-01' AND charged_at < '2024-02-01'"
    ).fetchone()
    return rows[0] == 2, f"account 28: {rows[0]} fee(s) in January 2024, {rows[1]} cents"


def main(argv):
    conn = connect(argv)
    results = []
    with conn:
        revision = current_revision(conn)
        expr = balance_expression(conn)
        if expr is None:
            results.append(("balance columns", False, "accounts has no balance column"))
        else:
            for name, check in (
                ("balance lookup", lambda: check_balance_lookup(conn, expr)),
                ("currency totals", lambda: check_currency_totals(conn, expr)),
                ("fee statement", lambda: check_fee_statement(conn)),
            ):
                try:
                    ok, details = check()
                except psycopg.Error as error:
                    ok, details = False, str(error).strip().splitlines()[0]
                results.append((name, ok, details))
    print(f"critical business functions at revision {revision or '(none)'}")
    for name, ok, details in results:
        print(f"  {'ok  ' if ok else 'FAIL'}  {name}: {details}")
    failed = [n for n, ok, _ in results if not ok]
    print(f"result: {'FAIL: ' + ', '.join(failed) if failed else 'PASS'}")
    return EXIT_FAIL if failed else EXIT_PASS


if __name__ == "__main__":
    run(main)
