#!/usr/bin/env bash
# The FinGood migration runbook, followed for real and recorded with sealbook, on the embedded
# default database (a private PostgreSQL under $SEALBOOK_HOME, ./.sealbook by default).
#
# A real Alembic, installed from PyPI into a private virtualenv, migrates a real demo database
# (fingood_demo, on the same local cluster) with the project in demo/alembic:
#   A. 0002_add_fee_index in production: the whole runbook (documentation, backup and restore
#      test, notification, approval, every pre-migration checklist item, the environmental
#      probe, the four execution steps, immediate validation, the compliance checklists, every
#      document). Succeeds; it stays open for its extended and long-term validations, which are
#      not yet due, so its report is all PASS apart from those.
#   B. 0003_split_balance_columns in production: the same preparation; the migration applies,
#      the post-migration data validation fails, a Level 2 incident is opened, writes stop, an
#      immediate rollback (alembic downgrade -1, within 5 minutes) restores the data, the
#      incident is assessed (GDPR: no personal data), resolved and closed.
#   C. The production gate: a session with nothing recorded; `alembic upgrade` is refused.
# After A the log key signs a checkpoint and a witness (an auditor's own key and state folder)
# cosigns it; after C a second checkpoint is cosigned only because a consistency proof shows it
# extends the first. It ends as an auditor would: the chain verified against the cosigned
# checkpoint and since the first one, a bundle and an evidence package for session B verified
# offline, and the session, period and incident reports rendered (Markdown and HTML); then it
# prints where everything is. Safe to run again: keys, ledger and virtualenv are reused, the
# demo database and the witness's state are recreated, each run records new sessions.
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

# Installs Debian packages (python3-venv on a fresh machine), as setup.sh does.
apt_install() {
    local sudo=()
    if [[ "$(id -u)" -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "missing packages $*: install them (apt-get install $*) or run as root"
        sudo=(sudo -n)
    fi
    command -v apt-get >/dev/null 2>&1 || die "missing $*: install them with your package manager"
    say "installing $*"
    if [[ "${SEALBOOK_APT_UPDATED:-}" != 1 ]]; then
        ${sudo[@]+"${sudo[@]}"} apt-get update >&2
        export SEALBOOK_APT_UPDATED=1
    fi
    ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >&2
}
command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv

# The embedded default: no database named anywhere.
unset SEALBOOK_DATABASE_URL PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGSERVICE PGPASSWORD PGPASSFILE
unset SEALBOOK_KEY SEALBOOK_SESSION SEALBOOK_TRUST_ROOT ENVIRONMENT BACKUP_VERIFIED MIGRATION_AUDIT_ENABLED
export SEALBOOK_HOME="${SEALBOOK_HOME:-$ROOT/.sealbook}"
DEMO="$SEALBOOK_HOME/demo"
mkdir -p "$DEMO"

say "building sealbook (swift build -c release)"
swift build -c release --product sealbook >&2
BIN="$ROOT/.build/release/sealbook"

# ---------------------------------------------------------------------------------------------
# Helpers. Every command is printed before it runs, with $DEMO standing for the demo folder.

show() {
    local line="+" a safe='^[-A-Za-z0-9_./:=@%+,$]+$'
    for a in "$@"; do
        a="${a//"$DEMO"/\$DEMO}"
        if [[ "$a" =~ $safe ]]; then
            line+=" $a"
        elif [[ "$a" == *"'"* ]]; then
            line+=" $(printf '%q' "$a")"
        else
            line+=" '$a'"
        fi
    done
    echo "$line" >&2
}
sb() {
    show sealbook "$@"
    "$BIN" "$@"
}
# Runs sealbook with --json, keeps the result in J and reports it as sealbook would.
sbj() {
    J="$(sb "$@" --json)"
    python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print("recorded {type} at seq {seq} ({stream} #{streamSeq})".format(**r))' "$J"
}
# Runs a command of the demo itself (alembic outside the ledger, psql, pg_restore), printed.
x() {
    show "$@"
    "$@"
}
# Reads a member (path of keys) of the JSON object on stdin.
jget() {
    python3 -c '
import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1:]:
    d = d[k]
print(d)' "$@"
}
# A member of a key file (publicKey or key; never the seed).
keyfield() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
now_rfc3339() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }
# Runs sealbook with the rest of the arguments, copying stdout to file $1; returns sealbook's
# status (with pipefail, tee only matters when it fails itself).
sb_tee() {
    local file=$1
    shift
    sb "$@" | tee "$file"
}
# Runs a command from demo/, where the runbook's own command lines work as written
# (`python migrations/test_migrations.py --validate-data`, ...): those the runbook declares
# read-only pass the production gate; any other command in a production session is a change.
in_demo() {
    (cd "$ROOT/demo" && "$@")
}

