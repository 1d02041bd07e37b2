#!/usr/bin/env bash
# Runs the whole test suite, as the README says:
#
#   scripts/test.sh                    # everything
#   scripts/test.sh --filter EmbeddedCluster
#
# Extra arguments go to `swift test`. On a fresh Debian machine (as root, or with sudo) it first
# installs what the build and the tests need. Unless SEALBOOK_TEST_DATABASE_URL is set, the
# PostgreSQL tests run against a throwaway cluster (scripts/pg-throwaway.sh) that is removed on
# exit. Set SEALBOOK_SCRATCH_PATH to build somewhere other than .build.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"

say() { echo "test.sh: $*" >&2; }
die() {
    say "$*"
    exit 1
}

# 1-2. System packages and the Swift toolchain (shared with scripts/demo.sh).
# shellcheck source=scripts/setup.sh
source "$ROOT/scripts/setup.sh"

# 3. The database for the PostgreSQL tests.
THROWAWAY=""
# shellcheck disable=SC2317  # called from the traps below
cleanup() {
    if [[ -n "$THROWAWAY" ]]; then
        "$ROOT/scripts/pg-throwaway.sh" stop "$THROWAWAY" || say "could not remove $THROWAWAY"
        THROWAWAY=""
    fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
if [[ -z "${SEALBOOK_TEST_DATABASE_URL:-}" ]]; then
    # Under /tmp: as root, the server runs as postgres, who must be able to reach the folder.
    THROWAWAY="$(mktemp -d /tmp/sealbook-test-pg.XXXXXX)"
    SEALBOOK_TEST_DATABASE_URL="$("$ROOT/scripts/pg-throwaway.sh" start "$THROWAWAY")"
    say "throwaway PostgreSQL at $SEALBOOK_TEST_DATABASE_URL"
fi
export SEALBOOK_TEST_DATABASE_URL

# 4. Build (warnings are errors), then test.
scratch=()
if [[ -n "${SEALBOOK_SCRATCH_PATH:-}" ]]; then
    scratch=(--scratch-path "$SEALBOOK_SCRATCH_PATH")
fi
swift build ${scratch[@]+"${scratch[@]}"} --build-tests -Xswiftc -warnings-as-errors
# The independent Python verifier (tools/verify_bundle.py, written from docs/FORMAT.md alone) and
# sealbook must agree on every bundle, clean and tampered. Skipped when tests are filtered.
if [[ $# -eq 0 ]]; then
    bin_dir="$(swift build ${scratch[@]+"${scratch[@]}"} --show-bin-path)"
    SEALBOOK_DATABASE_URL="$SEALBOOK_TEST_DATABASE_URL" SEALBOOK_BIN="$bin_dir/sealbook" "$ROOT/tools/crosscheck.sh" \
        >"${TMPDIR:-/tmp}/sealbook-crosscheck.log" 2>&1 || {
        tail -40 "${TMPDIR:-/tmp}/sealbook-crosscheck.log" >&2
        die "tools/crosscheck.sh: the two verifiers disagree (full log: ${TMPDIR:-/tmp}/sealbook-crosscheck.log)"
    }
    say "cross-check: $(tail -1 "${TMPDIR:-/tmp}/sealbook-crosscheck.log")"
fi
status=0
swift test ${scratch[@]+"${scratch[@]}"} --skip-build "$@" || status=$?
exit "$status"
