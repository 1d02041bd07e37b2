#!/usr/bin/env bash
# Cross-checks `sealbook verify --bundle` against the independent tools/verify_bundle.py, and
# checks both against the behaviour docs/FORMAT.md specifies.
#
#   SEALBOOK_DATABASE_URL=postgresql://… SEALBOOK_BIN=.build/debug/sealbook tools/crosscheck.sh
#
# 1. Builds a ledger with the real binary in a fresh database (a temporary database created on
#    the server of SEALBOOK_DATABASE_URL and dropped at the end; if that cannot be done, the
#    database itself, which must then hold no ledger yet): keys generate / init / keys enroll /
#    a few dozen appends in several streams (one with `data` nested 63 levels, the deepest
#    `append --data` takes) / keys revoke / export. Checks on the way that `append` refuses
#    `--data` nested 64 levels (exit 65) and that `sealbook.append_event` refuses a body whose
#    `streamSeq` is not a JSON number or whose `stream` is not a JSON string (SB030).
# 2. Both verifiers must accept the bundle with the same head, equal to the database's own head
#    (`sealbook verify` online).
# 3. Tampered copies (edited body values, deleted, swapped and duplicated lines, replaced
#    signatures, edited hashes, truncation, header changes, blank lines, CRLF, …) and synthetic
#    edge-case bundles signed in Python (strict JSON, RFC 8785, body rules, keys, genesis,
#    re-synchronisation after a failure, seq limits, nesting depth, 8192-entry chunks) must get
#    the same verdict from both, with and without --all: same exit status, same entry count,
#    last seq, head and stoppedEarly, and the same failures (seq, line, stream, reason) in the
#    same order. Where a case names the expected outcome (the first reason; with --all the
#    whole list of failures; stoppedEarly; the head), sealbook's verdict must also be that one:
#    agreeing on a wrong answer does not pass.
#
# The Python verifier runs in a venv under .venv-tools/ (created on first use; git-ignored).
# Prints one line per case and ends with the line "N passed, M failed"; exits 1 if M > 0
# (and non-zero before any case when the ledger cannot be built).
set -euo pipefail

: "${SEALBOOK_DATABASE_URL:?set SEALBOOK_DATABASE_URL to a PostgreSQL URL}"
: "${SEALBOOK_BIN:?set SEALBOOK_BIN to the sealbook binary}"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$(cd "$(dirname "$SEALBOOK_BIN")" && pwd)/$(basename "$SEALBOOK_BIN")
[ -x "$BIN" ] || { echo "crosscheck: $SEALBOOK_BIN is not executable" >&2; exit 2; }

VENV=$ROOT/.venv-tools
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import cryptography, rfc8785' 2>/dev/null; then
    echo "crosscheck: creating $VENV (cryptography, rfc8785)" >&2
    python3 -m venv "$VENV"
    printf '*\n' > "$VENV/.gitignore"
    "$VENV/bin/pip" install --quiet "cryptography==48.0.0" "rfc8785==0.1.4"
fi
PY=$VENV/bin/python
VERIFY_PY=$ROOT/tools/verify_bundle.py

WORK=$(mktemp -d)
TEMP_DB=""
ADMIN_URL=$SEALBOOK_DATABASE_URL
cleanup() {
    if [ -n "$TEMP_DB" ]; then
        psql "$ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS \"$TEMP_DB\"" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# --- a fresh database --------------------------------------------------------------------------
DB_URL=$SEALBOOK_DATABASE_URL
HAVE_PSQL=0
if command -v psql >/dev/null 2>&1; then
    HAVE_PSQL=1
    name="sealbook_crosscheck_$$_$RANDOM"
    if psql "$SEALBOOK_DATABASE_URL" -qAt -c "CREATE DATABASE \"$name\"" >/dev/null 2>&1; then
        TEMP_DB=$name
        DB_URL=$("$PY" -c 'import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$SEALBOOK_DATABASE_URL" "$name")
    fi
fi
export SEALBOOK_DATABASE_URL=$DB_URL
sb() { "$BIN" "$@"; }

# Results of the checks made while building the ledger; cc.py counts them with the rest.
PRE=$WORK/pre-results.txt
: > "$PRE"
check() {  # check NAME OK(0|1) DETAIL
    if [ "$2" = 1 ]; then
        echo "PASS $1" | tee -a "$PRE"
    else
        echo "FAIL $1: $3" | tee -a "$PRE"
    fi
}

# --- 1. a ledger made by the real binary -------------------------------------------------------
K=$WORK/keys
mkdir -p "$K"
pubkey() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["publicKey"])' "$1"; }
keyid() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$1"; }
for who in root alice ci bob admin2; do
    sb keys generate --actor "$who@crosscheck" --out "$K/$who.key" >/dev/null
done
ROOT_PK=$(pubkey "$K/root.key")
if ! sb init --ledger crosscheck --root-key "$K/root.key" >/dev/null; then
    echo "crosscheck: sealbook init failed; SEALBOOK_DATABASE_URL must name an empty database (or a server where a database can be created)" >&2
    exit 2
fi
sb keys enroll --public-key "$(pubkey "$K/alice.key")" --actor alice@crosscheck --role operator --key "$K/root.key" >/dev/null
sb keys enroll --public-key "$(pubkey "$K/ci.key")" --actor ci@crosscheck --role pipeline --role operator --key "$K/root.key" >/dev/null
sb keys enroll --public-key "$(pubkey "$K/bob.key")" --actor bob@crosscheck --role approver --key "$K/root.key" >/dev/null
sb keys enroll --public-key "$(pubkey "$K/admin2.key")" --actor admin2@crosscheck --role admin --key "$K/root.key" >/dev/null

# Only custom.* types: the format does not care about types, and `append` checks the others
# against the runbook's event catalog (schema, roles), which is not what is cross-checked here.
note() { sb append --stream "$1" --type "$2" --data "$3" --key "$K/$4.key" "${@:5}" >/dev/null; }
for i in 1 2 3 4 5 6; do
    note "session/2026_01_15_add_fee_index/01" custom.checklist.item "{\"item\":\"pre-$i\",\"ok\":true,\"freePct\":$((20 + i))}" alice
    note "session/2026_01_15_add_fee_index/02" custom.command.run "{\"argv\":[\"alembic\",\"upgrade\",\"head\"],\"exitCode\":0,\"durationMs\":$((1000 * i))}" ci
done
note "session/2026_01_15_add_fee_index/01" custom.approval.signed '{"approver":"bob@crosscheck","decision":"approve"}' bob
note "session/unicode" custom.note '{"text":"Grüße 🎉 \"q\" \\ / \u0007 \u2028 \u007f","\ue000":1,"😀":2,"a":3,"é":4,"e\u0301":5}' alice
note "session/unicode" custom.note '{"big":9007199254740991,"neg":-9007199254740991,"zero":-0,"nested":{"a":[[],{},[null,true,false]]}}' alice --expect-seq 1
note "session/unicode" custom.note '{"text":"idempotent"}' alice --idem "op-1"
# A retry with the same key and content returns the first event; other content under the same
# key is a conflict (exit 94) that appends nothing.
note "session/unicode" custom.note '{"text":"idempotent"}' alice --idem "op-1"
conflict=0
note "session/unicode" custom.note '{"text":"idempotent again"}' alice --idem "op-1" 2>/dev/null || conflict=$?
[[ $conflict == 94 ]] || { echo "crosscheck: an idempotency conflict exited $conflict, not 94" >&2; exit 1; }

# Nesting depth (FORMAT.md §1.3 rule 7, §11): `data` is level 2 of the body, so `append --data`
# takes at most 63 levels (a 64-level body, which verifies online and in a bundle) and refuses
# 64 levels with exit 65 (malformed JSON) before anything is signed.
nest() { "$PY" -c 'import sys; n = int(sys.argv[1]); print("{\"d\":" * (n - 1) + "{}" + "}" * (n - 1))' "$1"; }
rc=0; out=$(sb append --stream session/deep --type custom.note --data "$(nest 64)" --key "$K/alice.key" 2>&1) || rc=$?
check "append --data nested 64 levels is refused with exit 65" "$([ $rc = 65 ] && echo 1 || echo 0)" "exit $rc: $out"
rc=0; out=$(sb append --stream session/deep --type custom.note --data "$(nest 63)" --key "$K/alice.key" --json 2>&1) || rc=$?
check "append --data nested 63 levels is accepted" "$([ $rc = 0 ] && echo 1 || echo 0)" "exit $rc: $out"
DEEP_SEQ=$("$PY" -c 'import json, sys; print(json.loads(sys.argv[1]).get("seq", 0))' "$out" 2>/dev/null || echo 0)

for i in $(seq 1 10); do
    note "incident/INC-$((i % 3))" custom.incident.phase "{\"phase\":$i,\"note\":\"step $i\"}" admin2
done
note "session/2026_01_15_add_fee_index/01" custom.approval.signed '{"approver":"bob@crosscheck","decision":"approve","round":2}' bob
sb keys revoke "$(keyid "$K/bob.key")" --reason "laptop lost" --key "$K/admin2.key" >/dev/null
if sb append --stream session/after-revoke --type custom.note --data '{}' --key "$K/bob.key" >/dev/null 2>&1; then
    echo "crosscheck: the database accepted an event from a revoked key" >&2
    exit 1
fi
for i in 1 2 3 4 5; do
    note "session/after-revoke" custom.note "{\"i\":$i}" ci
done

# The append path's member types (FORMAT.md §9.4 step 4): `streamSeq` must be a JSON number and
# `stream` a JSON string, else SB030. Each body is otherwise a valid next event, signed now by the
# root (the database checks the signature and the claimed time, steps 7a-7b); every call runs in
# a transaction that is rolled back, so the ledger does not change (the control case, which the
# database accepts, is not kept either).
if [ "$HAVE_PSQL" = 1 ]; then
    ROOT_ID=$(keyid "$K/root.key")
    SQL_TIME=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
    sql_body() {  # sql_body STREAM_JSON STREAMSEQ_JSON
        printf '{"actor":"root@crosscheck","data":{},"key":"%s","ledger":"crosscheck","stream":%s,"streamPrev":"%s","streamSeq":%s,"time":"%s","type":"custom.note","v":1}' \
            "$ROOT_ID" "$1" "$(printf '0%.0s' $(seq 1 64))" "$2" "$SQL_TIME"
    }
    sql_sign() {  # sql_sign BODY: the root's signature of BODY, hex
        "$PY" -c 'import base64, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
k = Ed25519PrivateKey.from_private_bytes(base64.b64decode(json.load(open(sys.argv[1]))["seed"]))
print(k.sign(b"sealbook.event.v1\n" + sys.argv[2].encode()).hex())' "$K/root.key" "$1"
    }
    sql_append() {  # sql_append BODY [SIG_HEX]: prints the SQLSTATE of the error, or "appended"
        local out sig
        sig=${2:-$(sql_sign "$1")}
        out=$(psql "$SEALBOOK_DATABASE_URL" -X -qAt -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
            -c "BEGIN" \
            -c "SELECT 'appended' FROM sealbook.append_event(convert_to(\$b\$$1\$b\$, 'UTF8'), decode('$sig', 'hex'))" \
            -c "ROLLBACK" 2>&1) || true
        case "$out" in
            *"ERROR:  "*) printf '%s\n' "$out" | sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\):.*/\1/p' | head -1 ;;
            *appended*) echo appended ;;
            *) echo "unexpected: $out" ;;
        esac
    }
    r=$(sql_append "$(sql_body '"crosscheck-sql/1"' 1)")
    check "append_event accepts the control body (rolled back)" "$([ "$r" = appended ] && echo 1 || echo 0)" "$r"
    r=$(sql_append "$(sql_body '"crosscheck-sql/1"' 1)" "$(printf '00%.0s' $(seq 1 64))")
    check "append_event refuses the control body with a zero signature with SB033" "$([ "$r" = SB033 ] && echo 1 || echo 0)" "$r"
    r=$(sql_append "$(sql_body '"crosscheck-sql/1"' '"1"')")
    check "append_event refuses a string streamSeq with SB030" "$([ "$r" = SB030 ] && echo 1 || echo 0)" "$r"
    r=$(sql_append "$(sql_body '"crosscheck-sql/1"' 'true')")
    check "append_event refuses a boolean streamSeq with SB030" "$([ "$r" = SB030 ] && echo 1 || echo 0)" "$r"
    r=$(sql_append "$(sql_body 5 1)")
    check "append_event refuses a number stream with SB030" "$([ "$r" = SB030 ] && echo 1 || echo 0)" "$r"
    r=$(sql_append "$(sql_body '["crosscheck-sql/1"]' 1)")
    check "append_event refuses an array stream with SB030" "$([ "$r" = SB030 ] && echo 1 || echo 0)" "$r"