# ---------------------------------------------------------------------------------------------
say "1. the demo's Python virtualenv (alembic, SQLAlchemy, psycopg from PyPI): $DEMO/venv"
VENV="$DEMO/venv"
if [[ ! -x "$VENV/bin/python" ]]; then
    if ! x python3 -m venv "$VENV" >&2; then
        rm -rf "$VENV"
        apt_install python3-venv
        x python3 -m venv "$VENV" >&2
    fi
fi
REQ_SHA="$(sha256 demo/requirements.txt)"
if [[ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$REQ_SHA" ]]; then
    x "$VENV/bin/pip" install --quiet --disable-pip-version-check -r demo/requirements.txt >&2
    echo "$REQ_SHA" >"$VENV/.requirements.sha256"
fi

say "2. the embedded cluster and the demo database fingood_demo on it"
DB_JSON="$(sb db start --json)"
PORT="$(jget port <<<"$DB_JSON")"
PG_BIN="${SEALBOOK_PG_BIN:-$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)}"
[[ -x "$PG_BIN/psql" && -x "$PG_BIN/pg_dump" ]] || die "no psql/pg_dump in $PG_BIN: set SEALBOOK_PG_BIN"
# The password never goes on a command line nor to the terminal: libpq tools read it from a
# private password file, and DEMO_DATABASE_URL (for alembic and the checks) lives only in the
# environment. `sealbook run` records only the runbook's own variables (ENVIRONMENT, …).
PW="$(cat "$SEALBOOK_HOME/pg/password")"
export PGPASSFILE="$DEMO/pgpass"
(
    umask 077
    printf '127.0.0.1:%s:*:sealbook:%s\n' "$PORT" "$PW" >"$PGPASSFILE"
)
export DEMO_DATABASE_URL="postgresql+psycopg://sealbook:$PW@127.0.0.1:$PORT/fingood_demo"
unset PW
DEMO_DB_SHOWN="postgresql+psycopg://sealbook@127.0.0.1:$PORT/fingood_demo"
TARGET="postgresql://sealbook@127.0.0.1:$PORT/fingood_demo" # libpq URL for sealbook probe
export PATH="$VENV/bin:$PG_BIN:$PATH"
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the source tree
psql_admin() { PGOPTIONS='-c client_min_messages=warning' x psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U sealbook -d sealbook "$@"; }
# url_of DB: the DEMO_DATABASE_URL of another database of the cluster.
url_of() { echo "${DEMO_DATABASE_URL%/*}/$1"; }

psql_admin -c 'DROP DATABASE IF EXISTS fingood_demo WITH (FORCE)' -c 'CREATE DATABASE fingood_demo'
ALEMBIC=(alembic -c demo/alembic/alembic.ini)
say "   production as it was before the change: alembic upgrade 0001_create_accounts (1,000 accounts)"
x "${ALEMBIC[@]}" upgrade 0001_create_accounts

# ---------------------------------------------------------------------------------------------
say "3. keys (pseudonymous actors, files mode 0600) and the ledger"
K_ROOT="$DEMO/root.key" K_ALICE="$DEMO/alice.key" K_BOB="$DEMO/bob.key" K_CAROL="$DEMO/carol.key" K_CI="$DEMO/ci.key"
key() { # actor file
    if [[ ! -f "$2" ]]; then sb keys generate --actor "$1" --out "$2" >/dev/null; fi
}
key root@fingood "$K_ROOT"
key dba-alice@fingood "$K_ALICE"
key approver-bob@fingood "$K_BOB"
key ic-carol@fingood "$K_CAROL"
key ci-pipeline@fingood "$K_CI"
ROOT_PK="$(keyfield "$K_ROOT" publicKey)"
sb init --ledger fingood-demo --root-key "$K_ROOT"
KEYS_JSON="$(sb keys list --json)"
enroll() { # file actor role
    if ! grep -qF "$(keyfield "$1" key)" <<<"$KEYS_JSON"; then
        sb keys enroll --public-key "$(keyfield "$1" publicKey)" --actor "$2" --role "$3" --key "$K_ROOT"
    fi
}
enroll "$K_ALICE" dba-alice@fingood operator
enroll "$K_BOB" approver-bob@fingood approver
enroll "$K_CAROL" ic-carol@fingood incident-commander
enroll "$K_CI" ci-pipeline@fingood pipeline
# The privacy officer erases data keys on a data subject's request (GDPR Art. 17).
K_PO="$DEMO/privacy.key"
key privacy-officer@fingood "$K_PO"
enroll "$K_PO" privacy-officer@fingood privacy-officer
# The log key signs checkpoints (role log); its verifier key (vkey) is what auditors and
# witnesses pin. The witness is an auditor's: its own key, outside the ledger.
K_LOG="$DEMO/log.key" K_W1="$DEMO/witness-w1.key"
key log@fingood "$K_LOG"
enroll "$K_LOG" log@fingood log
LOG_VKEY="$("$BIN" keys vkey --key "$K_LOG")"
if [[ ! -f "$K_W1" ]]; then sb witness keygen --name audit.fingood.example/w1 --out "$K_W1" >/dev/null; fi
W1_VKEY="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["vkey"])' "$K_W1")"
# Alice (operator) signs by default; the others sign with --key.
export SEALBOOK_KEY="$K_ALICE"

RUNBOOK_JSON="$ROOT/schemas/runbooks/fingood-migration.json"
[[ -f "$RUNBOOK_JSON" ]] || die "missing $RUNBOOK_JSON"

# The runbook's checklist items: "list|id|metric|unit" lines, from the runbook file.
checklist_items() {
    python3 - "$RUNBOOK_JSON" <<'PY'
import json, sys
rb = json.load(open(sys.argv[1]))
for name in ("critical", "environmental", "documentation"):
    for item in rb["checklists"][name]["items"]:
        t = item.get("threshold") or {}
        print("|".join([name, item["id"], t.get("metric") or "-", t.get("unit") or "-"]))
PY
}
# The runbook's migration documentation kinds: "id|title" lines.
doc_kinds() {
    python3 - "$RUNBOOK_JSON" <<'PY'
import json, sys
rb = json.load(open(sys.argv[1]))
for kind in rb["documentationRequirements"]["migration"]["kinds"]:
    print(f"{kind['id']}|{kind['title']}")
PY
}
# Items of the current session already recorded (by sealbook probe), one per line.
recorded_items() {
    "$BIN" session show "$SEALBOOK_SESSION" --json | python3 -c '
import json, sys
print("\n".join(i["item"] for i in json.load(sys.stdin)["checklist"] if i["status"] != "missing"))'
}
# The runbook's compliance checklist items (SOX, PCI DSS, GDPR): "list|id" lines.
compliance_items() {
    python3 - "$RUNBOOK_JSON" <<'PY'
import json, sys
rb = json.load(open(sys.argv[1]))
for name, checklist in rb["compliance"].items():
    for item in checklist["items"]:
        print(f"{name}|{item['id']}")
PY
}
emergency_contacts() {
    python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["emergencyResponse"]["contacts"]))' "$RUNBOOK_JSON"
}

