#!/usr/bin/env bash
# The main job, end to end, on the embedded default database (a private PostgreSQL under
# ./.sealbook, started on demand): create keys, init a ledger, append signed events, verify the
# chain online, export a bundle and verify it offline. Safe to run again: keys and ledger are
# reused, each run records a new session.
#
#   scripts/demo.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
say() { echo "demo: $*" >&2; }
die() {
    say "$*"
    exit 1
}
# shellcheck source=scripts/setup.sh
source "$ROOT/scripts/setup.sh"

# The embedded default: no database named anywhere.
unset SEALBOOK_DATABASE_URL PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGSERVICE SEALBOOK_KEY
export SEALBOOK_HOME="${SEALBOOK_HOME:-$ROOT/.sealbook}"

say "building sealbook (swift build -c release)"
swift build -c release --product sealbook >&2
BIN="$ROOT/.build/release/sealbook"
sb() {
    echo "+ sealbook $*" >&2
    "$BIN" "$@"
}

DEMO="$SEALBOOK_HOME/demo"
mkdir -p "$DEMO"
key() { # actor file
    if [[ ! -f "$DEMO/$2" ]]; then sb keys generate --actor "$1" --out "$DEMO/$2" >/dev/null; fi
}
pub() { sed -n 's/.*"publicKey":"\([^"]*\)".*/\1/p' "$DEMO/$1"; }
kid() { sed -n 's/.*"key":"\([^"]*\)".*/\1/p' "$DEMO/$1"; }

say "1. keys (pseudonymous actors, files mode 0600)"
key root@fingood root.key
key dba-alice@fingood alice.key
key approver-bob@fingood bob.key
ROOT_PK="$(pub root.key)"

say "2. init the ledger (schema + genesis; a second run changes nothing)"
sb init --ledger fingood-demo --root-key "$DEMO/root.key"

say "3. enrol the operator and the approver (signed by the root, which holds admin)"
if ! "$BIN" keys list --json | grep -q "$(kid alice.key)"; then
    sb keys enroll --public-key "$(pub alice.key)" --actor dba-alice@fingood --role operator --key "$DEMO/root.key"
    sb keys enroll --public-key "$(pub bob.key)" --actor approver-bob@fingood --role approver --key "$DEMO/root.key"
fi

SESSION="session/2024_01_15_add_fee_index/$(date -u +%Y%m%dT%H%M%S)"
say "4. record a migration session in stream $SESSION"
export SEALBOOK_KEY="$DEMO/alice.key"
sb append --stream "$SESSION" --type custom.session.opened --expect-seq 0 \
    --data '{"environment":"staging","from":"2024_01_10_add_ledger","to":"2024_01_15_add_fee_index","ticket":"CHG-1042"}'
sb append --stream "$SESSION" --type custom.check --expect-seq 1 \
    --data '{"item":"disk-space","status":"pass","value":"37.5","unit":"percent-free","threshold":">= 20"}'
sb append --stream "$SESSION" --type custom.backup --expect-seq 2 \
    --data '{"method":"pg_dump","sha256":"9f2c4a1be0d54c39a27c1c4bdb4a7c1b0f1c7e7e3a5f0c8b0d0e1f2a3b4c5d6e","sizeBytes":52428800}'
sb append --stream "$SESSION" --type custom.approval --key "$DEMO/bob.key" --expect-seq 3 \
    --data '{"decision":"granted","scope":"alembic upgrade head"}'
sb append --stream "$SESSION" --type custom.command --expect-seq 4 --idem step-3-upgrade \
    --data '{"argv":["alembic","upgrade","head"],"exitCode":0,"durationMs":1840}'
sb append --stream "$SESSION" --type custom.session.closed --expect-seq 5 \
    --data '{"outcome":"success"}'

say "5. verify the whole chain online, pinned to the root key"
sb verify --trust-root "$ROOT_PK"

say "6. export a bundle and verify it offline (no database involved)"
BUNDLE="$DEMO/fingood-demo.bundle"
sb export --out "$BUNDLE" --force
"$BIN" verify --bundle "$BUNDLE" --trust-root "$ROOT_PK"

HEAD_JSON="$("$BIN" head --json)"
cat <<TXT

Done. Where everything is:
  sealbook binary      $BIN
  embedded PostgreSQL  $SEALBOOK_HOME/pg   ($("$BIN" db status | sed 's/.*: //'))
  keys                 $DEMO/{root,alice,bob}.key  (mode 0600; never printed)
  root public key      $ROOT_PK   (pin it: --trust-root)
  bundle               $BUNDLE
  head                 $HEAD_JSON
Stop the database with: $BIN db stop
TXT