else
    echo "SKIP append_event member-type checks: psql not found"
fi

BUNDLE=$WORK/ledger.bundle
sb export --out "$BUNDLE" >/dev/null
DB_HEAD=$(sb verify --trust-root "$ROOT_PK" --json)
DB_HEAD_ALL=$(sb verify --trust-root "$ROOT_PK" --json --all)

# --- checkpoints: in bundles (FORMAT.md §6.5) and evidence packages (§12.6, §12.7) --------------
# A log key, three checkpoints (cp1, then a key event and session events, cp2, then only other
# streams, cp3: cp2 and cp3 bind the same keys stream), a bundle carrying cp3, one cut after cp1
# carrying cp1, and an evidence package of one session against cp3.
sb keys generate --actor log@crosscheck --out "$K/log.key" >/dev/null
sb keys generate --actor carol@crosscheck --out "$K/carol.key" >/dev/null
sb keys enroll --public-key "$(pubkey "$K/log.key")" --actor log@crosscheck --role log --key "$K/root.key" >/dev/null
EV_SESSION=2026_01_15_add_fee_index/01
note "session/$EV_SESSION" custom.note '{"text":"after the log key"}' alice
sb checkpoint --key "$K/log.key" --out "$WORK/cp1.txt" >/dev/null 2>&1
sb keys enroll --public-key "$(pubkey "$K/carol.key")" --actor carol@crosscheck --role operator --key "$K/admin2.key" >/dev/null
note "session/$EV_SESSION" custom.note '{"text":"carol joins"}' carol
note "session/$EV_SESSION" custom.note '{"text":"last before cp2"}' alice
sb checkpoint --key "$K/log.key" --out "$WORK/cp2.txt" >/dev/null 2>&1
note "incident/INC-9" custom.incident.phase '{"phase":1}' admin2
sb checkpoint --key "$K/log.key" --out "$WORK/cp3.txt" >/dev/null 2>&1
note "session/late" custom.note '{"text":"after every checkpoint"}' alice
note "incident/INC-9" custom.incident.phase '{"phase":2}' admin2
LOG_VKEY=$(sb keys vkey --key "$K/log.key")
CP1_SIZE=$(sed -n 2p "$WORK/cp1.txt")
BUNDLE_CP=$WORK/checkpointed.bundle
BUNDLE_CP1=$WORK/checkpointed-early.bundle
EVIDENCE=$WORK/session.evidence
rc=0; out=$(sb export --out "$BUNDLE_CP" --json 2>&1) || rc=$?
check "export writes the latest checkpoint into the bundle" "$([ $rc = 0 ] && [ "$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["checkpoint"])' "$out")" = "$(sed -n 2p "$WORK/cp3.txt")" ] && echo 1 || echo 0)" "exit $rc: $out"
rc=0; out=$(sb export --out "$BUNDLE_CP1" --to $((CP1_SIZE + 1)) --json 2>&1) || rc=$?
check "export --to carries the latest checkpoint that fits" "$([ $rc = 0 ] && [ "$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["checkpoint"])' "$out")" = "$CP1_SIZE" ] && echo 1 || echo 0)" "exit $rc: $out"
rc=0; out=$(sb export --session "$EV_SESSION" --out "$EVIDENCE" 2>&1) || rc=$?
check "export --session writes an evidence package" "$([ $rc = 0 ] && [ -s "$EVIDENCE" ] && echo 1 || echo 0)" "exit $rc: $out"
rc=0; out=$(sb export --session late --out "$WORK/late.evidence" 2>&1) || rc=$?
check "export --session refuses a session no checkpoint covers (exit 64), writing nothing" \
    "$([ $rc = 64 ] && [ ! -e "$WORK/late.evidence" ] && [[ "$out" == *"sealbook checkpoint"* ]] && echo 1 || echo 0)" "exit $rc: $out"

# --- 2 and 3: compare both verifiers on the clean bundle and on every variant ----------------------
cat > "$WORK/cc.py" <<'PYEOF'
import base64, hashlib, json, os, random, re, subprocess, sys

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

BIN, VERIFY_PY, WORK, BUNDLE, ROOT_PK, DB_HEAD, DB_HEAD_ALL, PRE, DEEP_SEQ = sys.argv[1:10]
BUNDLE_CP, BUNDLE_CP1, EVIDENCE, LOG_VKEY, KEY_DIR = sys.argv[10:15]
VERIFY_EV = os.path.join(os.path.dirname(os.path.abspath(VERIFY_PY)), "verify_evidence.py")
DEEP_SEQ = int(DEEP_SEQ)
PY = sys.executable
passed = failed = 0

# The checks made by the shell part while building the ledger.
for l in open(PRE, encoding="utf-8").read().splitlines():
    if l.startswith("PASS "):
        passed += 1
    elif l.startswith("FAIL "):
        failed += 1


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    try:
        out = json.loads(p.stdout)
    except ValueError:
        out = {"unparsable": p.stdout[-300:], "stderr": p.stderr}
    return p.returncode, out


# Indexes into a verdict.
OK, ENTRIES, LAST_SEQ, HEAD, LEDGER, PINNED, FAILURES, STOPPED, CARRIED = range(9)


def verdict(code, out):
    """What must agree: refused / ok / the failures, entry count, last seq, head, stoppedEarly."""
    if "unparsable" in out:
        err = out["stderr"].strip().splitlines()
        why = [l for l in err if "runtime failure" in l or "Fatal error" in l] or err[-1:]
        return ("no JSON output: exit %d" % code, why[:1])
    if "error" in out:
        return ("refused",)
    # sealbook --json writes integers beyond 2^53 as the nearest double (RFC 8785); compare so.
    n = lambda x: int(float(x)) if isinstance(x, int) and abs(x) > 2**53 else x
    return (
        "ok" if code == 0 and out["ok"] else "failed",
        out["entries"], n(out["lastSeq"]), out["chainHash"], out.get("ledger"), out["rootPinned"],
        tuple((n(f["seq"]), f["line"], f["stream"], f["reason"]) for f in out["failures"]),
        out["stoppedEarly"],
        carried(out.get("bundleCheckpoint")),
    )


def carried(c):
    """A carried checkpoint as both verifiers report it: size, root, checked, anchored, signers."""
    if c is None:
        return None
    return (c["size"], c["root"], c["checked"], c["anchored"], tuple(c["signedBy"]))


def first_reason(v):
    return v[FAILURES][0][3] if v[0] == "failed" and v[FAILURES] else v[0]


def compare(name, path, root=None, pin=True, expect=None, expect_all=None, stopped=None, stopped_all=None,
            head=None, head_all=None, extra_args=(), anchored=None):
    """Runs both verifiers, with and without --all. They must agree; and sealbook's verdict must be
    the documented one where given: `expect` the first reason (or "ok"/"refused") without --all,
    `expect_all` the exact list of (seq, reason) with --all, `stopped`/`stopped_all` stoppedEarly,
    `head`/`head_all` the head chainHash."""
    global passed, failed
    root = root or ROOT_PK
    for extra in ([], ["--all"]):
        args = (["--trust-root", root] if pin else []) + list(extra_args) + extra
        s = verdict(*run([BIN, "verify", "--bundle", path, "--json"] + args))
        p = verdict(*run([PY, VERIFY_PY, path, "--json"] + args))
        label = f"{name}{' --all' if extra else ''}"
        first = first_reason(s)
        wrong = []
        if s != p:
            wrong.append("the verifiers disagree")
        if not extra and expect is not None and first != expect:
            wrong.append(f"expected first reason {expect}")
        if extra and expect_all is not None:
            got = [(f[0], f[3]) for f in s[FAILURES]] if len(s) > FAILURES else None
            if got != list(expect_all):
                wrong.append(f"expected with --all exactly {list(expect_all)}")
        want_stopped = stopped_all if extra else stopped
        if want_stopped is not None and (len(s) <= STOPPED or s[STOPPED] != want_stopped):
            wrong.append(f"expected stoppedEarly {want_stopped}")
        want_head = head_all if extra else head
        if want_head is not None and (len(s) <= HEAD or s[HEAD] != want_head):
            wrong.append(f"expected head chainHash {want_head}")
        if anchored is not None and (len(s) <= CARRIED or s[CARRIED] is None or s[CARRIED][3] != anchored):
            wrong.append(f"expected the carried checkpoint anchored={anchored}")
        if not wrong:
            passed += 1
            at = f" at seq {s[FAILURES][0][0]}" if s[0] == "failed" and s[FAILURES] else ""
            more = f" ({len(s[FAILURES])} failures)" if extra and s[0] == "failed" else ""
            print(f"PASS {label}: {first}{at}{more}")
        else:
            failed += 1
            print(f"FAIL {label}: {'; '.join(wrong)}\n  sealbook: {s}\n  python:   {p}")


def write(name, data: bytes):
    path = os.path.join(WORK, "".join(c if c.isalnum() else "_" for c in name) + ".bundle")
    with open(path, "wb") as f:
        f.write(data)
    return path


# ---- the clean bundle ----------------------------------------------------------------------
db = json.loads(DB_HEAD)
db_all = json.loads(DB_HEAD_ALL)
s_code, s_out = run([BIN, "verify", "--bundle", BUNDLE, "--json", "--trust-root", ROOT_PK])
p_code, p_out = run([PY, VERIFY_PY, BUNDLE, "--json", "--trust-root", ROOT_PK])
heads = {(o.get("ok"), o.get("lastSeq"), o.get("chainHash")) for o in (db, db_all, s_out, p_out)}
if s_code == 0 and p_code == 0 and len(heads) == 1 and db.get("ok"):
    passed += 1
    print(f"PASS clean bundle: database, sealbook and python agree: {s_out['entries']} entries, "
          f"head seq {s_out['lastSeq']} chainHash {s_out['chainHash']}")
else:
    failed += 1
    print(f"FAIL clean bundle\n  database: {db}\n  sealbook: {s_out}\n  python:   {p_out}")
CLEAN_HEAD = s_out.get("chainHash")
compare("clean bundle (full comparison)", BUNDLE, expect="ok", expect_all=[], stopped=False, stopped_all=False)
compare("clean bundle, root not pinned", BUNDLE, pin=False, expect="ok")

# ---- the worked example of docs/FORMAT.md §10 ------------------------------------------------
example = os.path.join(os.path.dirname(os.path.abspath(VERIFY_PY)), "..", "docs", "example.bundle")
EXAMPLE_HEAD = "32ae9a7686cc5ecb11bbb1a9ae371e88b9083c794b4dd3148d493db682d7b470"
for extra in ([], ["--all"]):
    args = ["--trust-root", "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="] + extra
    s = verdict(*run([BIN, "verify", "--bundle", example, "--json"] + args))
    q = verdict(*run([PY, VERIFY_PY, example, "--json"] + args))
    if s == q and s[0] == "ok" and s[HEAD] == EXAMPLE_HEAD and s[PINNED]:
        passed += 1
        print(f"PASS docs/example.bundle{' --all' if extra else ''}: ok, pinned, head {EXAMPLE_HEAD}")
    else:
        failed += 1
        print(f"FAIL docs/example.bundle\n  sealbook: {s}\n  python:   {q}")

raw = open(BUNDLE, "rb").read()
lines = raw.split(b"\n")[:-1]
header, entries = lines[0], lines[1:]
N = len(entries)
parsed = [json.loads(l) for l in entries]


def depth(v):
    if isinstance(v, dict):
        return 1 + max((depth(x) for x in v.values()), default=0)
    if isinstance(v, list):
        return 1 + max((depth(x) for x in v), default=0)
    return 0


# The 63-level `data` appended above: a 64-level body, stored, exported and verified (online,
# in the clean-bundle check, and offline by both verifiers).
deep = [e for e in parsed if e["seq"] == DEEP_SEQ]
if deep and deep[0]["body"]["stream"] == "session/deep" and depth(deep[0]["body"]) == 64 and s_code == 0 and db.get("ok"):
    passed += 1
    print(f"PASS 64-level body (data 63 levels) at seq {DEEP_SEQ} verifies online and offline")
else:
    failed += 1
    print(f"FAIL 64-level body at seq {DEEP_SEQ}: found {[(e['seq'], depth(e['body'])) for e in deep]}, "
          f"bundle verify exit {s_code}, database ok {db.get('ok')}")