# ---------------------------------------------------------------------------------------------
# One production change, prepared by the runbook: everything the gate and the auditors ask for.
#   prepare MIGRATION_ID FROM TO TICKET "PURPOSE" "RISK" "PERFORMANCE"
# Leaves SEALBOOK_SESSION, DOCS and BACKUP_ID set for the steps that follow.
prepare() {
    local mig=$1 from=$2 to=$3 ticket=$4 purpose=$5 risk=$6 perf=$7

    say "   open the session (runbook fingood-migration, built in)"
    sbj session open --migration-id "$mig" --environment production --from "$from" --to "$to" \
        --ticket "$ticket" --description "$purpose"
    SEALBOOK_SESSION="$(jget session <<<"$J")"
    export SEALBOOK_SESSION
    say "   session $SEALBOOK_SESSION"
    DOCS="$DEMO/docs/$SEALBOOK_SESSION"
    mkdir -p "$DOCS" "$DEMO/backups"

    say "   session backup point (runbook step 2): pg_dump of fingood_demo, recorded and verified by a restore"
    BACKUP_ID="bk-${SEALBOOK_SESSION##*.}"
    local dump="$DEMO/backups/$SEALBOOK_SESSION.dump"
    sb run --step environment-preparation -- pg_dump --format=custom --no-owner --file "$dump" \
        --host 127.0.0.1 --port "$PORT" --username sealbook fingood_demo
    sb backup record --backup-id "$BACKUP_ID" --method pg_dump --location "$dump" --file "$dump"
    # Restore test, then a rehearsal of the change and of its rollback on the restored copy.
    local copy="fingood_rehearsal"
    local rehearsal="$DOCS/testing-results.md"
    {
        echo "# Testing results: $mig ($ticket)"
        echo
        echo "Rehearsal on a copy restored from backup $BACKUP_ID ($(sha256 "$dump")), $(now_rfc3339)."
        echo
        echo '```'
    } >"$rehearsal"
    psql_admin -c "DROP DATABASE IF EXISTS $copy WITH (FORCE)" -c "CREATE DATABASE $copy"
    x pg_restore --no-owner --exit-on-error --host 127.0.0.1 --port "$PORT" --username sealbook --dbname "$copy" "$dump"
    local restore_ok=pass rehearsal_ok=pass
    {
        echo "\$ python demo/checks/validate_data.py   # the restored copy"
        DEMO_DATABASE_URL="$(url_of "$copy")" python demo/checks/validate_data.py 2>&1 || restore_ok=fail
        echo "\$ alembic upgrade $to"
        DEMO_DATABASE_URL="$(url_of "$copy")" "${ALEMBIC[@]}" upgrade "$to" 2>&1 || rehearsal_ok=fail
        echo "\$ alembic downgrade -1"
        DEMO_DATABASE_URL="$(url_of "$copy")" "${ALEMBIC[@]}" downgrade -1 2>&1 || rehearsal_ok=fail
        echo "\$ python demo/checks/validate_data.py   # after the rollback"
        DEMO_DATABASE_URL="$(url_of "$copy")" python demo/checks/validate_data.py 2>&1 || rehearsal_ok=fail
        echo '```'
    } >>"$rehearsal"
    say "   rehearsal on the restored copy: restore $restore_ok, upgrade + rollback $rehearsal_ok (log: $rehearsal)"
    psql_admin -c "DROP DATABASE $copy WITH (FORCE)"
    sb backup verify --backup-id "$BACKUP_ID" --result "$restore_ok" --restore-tested \
        --method "pg_restore into a scratch database, then validate_data.py"
    [[ "$restore_ok" == pass && "$rehearsal_ok" == pass ]] || die "the rehearsal failed: see $rehearsal"
    # The offline SQL of the change, for the safety review.
    "${ALEMBIC[@]}" upgrade "$from:$to" --sql >"$DOCS/offline.sql" 2>/dev/null \
        || die "alembic upgrade $from:$to --sql failed"

    say "   migration documentation (by digest; the files stay in $DOCS)"
    local kind title
    while IFS='|' read -r kind title; do
        # testing-results is the rehearsal log written above.
        [[ "$kind" == testing-results ]] || {
            echo "# $title: $mig ($ticket)"
            echo
            case "$kind" in
                purpose) echo "$purpose" ;;
                risk-assessment) echo "$risk" ;;
                rollback-plan)
                    echo "Immediate rollback (< 5 minutes): alembic downgrade -1, then alembic current,"
                    echo "validate_data.py and critical_functions.py. Later: restore backup $BACKUP_ID."
                    ;;
                performance-impact) echo "$perf" ;;
                compliance-notes)
                    echo "SOX: recorded in the signed ledger, approved by an approver who does not execute."
                    echo "PCI DSS: the demo schema holds no card data. GDPR: owners are pseudonymous"
                    echo "references (owner_ref); no personal data is read, copied or changed."
                    ;;
                *) echo "See the change ticket $ticket." ;;
            esac
        } >"$DOCS/$kind.md"
        sb doc add --kind "$kind" --file "$DOCS/$kind.md" --title "$title: $mig" </dev/null
    done < <(doc_kinds)
    printf 'Operations (#ops-maintenance) before and after the window; incidents: on-call per runbook.\n' \
        >"$DOCS/communication-plan.md"

    say "   team notification and change approval (approver-bob, who does not execute)"
    local notified approved
    sbj notify --audience operations --channel '#ops-maintenance' --subject "maintenance window now: $mig ($ticket)"
    notified="$(jget seq <<<"$J")"
    sbj approve --comment "CAB approved $ticket" --key "$K_BOB"
    approved="$(jget seq <<<"$J")"

    say "   environmental probe of the target database (sealbook probe)"
    sb probe --target "$TARGET"

    say "   every pre-migration checklist item of the runbook (ids read from ${RUNBOOK_JSON#"$ROOT/"})"
    local health_json disk_free
    health_json="$(python demo/checks/health.py --json)"
    disk_free="$(python3 -c 'import shutil, sys; u = shutil.disk_usage(sys.argv[1]); print(f"{100 * u.free / u.total:.1f}")' "$SEALBOOK_HOME/pg")"
    declare -A measured=(
        [disk_free_percent]="$disk_free"
        [pool_used_percent]="$(jget connection_usage_percent <<<"$health_json")"
        [replication_lag_seconds]="$(jget replication_lag_seconds <<<"$health_json")"
    )
    declare -A evidence=(
        [backup-verification]="backup=$BACKUP_ID"$'\n'"restoreTest=$restore_ok"
        [testing-complete]="rehearsal=upgrade to $to on a restored copy"$'\n'"log.sha256=$(sha256 "$rehearsal")"
        [safety-validation]="offlineSql.sha256=$(sha256 "$DOCS/offline.sql")"$'\n'"review=the generated SQL was reviewed"
        [rollback-tested]="rehearsal=alembic downgrade -1 on the restored copy, data validated"
        [change-approval]="approval.seq=$approved"
        [team-notification]="notification.seq=$notified"
        [monitoring-ready]="health=$(jget status <<<"$health_json")"
        [database-health]="health=$(jget status <<<"$health_json")"
        [disk-space]="source=free space of the file system holding $SEALBOOK_HOME/pg"
        [connection-pool]="source=demo/checks/health.py"
        [replication-lag]="source=demo/checks/health.py"
        [backup-systems]="pg_dump=$(pg_dump --version)"
        [monitoring-systems]="health.py=$(jget status <<<"$health_json")"
        [migration-documentation]="docs=$DOCS"
        [risk-assessment]="doc.sha256=$(sha256 "$DOCS/risk-assessment.md")"
        [communication-plan]="doc.sha256=$(sha256 "$DOCS/communication-plan.md")"
        [emergency-contacts]="runbook.contacts=$(emergency_contacts)"
    )
    local recorded list id metric unit
    recorded=" $(recorded_items | tr '\n' ' ') "
    while IFS='|' read -r list id metric unit; do
        if [[ "$recorded" == *" $id "* ]]; then
            say "   $list/$id: recorded by the probe"
            continue
        fi
        local args=(check "$id" --status pass)
        if [[ "$metric" != - && -n "${measured[$metric]:-}" ]]; then
            args+=(--value "${measured[$metric]}" --unit "$unit")
        fi
        local e lines
        mapfile -t lines <<<"${evidence[$id]:-attested=by the operator}"
        for e in "${lines[@]}"; do args+=(--evidence "$e"); done
        sb "${args[@]}" </dev/null
    done < <(checklist_items)

    say "   step 1, pre-execution validation"
    in_demo sb run --step pre-execution-validation -- python migrations/test_migrations.py --validate-data
    sb validate --phase pre --check validate-data --result pass --details "matches the 0001 baseline"
    say "   pre-execution state: the revision the database is at, captured as a document"
    sb run --step pre-execution-validation -- "${ALEMBIC[@]}" current >"$DOCS/pre-execution-state.txt"
    sb doc add --kind pre-execution-state --file "$DOCS/pre-execution-state.txt" --title "Pre-execution state: $mig" </dev/null

    say "   step 2, environment preparation (the runbook's variables are recorded by sealbook run)"
    export ENVIRONMENT=production BACKUP_VERIFIED=true
    in_demo sb run --step environment-preparation -- python -c "from app.core.database import get_db_health; print(get_db_health())"
    sb session show "$SEALBOOK_SESSION"
}

