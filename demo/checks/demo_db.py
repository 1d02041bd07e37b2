"""Shared helpers of the demo checks: the connection and the schema-aware balance expression.

The database is the first command-line argument, else DEMO_DATABASE_URL. Both the SQLAlchemy
spelling (postgresql+psycopg://…) and a plain libpq URL (postgresql://…) are accepted. The
password is never printed: messages show the URL with it masked.
"""

import os
import re
import sys

import psycopg

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_ERROR = 2  # the check could not run (no URL, database unreachable)


def database_url(argv):
    """The URL from the first positional argument or DEMO_DATABASE_URL, in libpq form."""
    positional = [a for a in argv if not a.startswith("--")]
    raw = positional[0] if positional else os.environ.get("DEMO_DATABASE_URL", "")
    if not raw:
        fail_to_run("no database: pass a URL or export DEMO_DATABASE_URL")
    # postgresql+psycopg:// -> postgresql:// (libpq does not know SQLAlchemy driver names).
    return re.sub(r"^postgresql\+[a-z0-9_]+://", "postgresql://", raw)


def redacted(url):
    """The URL with its password replaced by ***."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def fail_to_run(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(EXIT_ERROR)


def connect(argv):
    url = database_url(argv)
    try:
        return psycopg.connect(url, connect_timeout=10, autocommit=True)
    except psycopg.Error as error:
        # libpq's message can quote the conninfo; keep only its first line, masked.
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        fail_to_run(f"cannot connect to {redacted(url)}: {redacted(first)}")


def columns(conn, table):
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s",
        (table,),
    ).fetchall()
    return {r[0] for r in rows}


def balance_expression(conn):
    """SQL for an account's balance in cents, whichever schema revision the database is at:
    balance_cents (0001, 0002) or balance_major * 100 + balance_minor (0003)."""
    cols = columns(conn, "accounts")
    if "balance_cents" in cols:
        return "balance_cents"
    if {"balance_major", "balance_minor"} <= cols:
        return "(balance_major * 100 + balance_minor)"
    return None


def current_revision(conn):
    if not columns(conn, "alembic_version"):
        return None
    row = conn.execute("SELECT string_agg(version_num, ',') FROM alembic_version").fetchone()
    return row[0] if row else None


def run(main):
    """Runs main(argv) and exits with its code; an unexpected error exits 2, not 1, so that a
    crash of the check is never mistaken for a failed check."""
    try:
        code = main(sys.argv[1:])
    except psycopg.Error as error:
        text = str(error).strip()
        fail_to_run(f"database error: {redacted(text.splitlines()[0]) if text else type(error).__name__}")
    except Exception as error:  # noqa: BLE001 - reported, and the exit code says "could not run"
        fail_to_run(f"{type(error).__name__}: {error}")
    sys.exit(code)