def bundle(ls, hdr=None):
    return b"\n".join([hdr if hdr is not None else header] + ls) + b"\n"


def find(pred, start=0):
    return next(i for i, e in enumerate(parsed) if i >= start and pred(e))


def replace_in(i, old: bytes, new: bytes):
    ls = list(entries)
    assert old in ls[i], (i, old)
    ls[i] = ls[i].replace(old, new, 1)
    return ls


def seq_of(i):
    return parsed[i]["seq"]


# ---- tampered copies of the real bundle ----------------------------------------------------
note_i = find(lambda e: e["body"]["type"] == "custom.incident.phase")
cmd_i = find(lambda e: e["body"]["type"] == "custom.command.run")
rev_i = find(lambda e: e["body"]["type"] == "key.revoked")
enr_i = find(lambda e: e["body"]["type"] == "key.enrolled")
deep_i = find(lambda e: e["body"]["stream"] == "session/deep")
mid = N // 2
other_sig = parsed[mid + 1]["sig"].encode()
# mid's stream has a later event: a failure at mid must not be blamed on it (FORMAT.md §7.4 V5).
assert any(e["body"]["stream"] == parsed[mid]["body"]["stream"] for e in parsed[mid + 1:])
assert any(e["body"]["stream"] == parsed[note_i]["body"]["stream"] for e in parsed[note_i + 1:])
# session/deep holds one event, so a garbage line there leaves no later event of its stream.
assert sum(e["body"]["stream"] == "session/deep" for e in parsed) == 1 and deep_i + 2 < N
once = lambda i, reason: [(seq_of(i), reason)]


def next_in_stream(i):
    """Index of the next entry in entry i's stream."""
    return find(lambda e: e["body"]["stream"] == parsed[i]["body"]["stream"], start=i + 1)


assert any(e["body"]["stream"] == parsed[deep_i + 1]["body"]["stream"] for e in parsed[deep_i + 2:])

cases = [
    # (name, lines, first reason without --all, exact failures with --all or None)
    ("edit data value", replace_in(note_i, b'"note":"step', b'"note":"STEP'), "bad-signature", once(note_i, "bad-signature")),
    ("edit data integer", replace_in(cmd_i, b'"exitCode":0', b'"exitCode":1'), "bad-signature", once(cmd_i, "bad-signature")),
    ("edit streamSeq", replace_in(cmd_i, b'"streamSeq":', b'"streamSeq":1'), None, None),
    ("edit time", replace_in(mid, b'"time":"20', b'"time":"21'), "bad-signature", once(mid, "bad-signature")),
    ("edit actor", replace_in(cmd_i, b'"actor":"ci@', b'"actor":"alice@'), "actor-key-mismatch", once(cmd_i, "actor-key-mismatch")),
    ("edit ledger", replace_in(mid, b'"ledger":"crosscheck"', b'"ledger":"crosscheck2"'), "ledger-mismatch", once(mid, "ledger-mismatch")),
    ("edit stream to keys", replace_in(note_i, b'"stream":"incident/', b'"stream":"keys/'), "bad-signature", None),
    ("edit enrolled role", replace_in(enr_i, b'"operator"', b'"admin"'), "bad-signature", None),
    ("edit revoked key id", replace_in(rev_i, b'"key":"ed25519:', b'"key":"ed25519:0', ), None, None),
    # A body that breaks the format rules (a decimal number) but still names its stream and
    # streamSeq: reported once; the stream's position still advances (change 1).
    ("float in a body", replace_in(note_i, b'"phase":1}', b'"phase":1.5}'), "malformed-body", once(note_i, "malformed-body")),
    ("unknown member in a body", replace_in(mid, b'"v":1}', b'"v":1,"x":0}'), "malformed-body", once(mid, "malformed-body")),
    ("delete a middle line", entries[:mid] + entries[mid + 1:], "seq-gap", None),
    ("delete the last line", entries[:-1], "bundle-truncated", [(seq_of(N - 1), "bundle-truncated")]),
    # The genesis line removed: the first entry is not seq 1 (change 3): fatal, once.
    ("delete the genesis", entries[1:], "genesis-missing", [(2, "genesis-missing")]),
    ("delete the first two lines", entries[2:], "genesis-missing", [(3, "genesis-missing")]),
    ("delete the revocation", entries[:rev_i] + entries[rev_i + 1:], "seq-gap", None),
    ("swap two adjacent lines", entries[:mid] + [entries[mid + 1], entries[mid]] + entries[mid + 2:], "seq-gap", None),
    ("swap two distant lines", entries[:3] + [entries[mid]] + entries[4:mid] + [entries[3]] + entries[mid + 1:], "seq-gap", None),
    ("duplicate a line", entries[:mid + 1] + [entries[mid]] + entries[mid + 1:], "seq-duplicate", None),
    ("replace a sig with another entry's", replace_in(mid, parsed[mid]["sig"].encode(), other_sig), "bad-signature", once(mid, "bad-signature")),
    ("replace a sig with random bytes",
     replace_in(mid, parsed[mid]["sig"].encode(), base64.b64encode(random.Random(1).randbytes(64))), "bad-signature", once(mid, "bad-signature")),
    ("replace a sig with 63 bytes",
     replace_in(mid, parsed[mid]["sig"].encode(), base64.b64encode(base64.b64decode(parsed[mid]["sig"])[:63])), "bad-signature", once(mid, "bad-signature")),
    ("sig not canonical base64",
     replace_in(mid, parsed[mid]["sig"].encode(), parsed[mid]["sig"][:-3].encode() + b"B=="), None, None),
    ("sig in base64url", replace_in(mid, parsed[mid]["sig"].encode(),
                                    parsed[mid]["sig"].replace("+", "-").replace("/", "_").encode()), None, None),
    ("replace the genesis sig", replace_in(0, parsed[0]["sig"].encode(), other_sig), "genesis-missing", [(1, "genesis-missing")]),
    ("edit eventHash", replace_in(mid, b'"eventHash":"', b'"eventHash":"0'), "bundle-malformed", None),
    # An edited eventHash (the signature holds): reported once, the stream goes on (change 1).
    ("wrong eventHash", replace_in(mid, parsed[mid]["eventHash"].encode(), bytes(64).hex()[:64].encode()),
     "wrong-event-hash", once(mid, "wrong-event-hash")),
    # An edited chainHash: reported once, the chain goes on from the computed value (change 1).
    ("wrong chainHash", replace_in(mid, parsed[mid]["chainHash"].encode(), parsed[mid - 1]["chainHash"].encode()),
     "wrong-chain-hash", once(mid, "wrong-chain-hash")),
    ("uppercase chainHash", replace_in(mid, parsed[mid]["chainHash"].encode(), parsed[mid]["chainHash"].upper().encode()), "bundle-malformed", None),
    # A garbage line: counted as the seq expected there; the next entry's chainHash is not judged
    # and the chain re-synchronises on it (change 2). mid's stream goes on, so its next event
    # is blamed (wrong-stream-seq): the malformed line's stream position is unknown.
    ("garbage line", entries[:mid] + [b"this is not json"] + entries[mid + 1:], "bundle-malformed",
     [(seq_of(mid), "bundle-malformed"), (seq_of(next_in_stream(mid)), "wrong-stream-seq")]),
    ("garbage line in a one-event stream", entries[:deep_i] + [b"this is not json"] + entries[deep_i + 1:],
     "bundle-malformed", once(deep_i, "bundle-malformed")),
    ("two garbage lines in a row", entries[:deep_i] + [b"garbage 1", b"garbage 2"] + entries[deep_i + 2:], "bundle-malformed",
     [(seq_of(deep_i), "bundle-malformed"), (seq_of(deep_i + 1), "bundle-malformed"),
      (seq_of(next_in_stream(deep_i + 1)), "wrong-stream-seq")]),
    ("cut the last line", entries[:-1] + [entries[-1][:40]], "bundle-malformed", [(seq_of(N - 1), "bundle-malformed")]),
    ("blank line in the middle", entries[:mid] + [b"", b""] + entries[mid:], "bundle-malformed", None),
    ("space-only line", entries[:mid] + [b"   "] + entries[mid:], "bundle-malformed", None),
    ("extra member in an entry", replace_in(mid, b'{"seq":', b'{"x":1,"seq":'), "bundle-malformed", None),
    ("seq as a string", replace_in(mid, b'{"seq":%d' % (mid + 1), b'{"seq":"%d"' % (mid + 1)), "bundle-malformed", None),
    ("seq as 2.0", replace_in(mid, b'{"seq":%d' % (mid + 1), b'{"seq":%d.0' % (mid + 1)), "bundle-malformed", None),
    # seq outside 1 ... 2^53-1 is bundle-malformed (change 4).
    ("seq -0 for seq 0", entries[:mid] + [entries[mid].replace(b'{"seq":%d' % (mid + 1), b'{"seq":-0', 1)] + entries[mid + 1:], "bundle-malformed", None),
    ("seq 2^63-1", replace_in(mid, b'{"seq":%d' % (mid + 1), b'{"seq":9223372036854775807'), "bundle-malformed", None),
    ("duplicate member in body", replace_in(note_i, b'"note":', b'"note":"x","note":'), "bundle-malformed", None),
    ("pretty-printed body", [entries[i] if i != mid else
                             json.dumps({"seq": parsed[i]["seq"], "body": parsed[i]["body"], "sig": parsed[i]["sig"],
                                         "eventHash": parsed[i]["eventHash"], "chainHash": parsed[i]["chainHash"]},
                                        indent=None, separators=(" , ", " : "), sort_keys=False).encode()
                             for i in range(N)], "ok", []),
    ("body with escaped ASCII", replace_in(note_i, b'"note":"step', b'"note":"\\u0073tep'), "ok", []),
]
for name, ls, expect, expect_all in cases:
    kw = {}
    if name in ("garbage line", "garbage line in a one-event stream", "two garbage lines in a row"):
        kw["head_all"] = CLEAN_HEAD  # re-synchronised on the recorded chain: the head is the clean one
    if name in ("wrong eventHash", "wrong chainHash", "edit data value", "float in a body"):
        kw["head_all"] = CLEAN_HEAD
    if name == "delete the genesis":
        kw.update(stopped=True, stopped_all=True)
    if name in ("delete the last line", "cut the last line"):
        kw.update(stopped=False)
    if name == "delete a middle line":
        kw.update(stopped=True)
    compare(name, write(name, bundle(ls)), expect=expect, expect_all=expect_all, **kw)


def hdr(old: bytes, new: bytes):
    assert old in header
    return header.replace(old, new, 1)

# (name, file, first reason, exact failures with --all or None, stoppedEarly without --all or None)
header_cases = [
    ("CRLF line ends", b"\r\n".join([header] + entries) + b"\r\n", "ok", [], False),
    ("trailing blank lines", bundle(entries) + b"\n\n\n", "ok", [], False),
    ("no final newline", bundle(entries)[:-1], "ok", [], False),
    # Every entry verifies; only the end is missing: nothing was skipped, so not stoppedEarly.
    ("header to + 1", bundle(entries, hdr(b'"to":%d' % N, b'"to":%d' % (N + 1))), "bundle-truncated",
     [(N + 1, "bundle-truncated")], False),
    ("header to - 1", bundle(entries, hdr(b'"to":%d' % N, b'"to":%d' % (N - 1))), "bundle-truncated",
     [(N, "bundle-truncated")], False),
    # A fatal genesis failure: no bundle-truncated after it, even with --all (change 6).
    ("header ledger mismatch", bundle(entries, hdr(b'"ledger":"crosscheck"', b'"ledger":"other"')), "ledger-mismatch",
     [(1, "ledger-mismatch")], True),
    ("header extra member", bundle(entries, hdr(b'{"sealbook"', b'{"x":[1],"sealbook"')), "ok", [], False),
    ("header from 2", bundle(entries, hdr(b'"from":1', b'"from":2')), "refused", None, None),
    ("header to 0", bundle(entries, hdr(b'"to":%d' % N, b'"to":0')), "refused", None, None),
    ("header bundle/2", bundle(entries, hdr(b'bundle/1', b'bundle/2')), "refused", None, None),
    ("header chainHashBefore", bundle(entries, hdr(b'"chainHashBefore":"0', b'"chainHashBefore":"1')), "refused", None, None),
    ("header exportedAt", bundle(entries, hdr(b'"exportedAt":"', b'"exportedAt":"x')), "refused", None, None),
    ("header with BOM", b"\xef\xbb\xbf" + bundle(entries), "refused", None, None),
    ("header only", header + b"\n", "bundle-truncated", [(1, "bundle-truncated")], False),
    ("empty file", b"", "refused", None, None),
]
for name, data, expect, expect_all, stopped in header_cases:
    compare(name, write(name, data), expect=expect, expect_all=expect_all, stopped=stopped)