# Immediate validation (0-30 min): the three checks, run by the CI pipeline and recorded.
#   immediate_validation PHASE STEP -> 0 when data validation passes
immediate_validation() {
    local phase=$1 step=$2 status=0 result
    if in_demo sb_tee "$DOCS/validation-$phase.txt" run --step "$step" --key "$K_CI" -- \
        python migrations/test_migrations.py --validate-data; then
        result=pass
    else
        result=fail status=1
    fi
    sb validate --phase "$phase" --check validate-data --result "$result" --key "$K_CI" \
        --details "$(grep -m 1 '^result:' "$DOCS/validation-$phase.txt" || echo "no report: see $DOCS")"
    ((status == 0)) || return 1
    local health
    in_demo sb run --step "$step" --key "$K_CI" -- python -c "from app.core.database import get_db_health; print(get_db_health())"
    health="$(python demo/checks/health.py --json)"
    sb validate --phase "$phase" --check health-check --result pass --key "$K_CI" \
        --details "$(jget status <<<"$health"), $(jget connections <<<"$health") connections"
    sb monitor --metric db_latency_ms --value "$(jget latency_ms <<<"$health")" --unit ms --key "$K_CI"
    in_demo sb run --step "$step" --key "$K_CI" -- python migrations/validate_critical_functions.py
    sb validate --phase "$phase" --check critical-functions --result pass --key "$K_CI" \
        --details "balance lookup, currency totals, fee statement"
}

