-- Sealbook DDL capture, version 1: installed on a TARGET database (the one being migrated, not
-- the ledger) by `sealbook reconcile --install-capture --target URL`, which runs exactly this
-- text (it is built into the binary; `sealbook reconcile --print-capture-sql` prints it).
--
-- What it installs, all in schema sealbook_capture:
--   ddl_events   one row per DDL object change: when (clock_timestamp()), who (current_user,
--                session_user, application_name, client address), what (command tag, object
--                type, schema, object identity), the client's query text (truncated to 2000
--                characters) and the transaction id. Append-only: UPDATE, DELETE and TRUNCATE
--                are refused by triggers that fire even with session_replication_role = replica.
--   installs     one row per installation run (time, user, version), append-only too.
--   two event triggers: sealbook_capture_ddl (ddl_command_end) and sealbook_capture_drop
--                (sql_drop), enabled ALWAYS.
--
-- Needs a superuser (only superusers can create event triggers). Idempotent: running it again
-- replaces the functions, re-enables anything that was disabled, adds one `installs` row and
-- captures nothing of its own (the event triggers are disabled inside this transaction while it
-- runs; other sessions keep being captured until it commits).
--
-- Any role can produce DDL, so any role may INSERT the "what" columns; a BEFORE INSERT trigger
-- fills in the "who/when" columns itself, so they cannot be forged. Reading the rows needs the
-- table's owner, a superuser, or an explicit GRANT SELECT (the query text may be sensitive).
--
-- The capture fails closed: if a row cannot be written, the DDL statement fails.
-- Not captured, by PostgreSQL's design: changes to global objects (roles, databases,
-- tablespaces), commands on event triggers themselves, and temporary objects (skipped here).
-- A superuser can still disable the triggers; `sealbook reconcile` reports that as a finding.

BEGIN;

-- Stop capturing this transaction's own DDL when reinstalling.
DO $sealbook$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'sealbook_capture_ddl') THEN
        ALTER EVENT TRIGGER sealbook_capture_ddl DISABLE;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'sealbook_capture_drop') THEN
        ALTER EVENT TRIGGER sealbook_capture_drop DISABLE;
    END IF;
END
$sealbook$;

CREATE SCHEMA IF NOT EXISTS sealbook_capture;
REVOKE ALL ON SCHEMA sealbook_capture FROM PUBLIC;
GRANT USAGE ON SCHEMA sealbook_capture TO PUBLIC;

CREATE TABLE IF NOT EXISTS sealbook_capture.ddl_events (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    captured_at       timestamptz NOT NULL,
    current_user_name text NOT NULL,
    session_user_name text NOT NULL,
    trigger_event     text NOT NULL CHECK (trigger_event IN ('ddl_command_end', 'sql_drop')),
    command_tag       text NOT NULL,
    object_type       text,
    schema_name       text,
    object_identity   text,
    query             text,
    application_name  text,
    client_addr       inet,
    txid              bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS ddl_events_captured_at ON sealbook_capture.ddl_events (captured_at);

CREATE TABLE IF NOT EXISTS sealbook_capture.installs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    installed_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    installed_by    text NOT NULL DEFAULT current_user,
    capture_version integer NOT NULL
);

REVOKE ALL ON sealbook_capture.ddl_events, sealbook_capture.installs FROM PUBLIC;
GRANT INSERT (trigger_event, command_tag, object_type, schema_name, object_identity)
    ON sealbook_capture.ddl_events TO PUBLIC;

-- Who and when, set by the server whatever the INSERT said.
CREATE OR REPLACE FUNCTION sealbook_capture.stamp() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $sealbook$
BEGIN
    NEW.captured_at := clock_timestamp();
    NEW.current_user_name := current_user;
    NEW.session_user_name := session_user;
    NEW.query := left(current_query(), 2000);
    NEW.application_name := current_setting('application_name', true);
    NEW.client_addr := inet_client_addr();
    NEW.txid := txid_current();
    RETURN NEW;
END
$sealbook$;

CREATE OR REPLACE FUNCTION sealbook_capture.refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $sealbook$
BEGIN
    RAISE EXCEPTION 'sealbook_capture.% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'SBC01';
END
$sealbook$;

-- One row per object a DDL command created or altered (DROP is left to the sql_drop trigger);
-- one row with the command tag alone when the command names no object.
CREATE OR REPLACE FUNCTION sealbook_capture.on_ddl_command_end() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $sealbook$
DECLARE
    r record;
    seen integer := 0;