compare("wrong pinned root", write("wrong_root", raw), root="11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        expect="genesis-root-mismatch", expect_all=[(1, "genesis-root-mismatch")], stopped=True, stopped_all=True)

# ---- synthetic bundles, signed in Python -----------------------------------------------------
ZERO = "0" * 64


def seed_of(name):
    if name == "root":  # RFC 8032 §7.1 TEST 1
        return bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    return hashlib.sha256(b"crosscheck " + name.encode()).digest()


class Key:
    def __init__(self, name):
        self.name = name
        self.sk = Ed25519PrivateKey.from_private_bytes(seed_of(name))
        self.pk = self.sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.b64 = base64.b64encode(self.pk).decode()
        self.id = "ed25519:" + hashlib.sha256(self.pk).digest()[:8].hex()
        self.actor = name + "@synth"

    def desc(self, roles):
        return {"key": self.id, "publicKey": self.b64, "actor": self.actor, "roles": roles}


KEYS = {n: Key(n) for n in ("root", "root2", "alice", "bob", "eve")}
ROOT_SYNTH = KEYS["root"].b64


class Builder:
    def __init__(self, ledger="synth"):
        self.ledger = ledger
        self.lines = []
        self.seq = 0
        self.chain = bytes(32)
        self.streams = {}
        self.hdr_ledger = ledger

    def add(self, stream, type_, data, signer="root", body_edit=None, line_edit=None, seq=None,
            sig=None, eh=None, ch=None, raw_body=None):
        k = KEYS[signer]
        last, last_hash = self.streams.get(stream, (0, bytes(32)))
        body = {"v": 1, "ledger": self.ledger, "stream": stream, "streamSeq": last + 1, "streamPrev": last_hash.hex(),
                "type": type_, "time": "2026-03-01T12:00:00.000Z", "actor": k.actor, "key": k.id, "data": data}
        if body_edit:
            body_edit(body)
        bb = raw_body if raw_body is not None else rfc8785.dumps(body)
        signature = sig if sig is not None else k.sk.sign(b"sealbook.event.v1\n" + bb)
        event_hash = eh if eh is not None else hashlib.sha256(bb + signature).digest()
        self.seq += 1
        s = self.seq if seq is None else seq
        chain = ch if ch is not None else hashlib.sha256(
            b"sealbook.chain.v1\n" + self.seq.to_bytes(8, "big") + self.chain + event_hash).digest()
        line = (b'{"seq":%d,"body":' % s + bb + b',"sig":"' + base64.b64encode(signature) + b'","eventHash":"'
                + event_hash.hex().encode() + b'","chainHash":"' + chain.hex().encode() + b'"}')
        if line_edit:
            line = line_edit(line)
        self.lines.append(line)
        self.chain = chain
        if isinstance(body, dict) and isinstance(body.get("streamSeq"), int):
            self.streams[stream] = (body["streamSeq"], event_hash)
        return self

    def genesis(self, roots=(("root", ["admin"]),), signer="root", extra=None, **kw):
        data = {"rootKeys": [KEYS[n].desc(r) for n, r in roots]}
        if extra:
            data.update(extra)
        return self.add("ledger", "ledger.genesis", data, signer=signer, **kw)

    def note(self, data=None, stream="s/1", signer="root", **kw):
        return self.add(stream, "custom.note", data if data is not None else {"text": "x"}, signer=signer, **kw)

    def enroll(self, name, roles, signer="root", **kw):
        return self.add("keys", "key.enrolled", KEYS[name].desc(roles), signer=signer, **kw)

    def revoke(self, name, signer="root", **kw):
        return self.add("keys", "key.revoked", {"key": KEYS[name].id, "reason": "test"}, signer=signer, **kw)

    def text(self, to=None):
        h = ('{"sealbook":"bundle/1","ledger":"%s","from":1,"to":%d,"chainHashBefore":"%s","exportedAt":"2026-03-01T12:00:01.000Z"}'
             % (self.hdr_ledger, self.seq if to is None else to, ZERO)).encode()
        return b"\n".join([h] + self.lines) + b"\n"


def G(**kw):
    return Builder(**kw).genesis()


def setf(member, value):
    def f(b):
        b[member] = value
    return f


def delf(member):
    def f(b):
        del b[member]
    return f


def sub(old, new):
    def f(line):
        assert old in line, (old, line[:200])
        return line.replace(old, new, 1)
    return f


def nested(depth):
    v = 1
    for _ in range(depth):
        v = {"d": v}
    return v


def nested_list(depth):
    v = 1
    for _ in range(depth):
        v = [v]
    return v


synth = [
    ("synthetic minimal", G().note(), "ok"),
    ("UTF-16 member order", G().note({"\ue000": 1, "\U0001F600": 2, "a": 3, "\u00e9": 4, "e\u0301": 5, "": 6}), "ok"),
    ("string escapes", G().note({"t": "\u0000x"[1:] + "\b\f\n\r\t\"\\/\u0001\u001f\u007f\u2028\u2029\U0001F600"}), "ok"),
    ("integer limits", G().note({"a": 9007199254740991, "b": -9007199254740991, "c": 0}), "ok"),
    ("integer 2^53", G().note({"a": 1}, line_edit=sub(b'"a":1', b'"a":9007199254740992')), "malformed-body"),
    ("number 1.0", G().note({"a": 1}, line_edit=sub(b'"a":1', b'"a":1.0')), "malformed-body"),
    ("number 1e0", G().note({"a": 1}, line_edit=sub(b'"a":1', b'"a":1e0')), "malformed-body"),
    ("number -0", G().note({"a": 0}, line_edit=sub(b'"a":0', b'"a":-0')), "ok"),
    ("number 1e400", G().note({"a": 1}, line_edit=sub(b'"a":1', b'"a":1e400')), "bundle-malformed"),
    ("number 01", G().note({"a": 1}, line_edit=sub(b'"a":1', b'"a":01')), "bundle-malformed"),
    ("number +1", G().note({"a": 1}, line_edit=sub(b'"a":1', b'"a":+1')), "bundle-malformed"),
    ("number .5", G().note({"a": 1}, line_edit=sub(b'"a":1', b'"a":.5')), "bundle-malformed"),
    ("NaN", G().note({"a": 1}, line_edit=sub(b'"a":1', b'"a":NaN')), "bundle-malformed"),
    ("huge integer literal", G().note({"a": 1}, line_edit=sub(b'"a":1', b'"a":' + b"9" * 400)), "bundle-malformed"),
    ("int64 overflow literal", G().note({"a": 1}, line_edit=sub(b'"a":1', b'"a":9223372036854775808')), "malformed-body"),
    ("escaped member name", G().note({"text": "x"}, line_edit=sub(b'"text"', b'"\\u0074ext"')), "ok"),
    ("duplicate name via escape", G().note({"text": "x"}, line_edit=sub(b'"text":"x"', b'"text":"x","\\u0074ext":"y"')), "bundle-malformed"),
    ("duplicate in a large sorted object", G().note({f"k{i:02}": i for i in range(20)}, line_edit=sub(b'"k19":19', b'"k19":19,"k03":3')), "bundle-malformed"),
    ("duplicate in a large unsorted object", G().note({"t": 1}, line_edit=sub(b'"t":1', ",".join(f'"k{i:02}":{i}' for i in range(20, 0, -1)).encode() + b',"k20":0')), "bundle-malformed"),
    ("large unsorted object", G().note({"t": 1}, line_edit=sub(b'"t":1', ",".join(f'"k{i:02}":{i}' for i in range(20, 0, -1)).encode())), "bad-signature"),
    ("control characters in names", G().note({"\u0001": 1, "\u001f": 2, "\t": 3, "a": 4}), "ok"),
    ("NFC/NFD names differ", G().note({"\u00e9": 1, "e\u0301": 2}), "ok"),
    ("surrogate pair escape", G().note({"t": "\U0001F600"}, line_edit=sub("\U0001F600".encode(), b"\\ud83d\\ude00")), "ok"),
    ("lone high surrogate", G().note({"t": "x"}, line_edit=sub(b'"t":"x"', b'"t":"\\ud83d"')), "bundle-malformed"),
    ("lone low surrogate", G().note({"t": "x"}, line_edit=sub(b'"t":"x"', b'"t":"\\ude00x"')), "bundle-malformed"),
    ("high + non-low", G().note({"t": "x"}, line_edit=sub(b'"t":"x"', b'"t":"\\ud83d\\u0041"')), "bundle-malformed"),
    ("raw control char", G().note({"t": "x"}, line_edit=sub(b'"t":"x"', b'"t":"\x01"')), "bundle-malformed"),
    ("raw DEL", G().note({"t": "\x7f"}), "ok"),
    ("invalid UTF-8", G().note({"t": "x"}, line_edit=sub(b'"t":"x"', b'"t":"\xff"')), "bundle-malformed"),
    ("overlong UTF-8", G().note({"t": "x"}, line_edit=sub(b'"t":"x"', b'"t":"\xc0\xaf"')), "bundle-malformed"),
    ("encoded surrogate", G().note({"t": "x"}, line_edit=sub(b'"t":"x"', b'"t":"\xed\xa0\x80"')), "bundle-malformed"),
    ("above U+10FFFF", G().note({"t": "x"}, line_edit=sub(b'"t":"x"', b'"t":"\xf4\x90\x80\x80"')), "bundle-malformed"),
    ("invalid escape", G().note({"t": "x"}, line_edit=sub(b'"t":"x"', b'"t":"\\x"')), "bundle-malformed"),
    ("BOM in a line", G().note(line_edit=lambda l: b"\xef\xbb\xbf" + l), "bundle-malformed"),
    ("U+FEFF in a string", G().note({"t": "\ufeff"}), "ok"),
    ("U+0000 in a string", G().note({"t": "a\u0000"}), "malformed-body"),
    ("U+0000 in a name", G().note({"a\u0000": 1}), "malformed-body"),
    # Nesting (change 5): a body may be 64 levels deep (the body is level 1, data level 2); the
    # entry line wrapping it is then 65 deep. nested(n) is a data object n levels deep.
    ("depth 63 body", G().note(nested(62)), "ok"),
    ("depth 64 body", G().note(nested(63)), "ok"),
    ("depth 64 body of arrays", G().note({"a": nested_list(62)}), "ok"),
    ("depth 65 body", G().note(nested(64)), "bundle-malformed"),
    ("depth 65 body of arrays", G().note({"a": nested_list(63)}), "bundle-malformed"),
    ("trailing comma", G().note({"t": "x"}, line_edit=sub(b'"t":"x"', b'"t":"x",')), "bundle-malformed"),
    ("unknown body member", G().note(body_edit=setf("extra", 1)), "malformed-body"),
    ("missing body member", G().note(body_edit=delf("time")), "malformed-body"),
    ("v 2", G().note(body_edit=setf("v", 2)), "malformed-body"),
    ("v 1.0", G().note(line_edit=sub(b'"v":1', b'"v":1.0')), "malformed-body"),
    ("body not an object", G().note(line_edit=lambda l: l[:l.index(b'"body":') + 7] + b"[1]" + l[l.index(b',"sig"'):]), "malformed-body"),
    ("body null", G().note(line_edit=lambda l: l[:l.index(b'"body":') + 7] + b"null" + l[l.index(b',"sig"'):]), "malformed-body"),
    ("data not an object", G().note(body_edit=setf("data", [1])), "malformed-body"),
    ("streamSeq string", G().note(body_edit=setf("streamSeq", "1")), "malformed-body"),
    ("streamPrev uppercase", G().note().note(body_edit=lambda b: b.update(streamPrev=b["streamPrev"].upper())), "malformed-body"),
    ("streamPrev nonzero at 1", G().note(body_edit=setf("streamPrev", "1" * 64)), "malformed-body"),
    ("time Feb 29 2026", G().note(body_edit=setf("time", "2026-02-29T00:00:00.000Z")), "malformed-body"),
    ("time Feb 29 2024", G().note(body_edit=setf("time", "2024-02-29T00:00:00.000Z")), "ok"),
    ("time Feb 29 2100", G().note(body_edit=setf("time", "2100-02-29T00:00:00.000Z")), "malformed-body"),
    ("time Feb 29 2000", G().note(body_edit=setf("time", "2000-02-29T00:00:00.000Z")), "ok"),
    ("time year 0000", G().note(body_edit=setf("time", "0000-02-29T00:00:00.000Z")), "ok"),
    ("time second 60", G().note(body_edit=setf("time", "2026-06-30T23:59:60.000Z")), "malformed-body"),
    ("time lowercase z", G().note(body_edit=setf("time", "2026-06-30T23:59:59.000z")), "malformed-body"),
    ("time two fraction digits", G().note(body_edit=setf("time", "2026-06-30T23:59:59.00Z")), "malformed-body"),
    ("time with offset", G().note(body_edit=setf("time", "2026-06-30T23:59:59.000+00:00")), "malformed-body"),
    ("stream 200 chars", G().note(stream="a" * 200), "ok"),
    ("stream 201 chars", G().note(stream="a" * 201), "malformed-body"),
    ("stream all punctuation", G().note(stream="Z._~:/@+-"), "ok"),
    ("stream leading dot", G().note(stream=".x"), "malformed-body"),
    ("stream with space", G().note(stream="a b"), "malformed-body"),
    ("type single segment", G().add("s/1", "note", {}), "ok"),
    ("type 100 chars", G().add("s/1", "a" * 100, {}), "ok"),
    ("type 101 chars", G().add("s/1", "a" * 101, {}), "malformed-body"),
    ("type empty segment", G().add("s/1", "a..b", {}), "malformed-body"),
    ("type uppercase", G().add("s/1", "Custom.note", {}), "malformed-body"),
    ("type digit segment", G().add("s/1", "custom.1note", {}), "malformed-body"),
    ("idem 200 chars", G().note(body_edit=setf("idem", "é" * 200)), "ok"),
    ("idem 201 chars", G().note(body_edit=setf("idem", "x" * 201)), "malformed-body"),
    ("idem empty", G().note(body_edit=setf("idem", "")), "malformed-body"),
    ("idem with tab", G().note(body_edit=setf("idem", "a\tb")), "malformed-body"),
    ("idem with DEL", G().note(body_edit=setf("idem", "a\x7fb")), "malformed-body"),
    ("idem with U+0085", G().note(body_edit=setf("idem", "a\x85b")), "ok"),
    ("idem number", G().note(body_edit=setf("idem", 5)), "malformed-body"),
    ("body over 65536 bytes", G().note({"t": "x" * 65536}), "malformed-body"),
    ("body exactly 65536 bytes", None, "ok"),
    ("ledger 63 chars", Builder(ledger="a" * 63).genesis().note(), "ok"),
    ("other ledger event", G().note(body_edit=setf("ledger", "other")), "ledger-mismatch"),
    ("second genesis", G().add("ledger", "ledger.genesis", {"rootKeys": [KEYS["root"].desc(["admin"])]}), "reserved-stream"),
    ("genesis type elsewhere", G().add("s/1", "ledger.genesis", {}), "reserved-stream"),
    ("custom type in keys", G().add("keys", "custom.note", {}), "reserved-stream"),
    ("keys prefix stream is not reserved", G().add("keys/x", "custom.note", {}), "ok"),
    ("enrolment outside keys", G().add("s/1", "key.enrolled", KEYS["alice"].desc(["operator"])), "reserved-stream"),
    ("enrol and use", G().enroll("alice", ["operator"]).note(signer="alice"), "ok"),
    ("use before enrolment", G().note(signer="alice"), "unknown-key"),
    ("enrol by non-admin", G().enroll("alice", ["operator"]).enroll("bob", ["operator"], signer="alice"), "unauthorized"),
    ("enrol with unknown role only", G().enroll("alice", ["wizard"]).note(signer="alice"), "ok"),
    ("enrol with empty roles", G().enroll("alice", []).note(signer="alice"), "ok"),
    ("non-admin key with unknown role enrols", G().enroll("alice", ["Admin"]).enroll("bob", [], signer="alice"), "unauthorized"),
    ("enrol twice", G().enroll("alice", ["operator"]).enroll("alice", ["admin"]), "invalid-key-event"),
    ("enrol the root again", G().enroll("root", ["admin"]), "invalid-key-event"),
    ("enrol with wrong key id", G().add("keys", "key.enrolled", dict(KEYS["alice"].desc(["operator"]), key=KEYS["bob"].id)), "invalid-key-event"),
    ("enrol with 31-byte key", G().add("keys", "key.enrolled", dict(KEYS["alice"].desc([]), publicKey=base64.b64encode(KEYS["alice"].pk[:31]).decode())), "invalid-key-event"),
    ("enrol with bad actor", G().add("keys", "key.enrolled", dict(KEYS["alice"].desc([]), actor="Alice")), "invalid-key-event"),
    ("enrol with role not a string", G().add("keys", "key.enrolled", dict(KEYS["alice"].desc([]), roles=[1])), "invalid-key-event"),
    ("enrol with extra data member", G().add("keys", "key.enrolled", dict(KEYS["alice"].desc([]), note="x")).note(signer="alice"), "ok"),
    ("revoke and use", G().enroll("alice", ["operator"]).revoke("alice").note(signer="alice"), "key-revoked"),
    ("revoke twice", G().enroll("alice", ["operator"]).revoke("alice").revoke("alice"), "invalid-key-event"),
    ("revoke unknown", G().revoke("alice"), "invalid-key-event"),
    ("revoke with bad key id", G().add("keys", "key.revoked", {"key": "ed25519:XYZ", "reason": "r"}), "invalid-key-event"),
    ("revoke without reason", G().enroll("alice", []).add("keys", "key.revoked", {"key": KEYS["alice"].id}), "invalid-key-event"),
    ("revoke by non-admin", G().enroll("alice", ["operator"]).enroll("bob", []).revoke("bob", signer="alice"), "unauthorized"),
    ("admin revokes itself then signs", G().enroll("alice", ["admin"]).revoke("alice", signer="alice").note(signer="alice"), "key-revoked"),
    ("root revoked", G().enroll("alice", ["admin"]).revoke("root", signer="alice").note(), "key-revoked"),
    ("actor mismatch", G().enroll("alice", ["operator"]).note(signer="alice", body_edit=setf("actor", "bob@synth")), "actor-key-mismatch"),
    ("enrolment with wrong eventHash still enrols", G().enroll("alice", ["operator"], eh=bytes(32)).note(signer="alice"), "wrong-event-hash"),
    ("failed enrolment enrols nothing", G().enroll("alice", ["operator"]).enroll("bob", [], signer="alice").note(signer="bob"), "unauthorized"),
    ("wrong streamSeq", G().note().note(body_edit=setf("streamSeq", 3)), "wrong-stream-seq"),
    ("wrong streamPrev", G().note().note(body_edit=setf("streamPrev", "ab" * 32)), "wrong-stream-prev"),
    ("stream restarts", G().note().note(body_edit=lambda b: b.update(streamSeq=1, streamPrev=ZERO)), "wrong-stream-seq"),
    ("two streams interleaved", G().note(stream="a").note(stream="b").note(stream="a").note(stream="b"), "ok"),
    ("recorded eventHash wrong", G().note(eh=bytes(32)), "wrong-event-hash"),
    ("recorded chainHash wrong", G().note(ch=bytes(32)).note(), "wrong-chain-hash"),
    ("wrong key signs", G().enroll("alice", ["operator"]).note(signer="alice", body_edit=setf("key", KEYS["root"].id)), "actor-key-mismatch"),
    ("sig by another key", G().enroll("alice", ["operator"]).note(signer="alice", sig=KEYS["bob"].sk.sign(b"x")), "bad-signature"),
    ("sig empty", G().note(sig=b""), "bad-signature"),
    ("sig 65 bytes", G().note(line_edit=lambda l: l), None),
    ("genesis only", G(), "ok"),
    ("genesis with extra data", Builder().genesis(extra={"policy": {"x": 1}}).note(), "ok"),
    ("genesis with two roots", Builder().genesis(roots=(("root", ["admin"]), ("root2", ["operator"]))).note(signer="root2"), "ok"),
    ("genesis signed by second root", Builder().genesis(roots=(("root2", ["admin"]), ("root", ["operator"])), signer="root").note(), "ok"),
    ("genesis root without admin", Builder().genesis(roots=(("root", ["operator"]),)).note(), "ok"),
    ("genesis root without admin enrols", Builder().genesis(roots=(("root", ["operator"]),)).enroll("alice", []), "unauthorized"),
    ("genesis signer not listed", Builder().genesis(roots=(("root2", ["admin"]),), signer="root"), "genesis-missing"),
    ("genesis empty rootKeys", Builder().add("ledger", "ledger.genesis", {"rootKeys": []}), "genesis-missing"),
    ("genesis duplicate root", Builder().genesis(roots=(("root", ["admin"]), ("root", ["admin"]))), "genesis-missing"),
    ("genesis actor mismatch", Builder().genesis(body_edit=setf("actor", "bob@synth")), "genesis-missing"),
    ("genesis in other stream", Builder().add("s/1", "ledger.genesis", {"rootKeys": [KEYS["root"].desc(["admin"])]}), "genesis-missing"),
    ("genesis wrong type", Builder().add("ledger", "custom.note", {"rootKeys": [KEYS["root"].desc(["admin"])]}), "genesis-missing"),
    ("genesis malformed body", Builder().genesis(body_edit=setf("v", 2)), "genesis-missing"),
    ("genesis malformed line", Builder().genesis(line_edit=lambda l: l[:-1]).note(), "bundle-malformed"),
    ("genesis wrong chainHash", Builder().genesis(ch=bytes(32)).note(), "wrong-chain-hash"),
    # The first entry must be seq 1 (change 3).
    ("first entry seq 2", Builder().genesis(seq=2).note(), "genesis-missing"),
    ("first entry seq 1 but not a genesis", Builder().note().note(), "genesis-missing"),
    # seq must be in 1 ... 2^53-1, else the line is bundle-malformed (change 4).
    ("seq 0", G().note(seq=0), "bundle-malformed"),
    ("seq negative", G().note(seq=-5), "bundle-malformed"),
    ("seq beyond int64", G().note(line_edit=sub(b'{"seq":2', b'{"seq":9223372036854775808')), "bundle-malformed"),
    ("seq int64 max", G().note(line_edit=sub(b'{"seq":2', b'{"seq":9223372036854775807')), "bundle-malformed"),
    ("seq 2^53", G().note(line_edit=sub(b'{"seq":2', b'{"seq":9007199254740992')), "bundle-malformed"),
    ("seq 2^53-1", G().note(line_edit=sub(b'{"seq":2', b'{"seq":9007199254740991')).note(), "seq-gap"),
    ("seq 2^53-1 then a garbage line", G().note(line_edit=sub(b'{"seq":2', b'{"seq":9007199254740991')).note(line_edit=lambda l: b"x"), "seq-gap"),
    ("seq int64 min, then seq 2", G().note(seq=-9223372036854775808).note(seq=2), "bundle-malformed"),
    ("malformed line then good lines", G().note().note(line_edit=lambda l: l[:-1]).note().note(stream="s/2"), "bundle-malformed"),
]

# a body of exactly 65536 canonical bytes
b = G()
probe = rfc8785.dumps({"v": 1, "ledger": "synth", "stream": "s/1", "streamSeq": 1, "streamPrev": ZERO, "type": "custom.note",
                       "time": "2026-03-01T12:00:00.000Z", "actor": "root@synth", "key": KEYS["root"].id, "data": {"t": ""}})
b.note({"t": "x" * (65536 - len(probe))})
synth = [(n, b if n == "body exactly 65536 bytes" else v, e) for n, v, e in synth]

for name, builder, expect in synth:
    if name == "sig 65 bytes":
        builder = G().note()
        l = builder.lines[-1]
        o = json.loads(l)
        builder.lines[-1] = l.replace(o["sig"].encode(), base64.b64encode(base64.b64decode(o["sig"]) + b"\0"))
        expect = "bad-signature"
    compare("synthetic: " + name, write("synth " + name, builder.text()), root=ROOT_SYNTH, expect=expect)


# ---- re-synchronisation after a failure (FORMAT.md §7.4 V5), with the exact --all report -----------
def garbage(line):
    return b"this is not json"


def zero_hash(member):
    """Edits the recorded `member` ("eventHash" or "chainHash") of a line to 64 zeros, as a
    tamperer would: the entries after it keep the original values."""
    def f(line):
        out, n = re.subn(rb'"%s":"[0-9a-f]{64}"' % member.encode(), b'"%s":"%s"' % (member.encode(), b"0" * 64), line, count=1)
        assert n == 1
        return out
    return f


def float_in(line):
    assert b'"text":"x"' in line
    return line.replace(b'"text":"x"', b'"text":"x","f":1.5', 1)


# (name, builder, exact (seq, reason) list with --all); the head with --all must be the
# builder's last chainHash whenever the last entry verifies.
resync = [
    ("edited chainHash is reported once",
     G().note().note(line_edit=zero_hash("chainHash")).note().note(), [(3, "wrong-chain-hash")]),
    ("edited eventHash is reported once (signature holds: the stream goes on from the computed hash)",
     G().note().note(line_edit=zero_hash("eventHash")).note().note(), [(3, "wrong-event-hash")]),
    ("edited eventHash and chainHash: the chain after it cannot re-synchronise (FORMAT.md §11)",
     G().note().note(line_edit=lambda l: zero_hash("chainHash")(zero_hash("eventHash")(l))).note().note(),
     [(3, "wrong-event-hash"), (4, "wrong-chain-hash"), (5, "wrong-chain-hash")]),
    ("bad signature is reported once (the stream goes on from the recorded hash)",
     G().note().note(sig=KEYS["root"].sk.sign(b"other")).note().note(), [(3, "bad-signature")]),
    ("a float in a body is reported once (its stream position still advances)",
     G().note().note(line_edit=float_in).note().note(), [(3, "malformed-body")]),
    ("a body with an unknown member is reported once",
     G().note().note(body_edit=setf("extra", 1)).note(), [(3, "malformed-body")]),
    ("two bodies with an invalid stream id",
     G().note(stream="a b").note(stream="a b").note(stream="s/2"), [(2, "malformed-body"), (3, "malformed-body")]),
    ("a body whose streamSeq is a string: its stream position stays",
     G().note().note(body_edit=setf("streamSeq", "2")).note(), [(3, "malformed-body")]),
    ("unknown key is reported once (the stream goes on from the recorded hash)",
     G().note().note(signer="alice").note(), [(3, "unknown-key")]),
    ("wrong streamSeq is reported once", G().note().note(body_edit=setf("streamSeq", 5)).note(), [(3, "wrong-stream-seq")]),
    ("a garbage line is reported once, the next chainHash is not judged",
     G().note(stream="a").note(stream="b", line_edit=garbage).note(stream="c").note(stream="d").note(stream="e"),
     [(3, "bundle-malformed")]),
    ("a garbage line before the last entry",
     G().note(stream="a").note(stream="b", line_edit=garbage).note(stream="c"), [(3, "bundle-malformed")]),
    ("two garbage lines in a row",
     G().note(stream="a").note(stream="b", line_edit=garbage).note(stream="c", line_edit=garbage).note(stream="d").note(stream="e"),
     [(3, "bundle-malformed"), (4, "bundle-malformed")]),
    ("a garbage line, then an entry that fails",
     G().note(stream="a").note(stream="b", line_edit=garbage).note(stream="c", sig=bytes(64)).note(stream="d").note(stream="e"),
     [(3, "bundle-malformed"), (4, "bad-signature")]),
    ("a garbage line in a stream that goes on",
     G().note().note(line_edit=garbage).note(stream="s/2").note().note(), [(3, "bundle-malformed"), (5, "wrong-stream-seq")]),
    ("a blank line between entries",
     G().note(stream="a").note(stream="b", line_edit=lambda l: b"").note(stream="c").note(stream="d"), [(3, "bundle-malformed")]),
    ("a deleted line (seq-gap), then the chain goes on",
     G().note(stream="a").note(stream="b").note(stream="c").note(stream="d"), None),
    ("seq 2^53-1 then seq 3", G().note(line_edit=sub(b'{"seq":2', b'{"seq":9007199254740991')).note(),
     [(9007199254740991, "seq-gap"), (3, "seq-duplicate")]),
]
for name, builder, expect_all in resync:
    if name.startswith("a deleted line"):
        builder.lines.pop(2)  # seq 3: seq 4 is seq-gap, seq 5 goes on (recorded chainHash)
        expect_all = [(4, "seq-gap")]
        head = builder.chain.hex()
    elif expect_all and expect_all[-1][0] >= builder.seq:
        head = None  # the last entry fails: the head is a re-synchronised value, agreement suffices
    else:
        head = builder.chain.hex()
    compare("resync: " + name, write("resync " + name, builder.text()), root=ROOT_SYNTH,
            expect=expect_all[0][1] if expect_all else "ok", expect_all=expect_all, head_all=head)


# ---- stopping: fatal failures and stoppedEarly (FORMAT.md §7.4 "Stopping") ----------------------
stopping = [
    # (name, builder, exact --all list, stoppedEarly without --all, with --all)
    ("genesis only, failing", Builder().genesis(sig=bytes(64)), [(1, "genesis-missing")], False, False),
    ("bad genesis, then entries: fatal, no bundle-truncated", Builder().genesis(sig=bytes(64)).note().note(),
     [(1, "genesis-missing")], True, True),
    ("malformed genesis line, then entries: fatal", Builder().genesis(line_edit=garbage).note().note(),
     [(1, "bundle-malformed")], True, True),
    ("genesis missing (seq 2 first): fatal", Builder().genesis(seq=2).note().note(), [(2, "genesis-missing")], True, True),
    ("failure at the last entry", G().note().note(sig=bytes(64)), [(3, "bad-signature")], False, False),
    ("failure before the last entry", G().note(sig=bytes(64)).note(), [(2, "bad-signature")], True, False),
]
for name, builder, expect_all, stopped, stopped_all in stopping:
    compare("stopping: " + name, write("stop " + name, builder.text()), root=ROOT_SYNTH,
            expect=expect_all[0][1], expect_all=expect_all, stopped=stopped, stopped_all=stopped_all)
# The header promises more than the bundle holds, and the last entry fails: the truncation
# check does not run without --all, and the entries the header promises were not checked.
b = G().note().note(sig=bytes(64))
compare("stopping: failure at the last line, header promises more", write("stop promises more", b.text(to=5)), root=ROOT_SYNTH,
        expect="bad-signature", expect_all=[(3, "bad-signature"), (4, "bundle-truncated")], stopped=True, stopped_all=False)
# Every entry verifies, the bundle ends early: the truncation failure is not "stopping early".
b = G().note().note()
compare("stopping: truncated bundle, every entry verifies", write("stop truncated", b.text(to=5)), root=ROOT_SYNTH,
        expect="bundle-truncated", expect_all=[(4, "bundle-truncated")], stopped=False, stopped_all=False)


# ---- bundles longer than one 8192-entry chunk ---------------------------------------------------
CHUNK = 8192


def long_bundle(n, edits=None):
    """Genesis + notes up to seq n (streams s/0 … s/2 in turn); edits: {seq: kwargs for add}."""
    b = G()
    for seq in range(2, n + 1):
        b.note(stream=f"s/{seq % 3}", **((edits or {}).get(seq, {})))
    return b


big = [
    # The first failure is the last entry of the first chunk (seq 8192): entries remain.
    ("failure at the last entry of a chunk", long_bundle(CHUNK + 8, {CHUNK: {"sig": bytes(64)}}), None,
     "bad-signature", [(CHUNK, "bad-signature")], True),
    ("failure at the first entry of the second chunk", long_bundle(CHUNK + 8, {CHUNK + 1: {"sig": bytes(64)}}), None,
     "bad-signature", [(CHUNK + 1, "bad-signature")], True),
    # More entry lines than the header's `to`, the first failure at the end of the first chunk:
    # entry lines remain unread, so verification stopped early.
    ("failure at the end of a chunk, header to below the lines", long_bundle(CHUNK + 1, {CHUNK: {"sig": bytes(64)}}), CHUNK,
     "bad-signature", [(CHUNK, "bad-signature"), (CHUNK + 1, "bundle-truncated")], True),
]
for name, builder, to, expect, expect_all, stopped in big:
    compare("long bundle: " + name, write("long " + name, builder.text(to=to)), root=ROOT_SYNTH,
            expect=expect, expect_all=expect_all, stopped=stopped)


def duplicate_with_edited_hash(at):
    """The line of seq `at` repeated, the copy with an edited eventHash; seq at+3 is the next event
    of its stream. With --all: seq-duplicate at `at`; the signature of an entry that fails V2 is
    not checked (V3 is skipped), so its stream goes on from its recorded (edited) eventHash, and
    seq at+3 is wrong-stream-prev. The same wherever the entry is in the log."""
    b = long_bundle(at + 6)
    b.lines.insert(at, zero_hash("eventHash")(b.lines[at - 1]))
    return b


for at, label in ((100, "first chunk"), (CHUNK + 100, "second chunk")):
    compare(f"long bundle: duplicated line with an edited eventHash, {label}",
            write(f"long dup {at}", duplicate_with_edited_hash(at).text()), root=ROOT_SYNTH,
            expect="seq-duplicate", expect_all=[(at, "seq-duplicate"), (at + 3, "wrong-stream-prev")])


# ---- checkpoints carried by bundles (FORMAT.md §6.5) ---------------------------------------------
def key_seed(name):
    return base64.b64decode(json.load(open(os.path.join(KEY_DIR, name + ".key")))["seed"])


def sign_note(text: bytes, name: str, seed: bytes) -> bytes:
    """A signed note (c2sp.org/signed-note) of `text` by the Ed25519 key `seed` under `name`."""
    sk = Ed25519PrivateKey.from_private_bytes(seed)
    pk = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    kid = hashlib.sha256(name.encode() + b"\n\x01" + pk).digest()[:4]
    return text + b"\n" + "\u2014 ".encode() + name.encode() + b" " + base64.b64encode(kid + sk.sign(text)) + b"\n"


def with_checkpoint(data: bytes, note) -> bytes:
    """The file with its header's checkpoint member replaced (None: removed)."""
    first, rest = data.split(b"\n", 1)
    h = json.loads(first)
    if note is None:
        h.pop("checkpoint", None)
    else:
        h["checkpoint"] = note.decode() if isinstance(note, bytes) else note
    return json.dumps(h, separators=(",", ":"), ensure_ascii=False).encode() + b"\n" + rest


cp_raw = open(BUNDLE_CP, "rb").read()
cp_hdr = json.loads(cp_raw.split(b"\n", 1)[0])
cp_note = cp_hdr["checkpoint"].encode()
cp_text = cp_note[:cp_note.rindex(b"\n\n") + 1]
cp_lines = cp_text.decode().split("\n")[:-1]
ORIGIN, CP_N, CP_ROOT = cp_lines[0], int(cp_lines[1]), cp_lines[2]
cp_entries = cp_raw.split(b"\n")[1:-1]
CP_TO = cp_hdr["to"]
LOG = key_seed("log")


def corrupt_signature(note: bytes) -> bytes:
    """The note with one byte of its (last) signature flipped, still canonical base64."""
    head, line = note[:-1].rsplit(b"\n", 1)
    name_part, b64 = line.rsplit(b" ", 1)
    raw = bytearray(base64.b64decode(b64))
    raw[20] ^= 1
    return head + b"\n" + name_part + b" " + base64.b64encode(bytes(raw)) + b"\n"


def cp_variant(lines):
    return sign_note(("\n".join(lines) + "\n").encode(), ORIGIN, LOG)


other_key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"crosscheck other log key").digest())
other_pk = other_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
OTHER_VKEY = "%s+%s+%s" % (ORIGIN, hashlib.sha256(ORIGIN.encode() + b"\n\x01" + other_pk).digest()[:4].hex(),
                             base64.b64encode(b"\x01" + other_pk).decode())