# ---------------------------------------------------------------------------------------------
say "4. migration A: 0002_add_fee_index in production, the whole runbook"
prepare 0002_add_fee_index 0001_create_accounts 0002_add_fee_index CHG-1042 \
    "Add the fees table and its index on (account_id, charged_at) for account statements." \
    "Low: a new table and index; no existing row changes. Rollback drops both." \
    "Index built on a new table; no lock on accounts. Statement queries use the index."
SESSION_A="$SEALBOOK_SESSION"
say "   step 3, migration execution (through the production gate: everything is recorded)"
export MIGRATION_AUDIT_ENABLED=true
sb run --step migration-execution -- "${ALEMBIC[@]}" upgrade 0002_add_fee_index
sb run --step migration-execution -- "${ALEMBIC[@]}" current
sb run --step migration-execution -- "${ALEMBIC[@]}" history --verbose >"$DOCS/alembic-history.txt"
say "   (alembic history --verbose: $DOCS/alembic-history.txt)"
say "   step 4, immediate validation"
immediate_validation immediate immediate-validation || die "migration A: the immediate validation failed"
HEALTH_A="$(python demo/checks/health.py --json)"
sb validate --phase immediate --check performance-baseline --result pass --key "$K_CI" \
    --details "latency $(jget latency_ms <<<"$HEALTH_A") ms after the change, within the pre-change baseline"
say "   compliance validation and audit-trail completeness (the ledger verifies; every command finished)"
sb verify --trust-root "$ROOT_PK" >"$DOCS/audit-trail-verify.txt"
sb validate --phase immediate --check audit-trail-completeness --result pass --key "$K_CI" \
    --details "sealbook verify: $(tail -1 "$DOCS/audit-trail-verify.txt")"
