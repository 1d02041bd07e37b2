# shellcheck shell=bash
# Sourced by scripts/test.sh and scripts/demo.sh: makes sure a fresh Debian machine has what the
# build needs (libsodium-dev, libpq-dev, pkg-config, the PostgreSQL server) and puts swift on PATH.
# Expects `say` and `die` to be defined by the caller.

# 1. System packages: the C libraries (through pkg-config) and the PostgreSQL server; for the
# tests, chromium (HTML reports in a browser), python3-jsonschema (tools/check_oscal.py), time
# (the benchmark's memory figure) and bsdutils (script(1): a pseudo-terminal for replay --step).
PACKAGES=(libsodium-dev libpq-dev pkg-config postgresql-15 chromium python3-jsonschema time bsdutils)
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