other_origin = "sealbook.ledger/other/0011223344556677"


def cut(n):
    """The bundle's first n entries, its header's to set to n (a careful truncation)."""
    h = dict(cp_hdr, to=n)
    return json.dumps(h, separators=(",", ":"), ensure_ascii=False).encode() + b"\n" + b"\n".join(cp_entries[:n]) + b"\n"


N = CP_N
carried_cases = [
    # (name, file bytes, first reason, exact --all list or None, extra args, anchored)
    ("clean, carrying the latest checkpoint", cp_raw, "ok", [], (), True),
    ("clean, with the right --log-vkey", cp_raw, "ok", [], ("--log-vkey", LOG_VKEY), True),
    ("clean, cut after cp1, carrying cp1", open(BUNDLE_CP1, "rb").read(), "ok", [], (), True),
    ("--log-vkey of another key", cp_raw, "checkpoint-mismatch", [(N, "checkpoint-mismatch")], ("--log-vkey", OTHER_VKEY), False),
    ("edited root in the note", with_checkpoint(cp_raw, cp_note.replace(CP_ROOT.encode(), base64.b64encode(bytes(32)), 1)),
     "checkpoint-mismatch", [(N, "checkpoint-mismatch")], (), False),
    ("another ledger's checkpoint, signed by the log key",
     with_checkpoint(cp_raw, sign_note(cp_text.replace(ORIGIN.encode(), other_origin.encode(), 1), other_origin, LOG)),
     "checkpoint-mismatch", [(N, "checkpoint-mismatch")], (), False),
    ("signed by an operator key", with_checkpoint(cp_raw, sign_note(cp_text, ORIGIN, key_seed("alice"))),
     "checkpoint-mismatch", [(N, "checkpoint-mismatch")], (), False),
    ("log signature corrupted", with_checkpoint(cp_raw, corrupt_signature(cp_note)),
     "checkpoint-mismatch", [(N, "checkpoint-mismatch")], (), False),
    ("an extra signature by an unknown key", with_checkpoint(cp_raw, cp_note + sign_note(cp_text, "witness.example", other_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())).split(b"\n\n")[-1]), "ok", [], (), True),
    ("no extension lines, re-signed", with_checkpoint(cp_raw, cp_variant(cp_lines[:3])), "ok", [], (), True),
    ("wrong sealbook-chain line, re-signed", with_checkpoint(cp_raw, cp_variant(cp_lines[:3] + ["sealbook-chain " + "0" * 64, cp_lines[4]])),
     "checkpoint-mismatch", [(N, "checkpoint-mismatch")], (), False),
    ("wrong sealbook-keys line, re-signed", with_checkpoint(cp_raw, cp_variant(cp_lines[:4] + ["sealbook-keys 1 " + "0" * 64])),
     "checkpoint-mismatch", [(N, "checkpoint-mismatch")], (), False),
    ("malformed sealbook-keys line, re-signed", with_checkpoint(cp_raw, cp_variant(cp_lines[:4] + ["sealbook-keys 01 " + "0" * 64])),
     "checkpoint-mismatch", [(N, "checkpoint-mismatch")], (), False),
    ("two sealbook-chain lines, re-signed", with_checkpoint(cp_raw, cp_variant(cp_lines + [cp_lines[3]])),
     "checkpoint-mismatch", [(N, "checkpoint-mismatch")], (), False),
    ("a root for another size, re-signed", with_checkpoint(cp_raw, cp_variant([ORIGIN, str(N - 1)] + cp_lines[2:])),
     "checkpoint-mismatch", [(N - 1, "checkpoint-mismatch")], (), False),
    ("a checkpoint beyond the bundle, re-signed", with_checkpoint(cp_raw, cp_variant([ORIGIN, str(CP_TO + 5)] + cp_lines[2:])),
     "checkpoint-mismatch", [(CP_TO + 1, "checkpoint-mismatch")], (), False),
    ("a checkpoint of size 0, re-signed", with_checkpoint(cp_raw, cp_variant([ORIGIN, "0"] + cp_lines[2:])),
     "checkpoint-mismatch", [(CP_TO, "checkpoint-mismatch")], (), False),
    ("garbled note (no blank line)", with_checkpoint(cp_raw, cp_note.replace(b"\n\n", b"\n", 1)),
     "checkpoint-mismatch", [(CP_TO, "checkpoint-mismatch")], (), False),
    ("note with a control character", with_checkpoint(cp_raw, cp_note.replace(b"\n", b"\t\n", 1)),
     "checkpoint-mismatch", [(CP_TO, "checkpoint-mismatch")], (), False),
    ("truncated below the checkpoint, header to fixed", cut(N - 3), "checkpoint-mismatch", [(N - 2, "checkpoint-mismatch")], (), False),
    ("truncated below the checkpoint, header unchanged: bundle-truncated, the checkpoint is not checked",
     with_checkpoint(b"\n".join([cp_raw.split(b"\n")[0]] + cp_entries[:N - 3]) + b"\n", cp_note),
     "bundle-truncated", [(N - 2, "bundle-truncated")], (), False),
    ("an edited entry before the checkpoint: the checkpoint is not checked",
     b"\n".join([cp_raw.split(b"\n")[0]] + cp_entries[:5] + [cp_entries[5].replace(b'"v":1}', b'"v":1,"x":1}', 1)] + cp_entries[6:]) + b"\n",
     "malformed-body", [(6, "malformed-body")], (), False),
    ("checkpoint removed: an old-style bundle", with_checkpoint(cp_raw, None), "ok", [], (), None),
]
for name, data, expect, expect_all, extra_args, anchored in carried_cases:
    compare("carried checkpoint: " + name, write("cp " + name, data), expect=expect, expect_all=expect_all,
            extra_args=extra_args, anchored=anchored)