sb validate --phase immediate --check compliance-validation --result pass --key "$K_CI" \
    --details "no card data in the schema; owners pseudonymous (owner_ref); audit logging on (MIGRATION_AUDIT_ENABLED)"
say "   the compliance checklists (SOX, PCI DSS, GDPR; ids read from the runbook), signed off after the change"
while IFS='|' read -r list id; do
    sb check "$id" --status pass --evidence "checklist=$list" \
        --evidence "session=$SESSION_A" --evidence "recordedAfter=migration-completed" </dev/null
done < <(compliance_items)
say "   documentation after execution: validation results, execution log, issues encountered, post-execution state"
sb doc add --kind validation-results --file "$DOCS/validation-immediate.txt" --title "Validation results: 0002"
"$BIN" session show "$SESSION_A" >"$DOCS/execution-log.txt"
sb doc add --kind execution-log --file "$DOCS/execution-log.txt" --title "Execution log: 0002"
printf 'No issues were encountered while applying 0002_add_fee_index.\n' >"$DOCS/issues-encountered.md"
sb doc add --kind issues-encountered --file "$DOCS/issues-encountered.md" --title "Issues encountered: 0002"
sb run --step immediate-validation -- "${ALEMBIC[@]}" current >"$DOCS/post-execution-state.txt"
sb doc add --kind post-execution-state --file "$DOCS/post-execution-state.txt" --title "Post-execution state: 0002"
say "   session A stays open: its extended (30 min-4 h) and long-term (4 h+) validations are not yet due,"
say "   and its report says so; everything due so far passes"

say "   checkpoint: the log key signs the verified head; the witness (its own key and state) cosigns it"
CP1="$DEMO/checkpoint-1.txt"
sb checkpoint --key "$K_LOG" --out "$CP1" --force >/dev/null
CP1_SIZE="$(sed -n 2p "$CP1")"
W1_STATE="$DEMO/witness-w1-state"
rm -rf "$W1_STATE" # a fresh witness on every run of the demo
sb witness cosign --checkpoint "$CP1" --log-vkey "$LOG_VKEY" --key "$K_W1" --state "$W1_STATE" \
    --accept-first --out "$DEMO/checkpoint-1-cosigned.txt" --force
say "   checkpoint at seq $CP1_SIZE: $CP1 (cosigned: $DEMO/checkpoint-1-cosigned.txt)"

# ---------------------------------------------------------------------------------------------
say "5. migration B: 0003_split_balance_columns in production; validation fails, immediate rollback"
unset ENVIRONMENT BACKUP_VERIFIED MIGRATION_AUDIT_ENABLED
prepare 0003_split_balance_columns 0002_add_fee_index 0003_split_balance_columns CHG-1057 \
    "Split balance_cents into balance_major and balance_minor (expand step; balance_cents kept)." \
    "Medium: rewrites every account's balance. The original column is kept, so the rollback is exact." \
    "One UPDATE of 1,000 rows under a table lock, well under a second."
SESSION_B="$SEALBOOK_SESSION"
export MIGRATION_AUDIT_ENABLED=true
sb run --step migration-execution -- "${ALEMBIC[@]}" upgrade head
MIGRATED_AT="$(date +%s)"
sb run --step migration-execution -- "${ALEMBIC[@]}" current
say "   step 4, immediate validation: the data validation is expected to FAIL"
if immediate_validation immediate immediate-validation; then
    die "migration B: the data validation passed, but 0003 carries a deliberate bug"
fi
AWARE_AT="$(now_rfc3339)"
say "   data integrity violation: Level 2 incident (response time 5 minutes), incident commander ic-carol"
sbj incident open --level 2 --title "0003 balance split changed account balances" \
    --trigger "data integrity validation failed" --session "$SESSION_B" --key "$K_CAROL"
INCIDENT="$(jget incident <<<"$J")"
say "   incident $INCIDENT"
sb incident action "$INCIDENT" --phase immediate --action "stop all database writes" --key "$K_CAROL"
sb traffic stop --scope writes --reason "incident $INCIDENT: preserve the state, stop the damage" --key "$K_CAROL"
STATE_DUMP="$DEMO/backups/$SESSION_B.post-migration-state.dump"
sb run --step incident-preserve-state -- pg_dump --format=custom --no-owner --file "$STATE_DUMP" \
    --host 127.0.0.1 --port "$PORT" --username sealbook fingood_demo
sb backup record --backup-id "state-${SESSION_B##*.}" --method pg_dump --location "$STATE_DUMP" --file "$STATE_DUMP"
sb incident action "$INCIDENT" --phase immediate --action "preserved the post-migration state for investigation" \
    --details "pg_dump state-${SESSION_B##*.}, sha256 $(sha256 "$STATE_DUMP")" --key "$K_CAROL"
