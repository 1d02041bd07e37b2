#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for one test run.
#
#   scripts/pg-throwaway.sh start DIR   # prints postgresql://postgres@127.0.0.1:PORT/postgres
#   scripts/pg-throwaway.sh stop DIR    # stops it and removes DIR
#
# The data lives under DIR (created if missing; usually `mktemp -d`). The server listens on a free
# port of 127.0.0.1 only, with no Unix socket, and trusts every connection: acceptable because
# nothing but this machine can reach it and it lives for one test run. Durability is switched off
# for speed. As root, the server runs as the `postgres` OS user (PostgreSQL refuses root), which
# then owns DIR.
#
# `start` prints exactly one line on stdout, the URL; everything else goes to stderr.
# Server binaries: $SEALBOOK_PG_BIN, else the newest /usr/lib/postgresql/*/bin, else
# `pg_config --bindir`.
set -euo pipefail

MARKER=".sealbook-pg-throwaway"

die() {
    echo "pg-throwaway: $*" >&2
    exit 1
}

usage() {
    echo "usage: $0 start DIR | stop DIR" >&2
    exit 2
}

find_bindir() {
    if [[ -n "${SEALBOOK_PG_BIN:-}" ]]; then
        [[ -x "$SEALBOOK_PG_BIN/initdb" && -x "$SEALBOOK_PG_BIN/pg_ctl" ]] \
            || die "SEALBOOK_PG_BIN=$SEALBOOK_PG_BIN holds no initdb and pg_ctl"
        echo "$SEALBOOK_PG_BIN"
        return
    fi
    local dir best=""
    # Version-sorted, so the newest wins (10 after 9.6).
    while IFS= read -r dir; do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            best="$dir"
        fi
    done < <(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V)
    if [[ -z "$best" ]] && command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null || true)"
        if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            best="$dir"
        fi
    fi
    [[ -n "$best" ]] || die "PostgreSQL server binaries not found: install postgresql-15 or set SEALBOOK_PG_BIN"
    echo "$best"
}

# Runs a server program, as the postgres user when we are root, from DIR (so that the postgres
# user is never left in a folder it cannot read). Its output goes to stderr.
as_server() {
    if [[ "$(id -u)" -eq 0 ]]; then
        (cd "$DIR" && runuser -u postgres -- "$@") >&2
    else
        (cd "$DIR" && "$@") >&2
    fi
}

# Whether something accepts connections on 127.0.0.1:$1.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
    local bindir port attempt log
    bindir="$(find_bindir)"
    mkdir -p "$DIR"
    DIR="$(cd "$DIR" && pwd -P)"
    [[ -z "$(ls -A "$DIR")" ]] || die "$DIR is not empty; give an empty folder (e.g. \$(mktemp -d))"
    : >"$DIR/$MARKER"
    if [[ "$(id -u)" -eq 0 ]]; then
        id postgres >/dev/null 2>&1 \
            || die "running as root needs the OS user postgres (apt-get install postgresql-15)"
        chown -R postgres: "$DIR"
        # Every folder above DIR must be passable by postgres.
        local parent="$DIR"
        while [[ "$parent" != "/" ]]; do
            parent="$(dirname "$parent")"
            runuser -u postgres -- test -x "$parent" \
                || die "the postgres user cannot enter $parent; use a DIR under /tmp"
        done
    fi
    chmod 0700 "$DIR"

    as_server "$bindir/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C \
        --no-sync --no-instructions \
        || die "initdb failed for $DIR/data"
    cat >>"$DIR/data/postgresql.conf" <<'EOF'

# scripts/pg-throwaway.sh: a server for one test run.
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

    log="$DIR/server.log"
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        # A random port below Linux's ephemeral range, not in use now. If someone takes it
        # before the server binds it, the start fails and the next attempt picks another.
        port=$((20000 + RANDOM % 12000))
        if port_in_use "$port"; then
            continue
        fi
        if as_server "$bindir/pg_ctl" -D "$DIR/data" -l "$log" -o "-p $port" -w -t 60 start; then
            echo "$port" >"$DIR/port"
            echo "postgresql://postgres@127.0.0.1:$port/postgres"
            return 0
        fi
        if ! grep -q -e "could not bind" -e "Address already in use" "$log" 2>/dev/null; then
            tail -n 30 "$log" >&2 || true
            die "the server did not start (log: $log)"
        fi
        echo "pg-throwaway: port $port was taken; trying another (attempt $attempt)" >&2
        : >"$log"
    done
    die "could not find a free port after 10 attempts"
}

stop() {
    [[ -d "$DIR" ]] || return 0
    DIR="$(cd "$DIR" && pwd -P)"
    # Only ever remove a folder this script made.
    [[ -e "$DIR/$MARKER" ]] || die "$DIR was not made by $0 start; not touching it"
    if [[ -f "$DIR/data/postmaster.pid" ]]; then
        local bindir
        bindir="$(find_bindir)"
        as_server "$bindir/pg_ctl" -D "$DIR/data" -m fast -w -t 60 stop \
            || echo "pg-throwaway: pg_ctl stop failed for $DIR/data" >&2
    fi
    rm -rf -- "$DIR"
}

[[ $# -eq 2 && -n "$2" ]] || usage
DIR="$2"
case "$1" in
    start) start ;;
    stop) stop ;;
    *) usage ;;
esac
