-- Sealbook ledger schema, version 1.
-- Applied by `sealbook init` inside one transaction and recorded in sealbook.schema_version.
-- The log is append-only by construction:
--   * the only way in is sealbook.append_event / sealbook.append_events (SECURITY DEFINER),
--     which assign seq and chain_hash under a row lock on sealbook.head, so seq is gapless and
--     the chain has no fork whatever the number of concurrent writers;
--   * triggers refuse UPDATE, DELETE and TRUNCATE on the log, even for its owner, and stay
--     active under session_replication_role = replica (ENABLE ALWAYS);
--   * sealbook_writer may only call the append functions and read; sealbook_auditor may only read.
-- A superuser can still disable triggers: that is what `sealbook verify` is for.

-- Roles are cluster-wide; several ledgers (databases) in one cluster share them. Two inits
-- racing in different databases must not fail, hence the exception handlers.
DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['sealbook_owner', 'sealbook_writer', 'sealbook_auditor'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        END IF;
    END LOOP;
END
$roles$;

CREATE SCHEMA sealbook AUTHORIZATION sealbook_owner;
REVOKE ALL ON SCHEMA sealbook FROM PUBLIC;

CREATE TABLE sealbook.schema_version (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    sha256     text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The head of the global chain: one row, locked by every append.
CREATE TABLE sealbook.head (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    seq        bigint NOT NULL CHECK (seq >= 0),
    chain_hash bytea  NOT NULL CHECK (octet_length(chain_hash) = 32),
    ledger     text
);
INSERT INTO sealbook.head (id, seq, chain_hash) VALUES (true, 0, decode(repeat('00', 32), 'hex'));

-- The log. body holds the exact canonical bytes that were signed; body_json is a copy for queries.
CREATE TABLE sealbook.events (
    seq          bigint      PRIMARY KEY CHECK (seq >= 1),
    stream       text        NOT NULL,
    stream_seq   bigint      NOT NULL CHECK (stream_seq >= 1),
    type         text        NOT NULL,
    actor        text        NOT NULL,
    key_id       text        NOT NULL,
    idem         text,
    claimed_time timestamptz NOT NULL,
    body         bytea       NOT NULL,
    body_json    jsonb       NOT NULL,
    sig          bytea       NOT NULL CHECK (octet_length(sig) = 64),
    event_hash   bytea       NOT NULL CHECK (octet_length(event_hash) = 32),
    chain_hash   bytea       NOT NULL CHECK (octet_length(chain_hash) = 32),
    recorded_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT events_stream_position UNIQUE (stream, stream_seq)
);
CREATE UNIQUE INDEX events_stream_idem ON sealbook.events (stream, idem) WHERE idem IS NOT NULL;
CREATE INDEX events_type ON sealbook.events (type, seq);

-- Keys as of the head: a cache of the genesis and key.* events, kept by the append path so
-- that the database itself refuses events from unknown or revoked keys.
CREATE TABLE sealbook.keys (
    key_id       text    PRIMARY KEY,
    public_key   bytea   NOT NULL CHECK (octet_length(public_key) = 32),
    actor        text    NOT NULL,
    roles        text[]  NOT NULL,
    enrolled_seq bigint  NOT NULL,
    revoked_seq  bigint,
    is_root      boolean NOT NULL
);

CREATE FUNCTION sealbook.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'sealbook: % on %.% is refused: the ledger is append-only', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'SB050';
END
$fn$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON sealbook.events
    FOR EACH ROW EXECUTE FUNCTION sealbook.refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON sealbook.events
    FOR EACH STATEMENT EXECUTE FUNCTION sealbook.refuse_change();
CREATE TRIGGER head_no_delete BEFORE DELETE ON sealbook.head
    FOR EACH ROW EXECUTE FUNCTION sealbook.refuse_change();
CREATE TRIGGER head_no_truncate BEFORE TRUNCATE ON sealbook.head
    FOR EACH STATEMENT EXECUTE FUNCTION sealbook.refuse_change();
CREATE TRIGGER keys_no_delete BEFORE DELETE ON sealbook.keys
    FOR EACH ROW EXECUTE FUNCTION sealbook.refuse_change();
CREATE TRIGGER keys_no_truncate BEFORE TRUNCATE ON sealbook.keys
    FOR EACH STATEMENT EXECUTE FUNCTION sealbook.refuse_change();
ALTER TABLE sealbook.events ENABLE ALWAYS TRIGGER events_append_only;
ALTER TABLE sealbook.events ENABLE ALWAYS TRIGGER events_no_truncate;
ALTER TABLE sealbook.head ENABLE ALWAYS TRIGGER head_no_delete;
ALTER TABLE sealbook.head ENABLE ALWAYS TRIGGER head_no_truncate;
ALTER TABLE sealbook.keys ENABLE ALWAYS TRIGGER keys_no_delete;
ALTER TABLE sealbook.keys ENABLE ALWAYS TRIGGER keys_no_truncate;

-- The head only moves forward, one seq at a time, and keeps its ledger id.
CREATE FUNCTION sealbook.head_forward_only() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF NEW.seq <> OLD.seq + 1 OR (OLD.ledger IS NOT NULL AND NEW.ledger IS DISTINCT FROM OLD.ledger) THEN
        RAISE EXCEPTION 'sealbook: the head only moves forward by one' USING ERRCODE = 'SB050';
    END IF;
    RETURN NEW;
END
$fn$;
CREATE TRIGGER head_forward_only BEFORE UPDATE ON sealbook.head
    FOR EACH ROW EXECUTE FUNCTION sealbook.head_forward_only();
ALTER TABLE sealbook.head ENABLE ALWAYS TRIGGER head_forward_only;

-- Errors raised by the append path (SQLSTATE class SB, documented in docs/FORMAT.md):
--   SB001 unknown key            SB002 key revoked          SB003 actor/key mismatch
--   SB004 role not allowed       SB005 reserved stream      SB010 stream position taken
--   SB011 stream position ahead  SB012 wrong streamPrev     SB020 not initialized / other ledger
--   SB021 already initialized    SB030 malformed event      SB031 body too large
--   SB040 invalid key event      SB050 change refused (append-only)
CREATE FUNCTION sealbook.append_event(p_body bytea, p_sig bytea)
RETURNS TABLE (r_seq bigint, r_stream_seq bigint, r_chain_hash bytea, r_event_hash bytea, r_recorded_at timestamptz, r_duplicate boolean)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    b jsonb;
    v_stream text; v_stream_seq bigint; v_type text; v_actor text; v_key text; v_idem text;
    v_prev bytea; v_time timestamptz;
    h sealbook.head%ROWTYPE;
    k sealbook.keys%ROWTYPE;
    last_seq bigint; last_hash bytea;
    v_event_hash bytea; v_seq bigint; v_chain bytea; v_at timestamptz;
    r jsonb; v_new_key text; v_new_pk bytea;
BEGIN
    IF p_sig IS NULL OR octet_length(p_sig) <> 64 THEN
        RAISE EXCEPTION 'signature must be 64 bytes' USING ERRCODE = 'SB030';
    END IF;
    IF octet_length(p_body) > 65536 THEN
        RAISE EXCEPTION 'body is % bytes, over the limit of 65536', octet_length(p_body) USING ERRCODE = 'SB031';
    END IF;
    BEGIN
        b := convert_from(p_body, 'UTF8')::jsonb;
        v_stream := b->>'stream';
        v_stream_seq := (b->>'streamSeq')::bigint;
        v_type := b->>'type';
        v_actor := b->>'actor';
        v_key := b->>'key';
        v_idem := b->>'idem';
        v_prev := decode(b->>'streamPrev', 'hex');
        v_time := (b->>'time')::timestamptz;
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION 'body is not a format v1 event: %', SQLERRM USING ERRCODE = 'SB030';
    END;
    IF jsonb_typeof(b) <> 'object' OR b->'v' IS DISTINCT FROM '1'::jsonb OR v_stream IS NULL
       OR jsonb_typeof(b->'streamSeq') IS DISTINCT FROM 'number' OR jsonb_typeof(b->'stream') IS DISTINCT FROM 'string'
       OR v_stream_seq IS NULL OR v_type IS NULL OR v_actor IS NULL OR v_key IS NULL OR v_time IS NULL
       OR v_prev IS NULL OR octet_length(v_prev) <> 32 OR jsonb_typeof(b->'data') IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'body is not a format v1 event (missing or mistyped members)' USING ERRCODE = 'SB030';
    END IF;

    -- Serialize on the chain head; held until commit.
    SELECT * INTO h FROM sealbook.head WHERE id FOR UPDATE;

    IF v_idem IS NOT NULL THEN
        RETURN QUERY SELECT e.seq, e.stream_seq, e.chain_hash, e.event_hash, e.recorded_at, true
            FROM sealbook.events e WHERE e.stream = v_stream AND e.idem = v_idem;
        IF FOUND THEN RETURN; END IF;
    END IF;

    IF h.seq = 0 THEN
        IF v_type <> 'ledger.genesis' OR v_stream <> 'ledger' THEN
            RAISE EXCEPTION 'the ledger is not initialized: seq 1 must be ledger.genesis (run sealbook init)'
                USING ERRCODE = 'SB020';
        END IF;
        FOR r IN SELECT * FROM jsonb_array_elements(b->'data'->'rootKeys') LOOP
            INSERT INTO sealbook.keys (key_id, public_key, actor, roles, enrolled_seq, is_root)
            VALUES (r->>'key', decode(r->>'publicKey', 'base64'), r->>'actor',
                    ARRAY(SELECT jsonb_array_elements_text(r->'roles')), 1, true);
        END LOOP;
        SELECT * INTO k FROM sealbook.keys WHERE key_id = v_key;
        IF NOT FOUND OR k.actor <> v_actor THEN
            RAISE EXCEPTION 'the genesis must be signed by one of its own root keys' USING ERRCODE = 'SB030';
        END IF;
    ELSE
        IF v_type = 'ledger.genesis' OR v_stream = 'ledger' THEN
            RAISE EXCEPTION 'ledger % is already initialized', h.ledger USING ERRCODE = 'SB021';
        END IF;
        IF b->>'ledger' IS DISTINCT FROM h.ledger THEN
            RAISE EXCEPTION 'event is for ledger %, this is ledger %', b->>'ledger', h.ledger USING ERRCODE = 'SB020';
        END IF;
        SELECT * INTO k FROM sealbook.keys WHERE key_id = v_key;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'key % is not enrolled in ledger %', v_key, h.ledger USING ERRCODE = 'SB001';
        END IF;
        IF k.revoked_seq IS NOT NULL THEN
            RAISE EXCEPTION 'key % was revoked at seq %', v_key, k.revoked_seq USING ERRCODE = 'SB002';
        END IF;
        IF k.actor <> v_actor THEN
            RAISE EXCEPTION 'key % belongs to actor %, not %', v_key, k.actor, v_actor USING ERRCODE = 'SB003';
        END IF;
        IF (v_type IN ('key.enrolled', 'key.revoked')) <> (v_stream = 'keys') THEN
            RAISE EXCEPTION 'stream "keys" holds exactly the key.enrolled and key.revoked events' USING ERRCODE = 'SB005';
        END IF;
        IF v_type IN ('key.enrolled', 'key.revoked') AND NOT ('admin' = ANY (k.roles)) THEN
            RAISE EXCEPTION '% needs a key with role admin; key % has roles %', v_type, v_key, k.roles
                USING ERRCODE = 'SB004';
        END IF;
    END IF;

    SELECT e.stream_seq, e.event_hash INTO last_seq, last_hash
        FROM sealbook.events e WHERE e.stream = v_stream ORDER BY e.stream_seq DESC LIMIT 1;
    last_seq := coalesce(last_seq, 0);
    last_hash := coalesce(last_hash, decode(repeat('00', 32), 'hex'));
    IF v_stream_seq <= last_seq THEN
        RAISE EXCEPTION 'stream % is at streamSeq %: position % is taken', v_stream, last_seq, v_stream_seq
            USING ERRCODE = 'SB010';
    END IF;
    IF v_stream_seq > last_seq + 1 THEN
        RAISE EXCEPTION 'stream % is at streamSeq %: position % does not exist yet', v_stream, last_seq, v_stream_seq
            USING ERRCODE = 'SB011';
    END IF;
    IF v_prev <> last_hash THEN
        RAISE EXCEPTION 'streamPrev is not the eventHash of stream %''s event %', v_stream, last_seq
            USING ERRCODE = 'SB012';
    END IF;

    v_event_hash := sha256(p_body || p_sig);
    v_seq := h.seq + 1;
    v_chain := sha256(convert_to(E'sealbook.chain.v1\n', 'UTF8') || int8send(v_seq) || h.chain_hash || v_event_hash);

    INSERT INTO sealbook.events (seq, stream, stream_seq, type, actor, key_id, idem, claimed_time,
                                 body, body_json, sig, event_hash, chain_hash)
    VALUES (v_seq, v_stream, v_stream_seq, v_type, v_actor, v_key, v_idem, v_time,
            p_body, b, p_sig, v_event_hash, v_chain)
    RETURNING recorded_at INTO v_at;

    IF v_type = 'key.enrolled' THEN
        v_new_key := b->'data'->>'key';
        v_new_pk := decode(b->'data'->>'publicKey', 'base64');
        IF v_new_key IS NULL OR v_new_pk IS NULL OR octet_length(v_new_pk) <> 32
           OR v_new_key <> 'ed25519:' || encode(substr(sha256(v_new_pk), 1, 8), 'hex') THEN
            RAISE EXCEPTION 'key.enrolled: data.key must be the id of data.publicKey' USING ERRCODE = 'SB040';
        END IF;
        IF EXISTS (SELECT 1 FROM sealbook.keys WHERE key_id = v_new_key) THEN
            RAISE EXCEPTION 'key % is already enrolled (key ids are never reused)', v_new_key USING ERRCODE = 'SB040';
        END IF;
        INSERT INTO sealbook.keys (key_id, public_key, actor, roles, enrolled_seq, is_root)
        VALUES (v_new_key, v_new_pk, b->'data'->>'actor',
                ARRAY(SELECT jsonb_array_elements_text(b->'data'->'roles')), v_seq, false);
    ELSIF v_type = 'key.revoked' THEN
        UPDATE sealbook.keys SET revoked_seq = v_seq
            WHERE key_id = b->'data'->>'key' AND revoked_seq IS NULL;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'key % is not enrolled or already revoked', b->'data'->>'key' USING ERRCODE = 'SB040';
        END IF;
    END IF;

    UPDATE sealbook.head SET seq = v_seq, chain_hash = v_chain,
        ledger = CASE WHEN v_seq = 1 THEN b->>'ledger' ELSE ledger END
        WHERE id;
    PERFORM pg_notify('sealbook_append', v_seq::text);
    RETURN QUERY SELECT v_seq, v_stream_seq, v_chain, v_event_hash, v_at, false;
END
$fn$;

-- A batch: many events, one statement, one transaction, one lock acquisition. All or nothing.
CREATE FUNCTION sealbook.append_events(p_bodies bytea[], p_sigs bytea[])
RETURNS TABLE (r_seq bigint, r_stream_seq bigint, r_chain_hash bytea, r_event_hash bytea, r_recorded_at timestamptz, r_duplicate boolean)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF coalesce(array_length(p_bodies, 1), 0) <> coalesce(array_length(p_sigs, 1), 0) THEN
        RAISE EXCEPTION 'append_events: % bodies but % signatures',
            coalesce(array_length(p_bodies, 1), 0), coalesce(array_length(p_sigs, 1), 0) USING ERRCODE = 'SB030';
    END IF;
    FOR i IN 1 .. coalesce(array_length(p_bodies, 1), 0) LOOP
        RETURN QUERY SELECT * FROM sealbook.append_event(p_bodies[i], p_sigs[i]);
    END LOOP;
END
$fn$;

ALTER TABLE sealbook.schema_version OWNER TO sealbook_owner;
ALTER TABLE sealbook.head OWNER TO sealbook_owner;
ALTER TABLE sealbook.events OWNER TO sealbook_owner;
ALTER TABLE sealbook.keys OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.refuse_change() OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.head_forward_only() OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.append_event(bytea, bytea) OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.append_events(bytea[], bytea[]) OWNER TO sealbook_owner;

REVOKE ALL ON ALL TABLES IN SCHEMA sealbook FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA sealbook FROM PUBLIC;
GRANT USAGE ON SCHEMA sealbook TO sealbook_writer, sealbook_auditor;
GRANT SELECT ON sealbook.events, sealbook.head, sealbook.keys, sealbook.schema_version
    TO sealbook_writer, sealbook_auditor;
GRANT EXECUTE ON FUNCTION sealbook.append_event(bytea, bytea), sealbook.append_events(bytea[], bytea[])
    TO sealbook_writer;
