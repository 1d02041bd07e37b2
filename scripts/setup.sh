# shellcheck shell=bash
# Sourced by scripts/test.sh and scripts/demo.sh: makes sure a fresh Debian machine has what the
# build needs (libsodium-dev, libpq-dev, pkg-config, the PostgreSQL server), builds and installs
# the sealbook_ed25519 PostgreSQL extension (extension/sealbook_ed25519) into every PostgreSQL
# server installed, and puts swift on PATH. Expects `say` and `die` to be defined by the caller.
# Runs as root, or uses `sudo -n` for what needs root.

# 1. System packages: the C libraries (through pkg-config), the PostgreSQL server, and what the
# extension is built with (the server's headers and PGXS, a C compiler, make); for the tests,
# chromium (HTML reports in a browser), python3-jsonschema (tools/check_oscal.py), time (the
# benchmark's memory figure) and bsdutils (script(1): a pseudo-terminal for replay --step).
PACKAGES=(libsodium-dev libpq-dev pkg-config postgresql-15 postgresql-server-dev-15 gcc make chromium python3-jsonschema time bsdutils)
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

# 2. The signature extension: `sealbook init` loads it (CREATE EXTENSION sealbook_ed25519) so that
# the database itself refuses events whose Ed25519 signature does not verify. Built in a scratch
# folder (the work tree stays clean) for each server version that has PGXS, and installed only
# when the installed files differ.
sealbook_install_extension() {
    local src pg_config built=0 scratch sudo=() sharedir pkglibdir same file
    src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/extension/sealbook_ed25519"
    [[ -f "$src/Makefile" ]] || die "extension sources not found in $src"
    if [[ "$(id -u)" -ne 0 ]]; then
        sudo=(sudo -n)
    fi
    for pg_config in /usr/lib/postgresql/*/bin/pg_config; do
        [[ -x "$pg_config" && -f "$("$pg_config" --pgxs 2>/dev/null)" ]] || continue
        scratch="$(mktemp -d "${TMPDIR:-/tmp}/sealbook-ext.XXXXXX")"
        cp "$src"/Makefile "$src"/*.c "$src"/*.control "$src"/*.sql "$scratch"/
        # -ffile-prefix-map: the same sources give the same .so whatever the scratch folder.
        if ! make -s -C "$scratch" PG_CONFIG="$pg_config" PG_CFLAGS="-ffile-prefix-map=$scratch=." >"$scratch/build.log" 2>&1; then
            cat "$scratch/build.log" >&2
            rm -rf "$scratch"
            die "could not build the sealbook_ed25519 extension for $("$pg_config" --version)"
        fi
        sharedir="$("$pg_config" --sharedir)/extension"
        pkglibdir="$("$pg_config" --pkglibdir)"
        same=1
        # The control file and every install and upgrade script (1.0, 1.1, 1.0--1.1, ...).
        for file in "$scratch"/sealbook_ed25519.control "$scratch"/sealbook_ed25519--*.sql; do
            file="$(basename "$file")"
            cmp -s "$scratch/$file" "$sharedir/$file" || same=0
        done
        cmp -s "$scratch/sealbook_ed25519.so" "$pkglibdir/sealbook_ed25519.so" || same=0
        if ((same == 0)); then
            say "installing the sealbook_ed25519 extension for $("$pg_config" --version)"
            if ! ${sudo[@]+"${sudo[@]}"} make -s -C "$scratch" PG_CONFIG="$pg_config" PG_CFLAGS="-ffile-prefix-map=$scratch=." install >"$scratch/install.log" 2>&1; then
                cat "$scratch/install.log" >&2
                rm -rf "$scratch"
                die "could not install the sealbook_ed25519 extension into $pkglibdir (run as root, or with sudo)"
            fi
        fi
        rm -rf "$scratch"
        built=$((built + 1))
    done
    ((built > 0)) || die "no PostgreSQL server with PGXS found (apt-get install postgresql-server-dev-15)"
}
if command -v dpkg >/dev/null 2>&1; then
    sealbook_install_extension
else
    say "not a Debian system: build and install extension/sealbook_ed25519 into your PostgreSQL server (see extension/README.md)"
fi

# 3. The Swift toolchain.
if ! command -v swift >/dev/null 2>&1; then
    if [[ -x /opt/swift/usr/bin/swift ]]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    else
        die "swift not found on PATH nor in /opt/swift/usr/bin: install a Swift 6 toolchain"
    fi
fi