BEGIN
    FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
        seen := seen + 1;
        CONTINUE WHEN r.schema_name LIKE 'pg\_temp%';
        INSERT INTO sealbook_capture.ddl_events (trigger_event, command_tag, object_type, schema_name, object_identity)
        VALUES ('ddl_command_end', r.command_tag, r.object_type, r.schema_name, r.object_identity);
    END LOOP;
    IF seen = 0 AND tg_tag NOT LIKE 'DROP %' THEN
        INSERT INTO sealbook_capture.ddl_events (trigger_event, command_tag) VALUES ('ddl_command_end', tg_tag);
    END IF;
END
$sealbook$;

-- One row per object dropped by name or by CASCADE (not the internal ones, such as a table's
-- row type or its indexes).
CREATE OR REPLACE FUNCTION sealbook_capture.on_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $sealbook$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
        CONTINUE WHEN r.is_temporary OR NOT (r.original OR r.normal);
        INSERT INTO sealbook_capture.ddl_events (trigger_event, command_tag, object_type, schema_name, object_identity)
        VALUES ('sql_drop', tg_tag, r.object_type, r.schema_name, r.object_identity);
    END LOOP;
END
$sealbook$;

DO $sealbook$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
                   WHERE tgrelid = 'sealbook_capture.ddl_events'::regclass AND tgname = 'ddl_events_stamp') THEN
        CREATE TRIGGER ddl_events_stamp BEFORE INSERT ON sealbook_capture.ddl_events
            FOR EACH ROW EXECUTE FUNCTION sealbook_capture.stamp();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
                   WHERE tgrelid = 'sealbook_capture.ddl_events'::regclass AND tgname = 'ddl_events_append_only') THEN
        CREATE TRIGGER ddl_events_append_only BEFORE UPDATE OR DELETE ON sealbook_capture.ddl_events
            FOR EACH ROW EXECUTE FUNCTION sealbook_capture.refuse_change();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
                   WHERE tgrelid = 'sealbook_capture.ddl_events'::regclass AND tgname = 'ddl_events_no_truncate') THEN
        CREATE TRIGGER ddl_events_no_truncate BEFORE TRUNCATE ON sealbook_capture.ddl_events
            FOR EACH STATEMENT EXECUTE FUNCTION sealbook_capture.refuse_change();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
                   WHERE tgrelid = 'sealbook_capture.installs'::regclass AND tgname = 'installs_append_only') THEN
        CREATE TRIGGER installs_append_only BEFORE UPDATE OR DELETE ON sealbook_capture.installs
            FOR EACH ROW EXECUTE FUNCTION sealbook_capture.refuse_change();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
                   WHERE tgrelid = 'sealbook_capture.installs'::regclass AND tgname = 'installs_no_truncate') THEN
        CREATE TRIGGER installs_no_truncate BEFORE TRUNCATE ON sealbook_capture.installs
            FOR EACH STATEMENT EXECUTE FUNCTION sealbook_capture.refuse_change();
    END IF;
END
$sealbook$;

-- Fire whatever session_replication_role says.
ALTER TABLE sealbook_capture.ddl_events ENABLE ALWAYS TRIGGER ddl_events_stamp;
ALTER TABLE sealbook_capture.ddl_events ENABLE ALWAYS TRIGGER ddl_events_append_only;
ALTER TABLE sealbook_capture.ddl_events ENABLE ALWAYS TRIGGER ddl_events_no_truncate;
ALTER TABLE sealbook_capture.installs ENABLE ALWAYS TRIGGER installs_append_only;
ALTER TABLE sealbook_capture.installs ENABLE ALWAYS TRIGGER installs_no_truncate;

INSERT INTO sealbook_capture.installs (capture_version) VALUES (1);

-- Last, so that nothing above is captured.
DO $sealbook$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'sealbook_capture_ddl') THEN
        CREATE EVENT TRIGGER sealbook_capture_ddl ON ddl_command_end
            EXECUTE FUNCTION sealbook_capture.on_ddl_command_end();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'sealbook_capture_drop') THEN
        CREATE EVENT TRIGGER sealbook_capture_drop ON sql_drop
            EXECUTE FUNCTION sealbook_capture.on_sql_drop();
    END IF;
END
$sealbook$;
ALTER EVENT TRIGGER sealbook_capture_ddl ENABLE ALWAYS;
ALTER EVENT TRIGGER sealbook_capture_drop ENABLE ALWAYS;

COMMIT;
