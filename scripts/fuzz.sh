#!/usr/bin/env bash
# Fuzzes SealbookCore's parsers with libFuzzer (issue 12), as the README's "Fuzzing" says:
#
#   scripts/fuzz.sh                 # each target for 60 s
#   scripts/fuzz.sh 300             # each for 300 s
#   scripts/fuzz.sh 60 FuzzBundle   # only the targets named
#
# Builds the targets of the Fuzz package (Fuzz/Package.swift, release, with the fuzzer and
# AddressSanitizer), then runs each for SECONDS on a copy of its seed corpus (Fuzz/Corpus/*,
# which is never written to), with every input bounded: -timeout (a hang), -rss_limit_mb and
# -malloc_limit_mb (memory). Exits 1 when any target crashed, hung, ran out of memory or
# leaked, after printing the end of its log and the reproducer libFuzzer wrote; the work
# folder (corpora, logs, reproducers) is then kept and its path printed. Replay a reproducer
# with `Fuzz/.build/release/<target> <file>`. Exits 2 when it cannot build or run them.
#
# Environment: SEALBOOK_FUZZ_RSS_MB (2048), SEALBOOK_FUZZ_TIMEOUT (10, seconds per input),
# SEALBOOK_FUZZ_JOBS (targets run at a time; default the number of cores), SEALBOOK_FUZZ_WORK
# (the work folder; default a new one under /tmp, removed when all pass).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"

say() { echo "fuzz.sh: $*" >&2; }
die() {
    say "$*"
    exit 2
}

SECONDS_EACH="${1:-60}"
[[ "$SECONDS_EACH" =~ ^[1-9][0-9]*$ ]] || die "usage: scripts/fuzz.sh [SECONDS] [TARGET...]"
shift || true
RSS_MB="${SEALBOOK_FUZZ_RSS_MB:-2048}"
TIMEOUT="${SEALBOOK_FUZZ_TIMEOUT:-10}"

