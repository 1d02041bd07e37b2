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

# 1. System packages: the C libraries (through pkg-config) and the PostgreSQL server.
PACKAGES=(libsodium-dev libpq-dev pkg-config postgresql-15)
if command -v dpkg >/dev/null 2>&1; then
    missing=()
    for package in "${PACKAGES[@]}"; do
        if [[ "$(dpkg -s "$package" 2>/dev/null)" != *"Status: install ok installed"* ]]; then
            missing+=("$package")
        fi
    done
    if ((${#missing[@]} > 0)); then
        sudo=()
        if [[ "$(id -u)" -ne 0 ]]; then
            command -v sudo >/dev/null 2>&1 \
                || die "missing packages ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root"
            sudo=(sudo -n)
        fi
        say "installing ${missing[*]}"
        if [[ "${SEALBOOK_APT_UPDATED:-}" != 1 ]]; then
            ${sudo[@]+"${sudo[@]}"} apt-get update >&2
        fi
        ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2
    fi
else
    say "not a Debian system: make sure libsodium, libpq, pkg-config and a PostgreSQL server are installed"
fi

# 2. The Swift toolchain.
if ! command -v swift >/dev/null 2>&1; then
    if [[ -x /opt/swift/usr/bin/swift ]]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    else
        die "swift not found on PATH nor in /opt/swift/usr/bin: install a Swift 6 toolchain"
    fi
fi

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
status=0
swift test ${scratch[@]+"${scratch[@]}"} --skip-build "$@" || status=$?
exit "$status"