compare("carried checkpoint: checkpoint member not a string", write("cp not string", with_checkpoint(cp_raw, None).replace(
    b'"exportedAt"', b'"checkpoint":["x"],"exportedAt"', 1)), expect="refused")


# Synthetic: who may sign a checkpoint (FORMAT.md §6.5 C4): a key with role log at its size.
def synth_cp(builder, size, signer="eve", origin=None, extra_lines=None, sign_name=None):
    leaves = []
    for l in builder.lines[:size]:
        o = json.loads(l)
        leaves.append(hashlib.sha256(b"\x00" + bytes.fromhex(o["eventHash"])).digest())
    genesis = json.loads(builder.lines[0])
    org = origin or "sealbook.ledger/%s/%s" % (builder.ledger, genesis["eventHash"][:16])
    text = "%s\n%d\n%s\n" % (org, size, base64.b64encode(vb_tree_root(leaves)).decode())
    for x in extra_lines or []:
        text += x + "\n"
    note = sign_note(text.encode(), sign_name or org, seed_of(signer))
    data = builder.text()
    return with_checkpoint(data, note)


def vb_tree_root(leaves):
    """RFC 6962 MTH over leaf hashes, recursively (RFC 9162 §2.1.1)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + vb_tree_root(leaves[:k]) + vb_tree_root(leaves[k:])).digest()


def LG():
    return G().enroll("eve", ["log"]).note().note()


synth_cp_cases = [
    ("log key enrolled before the size", synth_cp(LG().note(), 5), "ok", []),
    ("size exactly at the log key's enrolment", synth_cp(LG(), 2), "ok", []),
    ("size before the log key's enrolment", synth_cp(G().note().enroll("eve", ["log"]).note(), 2), "checkpoint-mismatch", [(2, "checkpoint-mismatch")]),
    ("log key revoked before the size", synth_cp(LG().revoke("eve").note(), 6), "checkpoint-mismatch", [(6, "checkpoint-mismatch")]),
    ("log key revoked after the size", synth_cp(LG().revoke("eve").note(), 4), "ok", []),
    ("log key revoked at the size", synth_cp(LG().revoke("eve").note(), 5), "checkpoint-mismatch", [(5, "checkpoint-mismatch")]),
    ("a key without role log", synth_cp(G().enroll("eve", ["operator"]).note(), 3), "checkpoint-mismatch", [(3, "checkpoint-mismatch")]),
    ("a root key with role log", synth_cp(Builder().genesis(roots=(("root", ["admin", "log"]),)).note(), 2, signer="root"), "ok", []),
    ("genesis origin in data.origin", synth_cp(Builder().genesis(extra={"origin": "example.com/log"}).enroll("eve", ["log"]).note(), 3,
                                               origin="example.com/log"), "ok", []),
    ("genesis origin in data.origin, checkpoint with the derived origin", synth_cp(
        Builder().genesis(extra={"origin": "example.com/log"}).enroll("eve", ["log"]).note(), 3), "checkpoint-mismatch", [(3, "checkpoint-mismatch")]),
    ("an origin that is no key name", synth_cp(Builder().genesis(extra={"origin": "a b"}).enroll("eve", ["log"]).note(), 3,
                                                origin="a b", sign_name="ab"), "checkpoint-mismatch", [(3, "checkpoint-mismatch")]),
    ("keys line at the size", None, "ok", []),
]
for name, data, expect, expect_all in synth_cp_cases:
    if data is None:  # the keys stream's position at size 3: eve's enrolment, streamSeq 1
        b = LG().enroll("alice", ["operator"])
        eh = json.loads(b.lines[1])["eventHash"]
        data = synth_cp(b, 3, extra_lines=["sealbook-keys 1 " + eh])
    compare("carried checkpoint, synthetic: " + name, write("cps " + name, data), root=ROOT_SYNTH, expect=expect, expect_all=expect_all)


# ---- evidence packages (FORMAT.md §12.6, §12.7) ------------------------------------------------
def ev_verdict(code, out):
    if "unparsable" in out:
        return ("no JSON output: exit %d" % code,)
    if "error" in out:
        return ("refused",)
    c = out.get("checkpoint")
    return ("ok" if code == 0 and out["ok"] else "failed", out["ledger"], out["stream"], out["entries"], out["events"],
            json.dumps(out["lastEvent"], sort_keys=True), carried(c), out["rootPinned"],
            tuple((f["seq"], f["line"], f["stream"], f["reason"]) for f in out["failures"]))


def compare_ev(name, path, expect, seq=None, root=None, pin=True, extra_args=()):
    """Both verifiers must give the same verdict, and sealbook's the documented one: `expect` is
    "ok", "refused" or the reason of the (first and only) failure, at `seq` when given."""
    global passed, failed
    args = (["--trust-root", root or ROOT_PK] if pin else []) + list(extra_args)
    s = ev_verdict(*run([BIN, "verify", "--evidence", path, "--json"] + args))
    p = ev_verdict(*run([PY, VERIFY_EV, path, "--json"] + args))
    got = s[0] if s[0] != "failed" else s[-1][0][3]
    wrong = []
    if s != p:
        wrong.append("the verifiers disagree")
    if got != expect:
        wrong.append(f"expected {expect}")
    if seq is not None and (s[0] != "failed" or s[-1][0][0] != seq):
        wrong.append(f"expected the failure at seq {seq}")
    if not wrong:
        passed += 1
        print(f"PASS evidence: {name}: {got}" + (f" at seq {s[-1][0][0]}" if s[0] == "failed" else ""))
    else:
        failed += 1
        print(f"FAIL evidence: {name}: {'; '.join(wrong)}\n  sealbook: {s}\n  python:   {p}")


ev_raw = open(EVIDENCE, "rb").read()
ev_header = ev_raw.split(b"\n")[0]
ev_h = json.loads(ev_header)
ev_lines = ev_raw.split(b"\n")[1:-1]
ev = [json.loads(l) for l in ev_lines]
EV_STREAM, EV_TO, EV_NOTE = ev_h["stream"], ev_h["to"], ev_h["checkpoint"]
EV_N = int(EV_NOTE.split("\n")[1])
sess = [i for i, e in enumerate(ev) if e["body"]["stream"] == EV_STREAM]
keys_i = [i for i, e in enumerate(ev) if e["body"]["stream"] == "keys"]
assert len(sess) >= 4 and len(keys_i) >= 4 and sess[-1] == len(ev) - 1, (sess, keys_i)


def evfile(lines, header=None):
    return (header if header is not None else ev_header) + b"\n" + b"\n".join(lines) + b"\n"


def ev_hdr(**changes):
    h = dict(ev_h, **changes)
    return json.dumps(h, separators=(",", ":"), ensure_ascii=False).encode()


def ev_edit(i, fn):
    ls = list(ev_lines)
    ls[i] = fn(ls[i])
    return ls


def ev_entry(i, **changes):
    o = dict(ev[i], **changes)
    return json.dumps(o, separators=(",", ":"), ensure_ascii=False).encode()


def recompute_hash(line):
    o = json.loads(line)
    o["eventHash"] = hashlib.sha256(rfc8785.dumps(o["body"]) + base64.b64decode(o["sig"])).hexdigest()
    return json.dumps(o, separators=(",", ":"), ensure_ascii=False).encode()


def seq_at(i):
    return ev[i]["seq"]


mid_s = sess[len(sess) // 2]
key_mid = keys_i[len(keys_i) // 2]
edited = sub(b'"time":"20', b'"time":"21')
cp1_note = open(os.path.join(WORK, "cp1.txt")).read()
cp2_note = open(os.path.join(WORK, "cp2.txt")).read()
ev_text = EV_NOTE[:EV_NOTE.rindex("\n\n") + 1]
other_ledger_note = sign_note(ev_text.replace(EV_NOTE.split("\n")[0], other_origin, 1).encode(), other_origin, LOG).decode()
first_proof = ev[1]["proof"][0]
bundle_lines = open(BUNDLE_CP, "rb").read().split(b"\n")[1:-1]
foreign = next(l for l in bundle_lines if json.loads(l)["seq"] > seq_at(sess[0]) and json.loads(l)["seq"] < seq_at(sess[1])
               and json.loads(l)["body"]["stream"] not in (EV_STREAM, "keys"))
foreign_o = json.loads(foreign)
foreign_at = next(i for i, e in enumerate(ev) if e["seq"] > foreign_o["seq"])
foreign_line = json.dumps({"seq": foreign_o["seq"], "body": foreign_o["body"], "sig": foreign_o["sig"],
                           "eventHash": foreign_o["eventHash"], "proof": []}, separators=(",", ":")).encode()

ev_cases = [
    # (name, file bytes, expected, seq, extra args, pin)
    ("clean", ev_raw, "ok", None, (), True),
    ("clean, root not pinned", ev_raw, "ok", None, (), False),
    ("clean, with the right --log-vkey", ev_raw, "ok", None, ("--log-vkey", LOG_VKEY), True),
    ("wrong --log-vkey", ev_raw, "checkpoint-mismatch", EV_N, ("--log-vkey", OTHER_VKEY), True),
    ("edited session body", evfile(ev_edit(mid_s, edited)), "wrong-event-hash", seq_at(mid_s), (), True),
    ("edited session body, eventHash recomputed", evfile(ev_edit(mid_s, lambda l: recompute_hash(edited(l)))),
     "bad-inclusion-proof", seq_at(mid_s), (), True),
    ("edited key event", evfile(ev_edit(key_mid, edited)),
     "bad-signature", seq_at(key_mid), (), True),
    ("dropped a session event in the middle", evfile(ev_lines[:mid_s] + ev_lines[mid_s + 1:]), "wrong-stream-seq",
     seq_at(sess[sess.index(mid_s) + 1]), (), True),
    ("dropped the last session event", evfile(ev_lines[:-1]), "evidence-truncated", EV_TO, (), True),
    ("dropped the last session event, header to fixed", evfile(ev_lines[:-1], ev_hdr(to=seq_at(len(ev) - 2))), "ok", None, (), True),
    ("dropped a key event in the middle", evfile(ev_lines[:keys_i[0]] + ev_lines[keys_i[0] + 1:]), "wrong-stream-seq",
     seq_at(keys_i[1]), (), True),
    # admin2's enrolment: the next key event, signed by admin2, names a key the package lacks.
    ("dropped an admin key's enrolment", evfile(ev_lines[:key_mid] + ev_lines[key_mid + 1:]), "unknown-key",
     seq_at(keys_i[keys_i.index(key_mid) + 1]), (), True),
    ("dropped the last key event", evfile(ev_lines[:keys_i[-1]] + ev_lines[keys_i[-1] + 1:]), "checkpoint-mismatch", EV_N, (), True),
    ("dropped the genesis", evfile(ev_lines[1:]), "genesis-missing", seq_at(1), (), True),
    ("two lines swapped", evfile(ev_lines[:mid_s] + [ev_lines[mid_s + 1], ev_lines[mid_s]] + ev_lines[mid_s + 2:]),
     "seq-duplicate", seq_at(mid_s), (), True),
    ("a line repeated", evfile(ev_lines[:mid_s + 1] + [ev_lines[mid_s]] + ev_lines[mid_s + 1:]), "seq-duplicate", seq_at(mid_s), (), True),
    ("a proof hash edited", evfile(ev_edit(1, lambda l: l.replace(first_proof.encode(), base64.b64encode(bytes(32)), 1))),
     "bad-inclusion-proof", seq_at(1), (), True),
    ("a proof hash dropped", evfile([ev_entry(1, proof=ev[1]["proof"][1:]) if i == 1 else l for i, l in enumerate(ev_lines)]),
     "bad-inclusion-proof", seq_at(1), (), True),
    ("a proof hash added", evfile([ev_entry(1, proof=ev[1]["proof"] + [first_proof]) if i == 1 else l for i, l in enumerate(ev_lines)]),
     "bad-inclusion-proof", seq_at(1), (), True),
    ("the proofs of two entries swapped", evfile([ev_entry(sess[0], proof=ev[sess[1]]["proof"]) if i == sess[0] else
                                                 ev_entry(sess[1], proof=ev[sess[0]]["proof"]) if i == sess[1] else l
                                                 for i, l in enumerate(ev_lines)]), "bad-inclusion-proof", seq_at(sess[0]), (), True),
    ("a proof hash not base64 of 32 bytes", evfile(ev_edit(1, lambda l: l.replace(first_proof.encode(), b"AAAA", 1))),
     "evidence-malformed", seq_at(1), (), True),
    ("another checkpoint of the ledger (cp2: same keys, another size)", with_checkpoint(ev_raw, cp2_note),
     "bad-inclusion-proof", 1, (), True),
    ("an older checkpoint that does not cover the session (cp1)", with_checkpoint(ev_raw, cp1_note), "checkpoint-mismatch",
     next(e["seq"] for e in ev if e["seq"] > int(cp1_note.split("\n")[1])), (), True),
    ("another ledger's checkpoint", with_checkpoint(ev_raw, other_ledger_note), "checkpoint-mismatch", EV_N, (), True),
    ("another ledger's package (another pinned root)", ev_raw, "genesis-root-mismatch", 1, (), "synth"),
    ("header names another ledger", evfile(ev_lines, ev_hdr(ledger="other")), "ledger-mismatch", 1, (), True),
    ("header names another stream", evfile(ev_lines, ev_hdr(stream="session/other")), "evidence-malformed", seq_at(sess[0]), (), True),
    ("header to beyond the last entry", evfile(ev_lines, ev_hdr(to=EV_TO + 1)), "evidence-truncated", EV_TO + 1, (), True),
    ("header to before the last entry", evfile(ev_lines, ev_hdr(to=EV_TO - 1)), "evidence-truncated", EV_TO, (), True),
    ("garbled checkpoint", with_checkpoint(ev_raw, EV_NOTE.replace("\n\n", "\n", 1)), "checkpoint-mismatch", EV_TO, (), True),
    ("checkpoint with its root edited", with_checkpoint(ev_raw, EV_NOTE.replace(EV_NOTE.split("\n")[2], base64.b64encode(bytes(32)).decode(), 1)),
     "checkpoint-mismatch", EV_N, (), True),
    ("checkpoint without its sealbook-keys line, re-signed", with_checkpoint(ev_raw, sign_note(
        ("\n".join(ev_text.split("\n")[:4]) + "\n").encode(), EV_NOTE.split("\n")[0], LOG)), "checkpoint-mismatch", EV_N, (), True),
    ("an entry of another stream inserted", evfile(ev_lines[:foreign_at] + [foreign_line] + ev_lines[foreign_at:]),
     "evidence-malformed", foreign_o["seq"], (), True),
    ("a blank line in the middle", evfile(ev_lines[:mid_s] + [b""] + ev_lines[mid_s:]), "evidence-malformed", seq_at(mid_s - 1) + 1, (), True),
    ("garbage line", evfile(ev_lines[:mid_s] + [b"not json"] + ev_lines[mid_s + 1:]), "evidence-malformed", seq_at(mid_s - 1) + 1, (), True),
    ("an extra member in an entry", evfile(ev_edit(mid_s, lambda l: l.replace(b'{"seq":', b'{"x":1,"seq":', 1))),
     "evidence-malformed", seq_at(mid_s), (), True),
    ("a malformed body", evfile(ev_edit(mid_s, lambda l: l.replace(b'"v":1}', b'"v":1,"x":1}', 1))), "malformed-body", seq_at(mid_s), (), True),
    ("header only", ev_header + b"\n", "genesis-missing", 1, (), True),
    ("header with another tag", evfile(ev_lines, ev_hdr(sealbook="evidence/2")), "refused", None, (), True),
    ("header stream keys", evfile(ev_lines, ev_hdr(stream="keys")), "refused", None, (), True),
    ("a bundle given as a package", open(BUNDLE_CP, "rb").read(), "refused", None, (), True),
    ("CRLF line ends", ev_raw.replace(b"\n", b"\r\n"), "ok", None, (), True),
]
for name, data, expect, seq, extra_args, pin in ev_cases:
    compare_ev(name, write("ev " + name, data), expect, seq=seq, extra_args=extra_args,
               pin=bool(pin), root=ROOT_SYNTH if pin == "synth" else None)


# ---- the RFC 6962 proofs of the Python verifier against RFC 6962 §2.1's own definitions ----------
def ref_path(m, d):
    """RFC 6962 §2.1.1 PATH(m, D[n]) over leaf hashes d."""
    if len(d) <= 1:
        return []
    k = 1
    while k * 2 < len(d):
        k *= 2
    return ref_path(m, d[:k]) + [vb_tree_root(d[k:])] if m < k else ref_path(m - k, d[k:]) + [vb_tree_root(d[:k])]


def ref_subproof(m, d, b):
    """RFC 6962 §2.1.2 SUBPROOF(m, D[n], b)."""
    if m == len(d):
        return [] if b else [vb_tree_root(d)]
    k = 1
    while k * 2 < len(d):
        k *= 2
    return ref_subproof(m, d[:k], b) + [vb_tree_root(d[k:])] if m <= k else ref_subproof(m - k, d[k:], False) + [vb_tree_root(d[:k])]


sys.path.insert(0, os.path.dirname(os.path.abspath(VERIFY_PY)))
import verify_bundle as vbm  # noqa: E402

leaves = [hashlib.sha256(b"\x00" + hashlib.sha256(b"leaf %d" % i).digest()).digest() for i in range(40)]
bad = []
checked = 0
for n in range(1, 41):
    d = leaves[:n]
    root = vb_tree_root(d)
    if vbm.tree_root(d) != root:
        bad.append(f"root of {n}")
    for m in range(n):
        p = ref_path(m, d)
        checked += 1
        if not vbm.verify_inclusion(d[m], m, n, p, root):
            bad.append(f"inclusion {m} in {n}")
        if p and vbm.verify_inclusion(d[m], m, n, p[:-1], root):
            bad.append(f"short inclusion {m} in {n}")
        if vbm.verify_inclusion(d[m], m, n, p + [root], root) or (n > 1 and vbm.verify_inclusion(d[m], (m + 1) % n, n, p, root)):
            bad.append(f"wrong inclusion {m} in {n}")
        for j in range(len(p)):
            q = list(p)
            q[j] = bytes([q[j][0] ^ 1]) + q[j][1:]
            if vbm.verify_inclusion(d[m], m, n, q, root):
                bad.append(f"flipped inclusion {m} in {n}")
    for m in range(1, n + 1):
        p = ref_subproof(m, d, True)
        r1 = vb_tree_root(d[:m])
        checked += 1
        if not vbm.verify_consistency(m, n, p, r1, root):
            bad.append(f"consistency {m} to {n}")
        for j in range(len(p)):
            q = list(p)
            q[j] = bytes([q[j][0] ^ 1]) + q[j][1:]
            if vbm.verify_consistency(m, n, q, r1, root):
                bad.append(f"flipped consistency {m} to {n}")
        if m < n and (vbm.verify_consistency(m, n, p[:-1], r1, root) or vbm.verify_consistency(m, n, p, root, root)):
            bad.append(f"wrong consistency {m} to {n}")
if not bad:
    passed += 1
    print(f"PASS RFC 9162 proof verification (python) against RFC 6962 PATH and PROOF: {checked} proofs in trees of 1-40 leaves, and their tampered forms")
else:
    failed += 1
    print(f"FAIL RFC 9162 proof verification (python): {bad[:10]}")
# The proofs sealbook exported (from the database's tree) verify in python: the clean package above.

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PYEOF

"$PY" "$WORK/cc.py" "$BIN" "$VERIFY_PY" "$WORK" "$BUNDLE" "$ROOT_PK" "$DB_HEAD" "$DB_HEAD_ALL" "$PRE" "$DEEP_SEQ" \
    "$BUNDLE_CP" "$BUNDLE_CP1" "$EVIDENCE" "$LOG_VKEY" "$K"