# Target, its corpus under Fuzz/Corpus, the largest input it is given (bytes).
ALL=(
    "FuzzJSON json 4096"
    "FuzzBundle bundle 8192"
    "FuzzNote note 4096"
    "FuzzProof proof 8192"
)
selected=()
if [[ $# -eq 0 ]]; then
    selected=("${ALL[@]}")
else
    for name in "$@"; do
        found=""
        for t in "${ALL[@]}"; do
            if [[ "${t%% *}" == "$name" ]]; then found="$t"; fi
        done
        [[ -n "$found" ]] || die "no fuzz target $name (there are: FuzzJSON FuzzBundle FuzzNote FuzzProof)"
        selected+=("$found")
    done
fi

# What the build needs (scripts/setup.sh, which scripts/test.sh runs, installs all of it).
if ! command -v swift >/dev/null 2>&1; then
    [[ -x /opt/swift/usr/bin/swift ]] || die "swift not found on PATH nor in /opt/swift/usr/bin: install a Swift 6 toolchain"
    export PATH="/opt/swift/usr/bin:$PATH"
fi
pkg-config --exists libsodium 2>/dev/null || die "libsodium not found through pkg-config: apt-get install libsodium-dev pkg-config"

# 1. Build. `--sanitize fuzzer` makes SwiftPM link the targets as libFuzzer needs (its main,
# not ours; -parse-as-library). The sanitizers themselves are named in one -sanitize= flag:
# swiftc compiles with the last -sanitize= it is given only, so two SwiftPM --sanitize options
# (which it orders as it likes) could silently drop the coverage instrumentation. This one
# comes last; the run below checks that the coverage counters are there.
build_start=$SECONDS
for t in "${selected[@]}"; do
    target="${t%% *}"
    log="$(mktemp /tmp/sealbook-fuzz-build.XXXXXX)"
    if ! swift build --package-path Fuzz -c release --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address \
        --product "$target" >"$log" 2>&1; then
        grep -v "Cannot export local symbol" "$log" | tail -40 >&2
        rm -f "$log"
        die "building $target failed"
    fi
    rm -f "$log"
done
BIN="$ROOT/Fuzz/.build/release"
say "built ${#selected[@]} target(s) in $((SECONDS - build_start)) s"

# 2. Run, as many targets at a time as there are cores (SEALBOOK_FUZZ_JOBS): each is one
# process, so the time given is each target's whatever the number of cores. A job writes what
# it found to its folder; it is printed when its batch is over, so that jobs do not mix lines.
WORK="${SEALBOOK_FUZZ_WORK:-$(mktemp -d /tmp/sealbook-fuzz.XXXXXX)}"
mkdir -p "$WORK"
JOBS="${SEALBOOK_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}"
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "SEALBOOK_FUZZ_JOBS must be a positive integer"

# fuzz_one TARGET CORPUS MAX_LEN: runs one target; writes $WORK/TARGET/report and
# $WORK/TARGET/result (ok or failed).
fuzz_one() {
    local target="$1" corpus="$2" max_len="$3"
    local dir="$WORK/$target" seeds start status=0 runs rss a
    rm -rf "$dir"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    cp -R "$ROOT/Fuzz/Corpus/$corpus/." "$dir/corpus/"
    seeds="$(find "$dir/corpus" -type f | wc -l)"
    start=$SECONDS
    # SWIFT_BACKTRACE: the Swift runtime's own crash handler would catch a trap first, and
    # libFuzzer would write no reproducer.
    SWIFT_BACKTRACE=enable=no TMPDIR="$dir" "$BIN/$target" \
        -max_total_time="$SECONDS_EACH" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" -malloc_limit_mb="$RSS_MB" \
        -max_len="$max_len" -artifact_prefix="$dir/artifacts/" -print_final_stats=1 \
        "$dir/corpus" >"$dir/log" 2>&1 || status=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")"
    rss="$(sed -n 's/^stat::peak_rss_mb: *//p' "$dir/log")"
    {
        if ! grep -q "^INFO: Loaded [0-9]* modules *([1-9][0-9]* inline 8-bit counters)" "$dir/log"; then
            echo "fuzz.sh: $target: no coverage counters: the build is not instrumented (log: $dir/log)"
            echo failed >"$dir/result"
        elif [[ $status -ne 0 || -n "$(ls -A "$dir/artifacts")" ]]; then
            echo "fuzz.sh: $target FAILED (exit $status) after $((SECONDS - start)) s; the end of its log:"
            grep -v "^#[0-9]*.*\(NEW\|REDUCE\|pulse\) \|NEW_FUNC" "$dir/log" | tail -50
            for a in "$dir"/artifacts/*; do
                [[ -e "$a" ]] && echo "fuzz.sh: $target: reproducer $a (replay: $BIN/$target $a)"
            done
            echo failed >"$dir/result"
        else
            echo "fuzz.sh: $target: ${runs:-?} inputs in $((SECONDS - start)) s from $seeds seeds, corpus now $(find "$dir/corpus" -type f | wc -l), peak RSS ${rss:-?} MB: no crash, hang or leak"
            echo ok >"$dir/result"
        fi
    } >"$dir/report"
}

run_start=$SECONDS
failed=()
for ((i = 0; i < ${#selected[@]}; i += JOBS)); do
    batch=("${selected[@]:i:JOBS}")
    for t in "${batch[@]}"; do
        # shellcheck disable=SC2086  # "target corpus max_len", split on purpose
        fuzz_one $t &
    done
    wait
    for t in "${batch[@]}"; do
        target="${t%% *}"
        cat "$WORK/$target/report" >&2
        [[ "$(cat "$WORK/$target/result" 2>/dev/null)" == ok ]] || failed+=("$target")
    done
done

if [[ ${#failed[@]} -gt 0 ]]; then
    say "failed: ${failed[*]}; logs, corpora and reproducers kept in $WORK"
    exit 1
fi
[[ -n "${SEALBOOK_FUZZ_WORK:-}" ]] || rm -rf "$WORK"
say "${#selected[@]} target(s), ${SECONDS_EACH} s each, $JOBS at a time, in $((SECONDS - run_start)) s: no crash, hang, leak or memory overrun"