sb gdpr assess --incident "$INCIDENT" --aware-at "$AWARE_AT" --risk none \
    --measures "no personal data involved: balances of pseudonymous accounts; rolled back" \
    --justification "only pseudonymous owner_ref values and balances were affected; no name, contact or card data; no row left the database, and the rollback restored them" \
    --key "$K_CAROL"

ELAPSED=$(($(date +%s) - MIGRATED_AT))
KIND=immediate
((ELAPSED < 300)) || KIND=standard
say "   rollback $ELAPSED s after the migration: $KIND rollback (the immediate window is 5 minutes)"
sb rollback start --kind "$KIND" --method alembic-downgrade --reason "data integrity validation failed ($INCIDENT)"
sb run --step "$KIND-rollback" -- "${ALEMBIC[@]}" downgrade -1
sb run --step "$KIND-rollback" -- "${ALEMBIC[@]}" current
immediate_validation post-rollback "$KIND-rollback" || die "migration B: the data is still wrong after the rollback"
sb rollback complete --kind "$KIND" --result success --revision 0002_add_fee_index
sb incident action "$INCIDENT" --phase assessment \
    --action "scope: balances of 500 of 1,000 accounts off by one unit; data integrity restored by the rollback" \
    --key "$K_CAROL"
sb traffic resume --scope writes --key "$K_CAROL"
sb incident action "$INCIDENT" --phase recovery --action "writes resumed after post-rollback validation" --key "$K_CAROL"
sb incident resolve "$INCIDENT" --key "$K_CAROL" \
    --root-cause "0003 computed balance_major as CAST(balance_cents / 100.0 AS bigint), which rounds: accounts with 50 cents or more gained one unit" \
    --resolution "$KIND rollback with alembic downgrade -1 ${ELAPSED}s after the migration; balance_cents was kept, data validated"
sb incident close "$INCIDENT" --key "$K_CAROL" \
    --lessons "the staging rehearsal checked the schema and the rollback but not the balance totals after the upgrade"
sb doc add --kind issues-encountered --file "$DOCS/validation-immediate.txt" --title "Failed validation of 0003"
sb session close --outcome rolled-back --summary "data validation failed; $KIND rollback to 0002_add_fee_index; incident $INCIDENT"
unset ENVIRONMENT BACKUP_VERIFIED MIGRATION_AUDIT_ENABLED

# ---------------------------------------------------------------------------------------------
say "6. the production gate: a session with nothing recorded may change nothing, whatever the program"
sbj session open --migration-id 0003_split_balance_columns --environment production \
    --from 0002_add_fee_index --to 0003_split_balance_columns --ticket CHG-1057 \
    --description "retry without the paperwork"
SESSION_C="$(jget session <<<"$J")"
export SEALBOOK_SESSION="$SESSION_C"
sb run --step migration-execution -- "${ALEMBIC[@]}" current
say "   an out-of-band change, by psql instead of alembic"
GATE=0
sb run --step migration-execution -- psql --host 127.0.0.1 --port "$PORT" --username sealbook fingood_demo \
    -c "ALTER TABLE accounts ADD COLUMN iban text" || GATE=$?
((GATE == 82)) || die "expected the gate to refuse the psql change with exit 82, got $GATE"
say "   refused as expected: exit $GATE; psql did not run; gate.refused is in the session"
GATE=0
sb run --step migration-execution -- "${ALEMBIC[@]}" upgrade head || GATE=$?
((GATE == 82)) || die "expected the gate to refuse the upgrade with exit 82, got $GATE"
say "   refused as expected: exit $GATE (production gate closed); alembic did not run"
sb session close --outcome aborted --summary "refused by the production gate twice (gate.refused): nothing ran"
unset SEALBOOK_SESSION

# ---------------------------------------------------------------------------------------------
say "7. anchor the history: a new checkpoint, cosigned by the witness only because it extends the first"
CP2="$DEMO/checkpoint-2.txt"
sb checkpoint --key "$K_LOG" --out "$CP2" --force >/dev/null
CP2_SIZE="$(sed -n 2p "$CP2")"
sb prove consistency --from "$CP1_SIZE" --to "$CP2_SIZE" --json >"$DEMO/consistency-$CP1_SIZE-$CP2_SIZE.json"
sb witness cosign --checkpoint "$CP2" --log-vkey "$LOG_VKEY" --key "$K_W1" --state "$W1_STATE" \
    --proof "$DEMO/consistency-$CP1_SIZE-$CP2_SIZE.json" --out "$DEMO/checkpoint-2-cosigned.txt" --force
say "   checkpoint at seq $CP2_SIZE: $DEMO/checkpoint-2-cosigned.txt"

# ---------------------------------------------------------------------------------------------
say "8. verify as an auditor: the whole chain against the cosigned checkpoint; then only what came after the first"
sb verify --trust-root "$ROOT_PK" --checkpoint "$DEMO/checkpoint-2-cosigned.txt" --log-vkey "$LOG_VKEY" \
    --witness-vkey "$W1_VKEY" --quorum 1
