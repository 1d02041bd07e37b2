-- Sealbook ledger schema, version 5: data keys for sealed fields, and erasure by crypto-shredding.
-- Applied by `sealbook init` after 0004 (or on its next run, for an older ledger) and recorded in
-- sealbook.schema_version. docs/FORMAT.md section 13 is the contract; in short:
--   * free text that may carry personal data is signed only as ciphertext (a sealed value) under
--     a data key; sealbook.data_keys holds the keys, outside the chain, one or more per stream;
--   * a key row is what its id commits to: key_id = 'dk:' || hex(SHA-256('sealbook.datakey.v1'
--     || 0x0A || key)[0..16)), checked here, so a row cannot hold another key under a signed id;
--   * writers add keys only through sealbook.add_data_key; nobody updates or truncates the table;
--   * a key is deleted only by the append of a data.erased event naming it (stream privacy, a key
--     with role privacy-officer), in the same transaction: the trigger below deletes it, and the
--     table's own trigger refuses any DELETE that no data.erased in the log names.

CREATE TABLE sealbook.data_keys (
    key_id     text        PRIMARY KEY CHECK (key_id ~ '^dk:[0-9a-f]{32}$'),
    stream     text        NOT NULL CHECK (stream NOT IN ('ledger', 'keys', 'privacy') AND length(stream) BETWEEN 1 AND 256),
    data_key   bytea       NOT NULL CHECK (octet_length(data_key) = 32),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (key_id = 'dk:' || encode(substr(sha256(convert_to(E'sealbook.datakey.v1\n', 'UTF8') || data_key), 1, 16), 'hex'))
);
CREATE INDEX data_keys_stream ON sealbook.data_keys (stream, created_at);

CREATE TRIGGER data_keys_no_update BEFORE UPDATE ON sealbook.data_keys
    FOR EACH ROW EXECUTE FUNCTION sealbook.refuse_change();
CREATE TRIGGER data_keys_no_truncate BEFORE TRUNCATE ON sealbook.data_keys
    FOR EACH STATEMENT EXECUTE FUNCTION sealbook.refuse_change();

-- A data key leaves the table only when the log holds the data.erased that names it.
CREATE FUNCTION sealbook.data_keys_guard_delete() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM sealbook.events e
                   WHERE e.stream = 'privacy' AND e.type = 'data.erased'
                     AND e.body_json->'data'->>'dataKey' = OLD.key_id) THEN
        RAISE EXCEPTION 'sealbook: DELETE of data key % is refused: no data.erased in the log names it (sealbook erase)', OLD.key_id
            USING ERRCODE = 'SB050';
    END IF;
    RETURN OLD;
END
$fn$;
CREATE TRIGGER data_keys_erase_only BEFORE DELETE ON sealbook.data_keys
    FOR EACH ROW EXECUTE FUNCTION sealbook.data_keys_guard_delete();

ALTER TABLE sealbook.data_keys ENABLE ALWAYS TRIGGER data_keys_no_update;
ALTER TABLE sealbook.data_keys ENABLE ALWAYS TRIGGER data_keys_no_truncate;
ALTER TABLE sealbook.data_keys ENABLE ALWAYS TRIGGER data_keys_erase_only;

-- Stream privacy holds exactly the data.erased events; each is signed by a key holding role
-- privacy-officer and deletes the data key it names, which must be in the table (SB041 if it is
-- unknown or erased already). Runs for every row the append path inserts.
CREATE FUNCTION sealbook.events_erase_data_key() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    v_roles text[];
    v_key   text;
BEGIN
    IF (NEW.type = 'data.erased') <> (NEW.stream = 'privacy') THEN
        RAISE EXCEPTION 'stream "privacy" holds exactly the data.erased events' USING ERRCODE = 'SB005';
    END IF;
    SELECT k.roles INTO v_roles FROM sealbook.keys k WHERE k.key_id = NEW.key_id;
    IF NOT ('privacy-officer' = ANY (coalesce(v_roles, '{}'))) THEN
        RAISE EXCEPTION 'data.erased needs a key with role privacy-officer; key % has roles %', NEW.key_id, v_roles
            USING ERRCODE = 'SB004';
    END IF;
    v_key := NEW.body_json->'data'->>'dataKey';
    DELETE FROM sealbook.data_keys WHERE key_id = v_key;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'data.erased: data key % is not in sealbook.data_keys (unknown, or erased already)', coalesce(v_key, 'null')
            USING ERRCODE = 'SB041';
    END IF;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER events_data_erased AFTER INSERT ON sealbook.events
    FOR EACH ROW WHEN (NEW.type = 'data.erased' OR NEW.stream = 'privacy')
    EXECUTE FUNCTION sealbook.events_erase_data_key();
ALTER TABLE sealbook.events ENABLE ALWAYS TRIGGER events_data_erased;

-- The one way a writer adds a data key (the id is checked against the key by the table).
CREATE FUNCTION sealbook.add_data_key(p_key_id text, p_stream text, p_key bytea) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
    INSERT INTO sealbook.data_keys (key_id, stream, data_key) VALUES (p_key_id, p_stream, p_key);
$fn$;

ALTER TABLE sealbook.data_keys OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.data_keys_guard_delete() OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.events_erase_data_key() OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.add_data_key(text, text, bytea) OWNER TO sealbook_owner;
REVOKE ALL ON sealbook.data_keys FROM PUBLIC;
REVOKE ALL ON FUNCTION sealbook.data_keys_guard_delete(), sealbook.events_erase_data_key(),
    sealbook.add_data_key(text, text, bytea) FROM PUBLIC;
GRANT SELECT ON sealbook.data_keys TO sealbook_writer, sealbook_auditor;
GRANT EXECUTE ON FUNCTION sealbook.add_data_key(text, text, bytea) TO sealbook_writer;