sb verify --trust-root "$ROOT_PK" --since "$CP1" --log-vkey "$LOG_VKEY"
BUNDLE="$DEMO/fingood-demo.bundle"
sb export --out "$BUNDLE" --force
sb verify --bundle "$BUNDLE" --trust-root "$ROOT_PK" --log-vkey "$LOG_VKEY"
EVIDENCE="$DEMO/evidence-session-b.jsonl"
sb export --session "$SESSION_B" --out "$EVIDENCE" --force
sb verify --evidence "$EVIDENCE" --trust-root "$ROOT_PK" --log-vkey "$LOG_VKEY"

# ---------------------------------------------------------------------------------------------
say "8b. an erasure request (GDPR Art. 17): session C's free text is sealed; the privacy officer erases its data key"
# The auditor's copy first: a bundle with the data keys that open its sealed fields.
sb export --out "$DEMO/before-erasure.bundle" --data-keys "$DEMO/before-erasure.keys" --force
DK_C="$(sb data-keys --stream "session/$SESSION_C" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["dataKeys"][0]["dataKey"])')"
J="$(sb erase --data-key "$DK_C" --reason "Erasure request DSR-DEMO-0001 (GDPR Art. 17)" --key "$K_PO" --json)"
ERASED_AT="$(jget seq <<<"$J")"
say "   erased data key $DK_C of session C at seq $ERASED_AT (the database deleted the key in the same transaction)"
sb verify --trust-root "$ROOT_PK"
sb replay "$SESSION_C" --trust-root "$ROOT_PK" | grep -q "\[erased at seq $ERASED_AT\]" \
    || die "session C's replay does not show its text as erased at seq $ERASED_AT"
say "   session C's description and summary now read [erased at seq $ERASED_AT]; the log still verifies"

# ---------------------------------------------------------------------------------------------
say "9. the auditor's reports: each session, the period, the incident (Markdown and HTML)"
REPORTS="$DEMO/reports"
mkdir -p "$REPORTS"
PERIOD_DAY="$(date -u +%Y-%m-%d)"
for fmt in md html; do
    sb report session "$SESSION_A" --trust-root "$ROOT_PK" --format "$fmt" --out "$REPORTS/session-a.$fmt" --force
    sb report session "$SESSION_B" --trust-root "$ROOT_PK" --format "$fmt" --out "$REPORTS/session-b.$fmt" --force
    sb report session "$SESSION_C" --trust-root "$ROOT_PK" --format "$fmt" --out "$REPORTS/session-c.$fmt" --force
    sb report compliance --framework all --from "$PERIOD_DAY" --to "$PERIOD_DAY" --trust-root "$ROOT_PK" \
        --format "$fmt" --out "$REPORTS/compliance-$PERIOD_DAY.$fmt" --force
    sb report incident "$INCIDENT" --trust-root "$ROOT_PK" --format "$fmt" --out "$REPORTS/incident.$fmt" --force
done
HEAD_JSON="$("$BIN" head --json)"
CURRENT="$("${ALEMBIC[@]}" current 2>/dev/null | tr -d '\n')"

cat <<TXT

Done. Where everything is:
  sealbook binary      $BIN
  embedded PostgreSQL  $SEALBOOK_HOME/pg   ($("$BIN" db status | sed 's/.*: //'))
  password             $SEALBOOK_HOME/pg/password  (mode 0600; never printed)
  keys                 $DEMO/{root,alice,bob,carol,ci,log,privacy,witness-w1}.key  (mode 0600)
  root public key      $ROOT_PK   (pin it: --trust-root)
  bundle               $BUNDLE  (carries the checkpoint at seq $CP2_SIZE)
  evidence package     $EVIDENCE  (session B, with inclusion proofs)
  checkpoints          $CP1, $DEMO/checkpoint-2-cosigned.txt
  log vkey             $LOG_VKEY
  witness vkey         $W1_VKEY  (state: $W1_STATE)
  reports              $REPORTS  (sessions A, B, C; the period $PERIOD_DAY; the incident)
  virtualenv           $VENV  (alembic, SQLAlchemy, psycopg)
  demo database        $DEMO_DB_SHOWN  (alembic at $CURRENT)
  documents, backups   $DEMO/docs, $DEMO/backups
  session A            $SESSION_A  (0002 applied; open: extended and long-term validation not yet due)
  session B            $SESSION_B  (0003 rolled back)
  session C            $SESSION_C  (refused by the gate: aborted; its free text erased at seq $ERASED_AT)
  before the erasure   $DEMO/before-erasure.bundle with $DEMO/before-erasure.keys (the auditor's copy)
  incident, level 2    $INCIDENT
  head                 seq $(jget seq <<<"$HEAD_JSON"), chainHash $(jget chainHash <<<"$HEAD_JSON")
Look at a session with: $BIN session show $SESSION_B
Next time, verify only what came after: $BIN verify --since last --trust-root $ROOT_PK
Stop the database with: $BIN db stop
TXT
