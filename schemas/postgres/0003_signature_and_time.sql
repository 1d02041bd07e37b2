-- Sealbook ledger schema, version 3: the database refuses what it cannot accept.
-- Applied by `sealbook init` after 0002_batch_append.sql (or on its next run, for a ledger made
-- with versions 1-2) and recorded in sealbook.schema_version. docs/FORMAT.md section 9 is the
-- contract; in short, this version:
--   * checks every new event's Ed25519 signature in the append path, through
--     sealbook.verify_signature (SB033), which `sealbook init` points at the sealbook_ed25519
--     extension (extension/sealbook_ed25519, libsodium) or, only when asked with
--     --no-signature-extension, at a fallback that checks nothing but lengths; this file
--     creates it failing closed (SB034) until init has chosen, so it is the same SQL whether
--     or not the server has the extension;
--   * refuses an event whose signed `time` is further from the server clock than the ledger's
--     allowed skew (SB032): the genesis's data.maxClockSkewSeconds, else 300 seconds;
--   * protects sealbook.keys: a row never changes except revoked_seq, set once, and every row
--     inserted or revoked must match the log's event at its seq (checked at commit);
--   * adds sealbook.settings, an append-only record of what init configured
--     (signature_check = extension | none).
-- append_events keeps every check of version 2, with its errors and in its order, and its
-- set-based shape; append_event (a batch of one) is unchanged. Tables of versions 1-2, their
-- rows and privileges stay as they were.

-- Errors raised by the append path (SQLSTATE class SB, documented in docs/FORMAT.md):
--   SB001 unknown key            SB002 key revoked          SB003 actor/key mismatch
--   SB004 role not allowed       SB005 reserved stream      SB010 stream position taken
--   SB011 stream position ahead  SB012 wrong streamPrev     SB020 not initialized / other ledger
--   SB021 already initialized    SB030 malformed event      SB031 body too large
--   SB032 claimed time too far from the server clock        SB033 signature does not verify
--   SB034 signature check not configured (run sealbook init)
--   SB040 invalid key event      SB050 change refused (append-only)

-- What init configured, as an append-only history: the current value of a setting is its row
-- with the largest id. Only init (a superuser) writes here; nobody may change or remove a row.
CREATE TABLE sealbook.settings (
    id     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name   text        NOT NULL CHECK (name IN ('signature_check')),
    value  text        NOT NULL,
    set_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    set_by text        NOT NULL DEFAULT session_user,
    CONSTRAINT settings_signature_check CHECK (name <> 'signature_check' OR value IN ('extension', 'none'))
);
CREATE INDEX settings_name ON sealbook.settings (name, id);
CREATE TRIGGER settings_append_only BEFORE UPDATE OR DELETE ON sealbook.settings
    FOR EACH ROW EXECUTE FUNCTION sealbook.refuse_change();
CREATE TRIGGER settings_no_truncate BEFORE TRUNCATE ON sealbook.settings
    FOR EACH STATEMENT EXECUTE FUNCTION sealbook.refuse_change();
ALTER TABLE sealbook.settings ENABLE ALWAYS TRIGGER settings_append_only;
ALTER TABLE sealbook.settings ENABLE ALWAYS TRIGGER settings_no_truncate;

-- sealbook.keys decides which events are accepted, so its rows are as fixed as the log's: an
-- UPDATE may only set revoked_seq, once, from null to a seq after the key's enrolment (what the
-- append path's key.revoked does); any other UPDATE is refused, for every role, the owner
-- included, and under session_replication_role = replica (ENABLE ALWAYS).
CREATE FUNCTION sealbook.keys_guard_update() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF NEW.key_id IS DISTINCT FROM OLD.key_id OR NEW.public_key IS DISTINCT FROM OLD.public_key
       OR NEW.actor IS DISTINCT FROM OLD.actor OR NEW.roles IS DISTINCT FROM OLD.roles
       OR NEW.enrolled_seq IS DISTINCT FROM OLD.enrolled_seq OR NEW.is_root IS DISTINCT FROM OLD.is_root
       OR OLD.revoked_seq IS NOT NULL OR NEW.revoked_seq IS NULL OR NEW.revoked_seq <= OLD.enrolled_seq THEN
        RAISE EXCEPTION 'sealbook: UPDATE on sealbook.keys is refused: a key''s row never changes, except revoked_seq, set once by a key.revoked event'
            USING ERRCODE = 'SB050';
    END IF;
    RETURN NEW;
END
$fn$;
CREATE TRIGGER keys_guard_update BEFORE UPDATE ON sealbook.keys
    FOR EACH ROW EXECUTE FUNCTION sealbook.keys_guard_update();
ALTER TABLE sealbook.keys ENABLE ALWAYS TRIGGER keys_guard_update;

-- Every key row inserted, and every revocation, must be the one the log's event at its seq
-- makes: a root key is listed (same id, public key, actor and roles) in the genesis at seq 1;
-- another key is the data of the key.enrolled at its enrolled_seq; a revocation is the
-- key.revoked of that key at its revoked_seq. The append path writes the key before the event
-- row (both in its one statement), so this runs at commit (a deferred constraint trigger). At
-- commit the SECURITY DEFINER append function has returned, so this one is SECURITY DEFINER
-- itself: it reads the log as its owner, whoever commits.
CREATE FUNCTION sealbook.keys_match_log() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    e_type text;
    e_data jsonb;
    ok boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT e.type, e.body_json->'data' INTO e_type, e_data FROM sealbook.events e WHERE e.seq = NEW.enrolled_seq;
        IF NEW.is_root THEN
            ok := NEW.enrolled_seq = 1 AND e_type = 'ledger.genesis' AND jsonb_typeof(e_data->'rootKeys') = 'array'
                  AND EXISTS (SELECT 1 FROM jsonb_array_elements(e_data->'rootKeys') AS r(d)
                              WHERE r.d->>'key' = NEW.key_id AND r.d->>'actor' = NEW.actor
                                AND decode(r.d->>'publicKey', 'base64') = NEW.public_key
                                AND ARRAY(SELECT jsonb_array_elements_text(r.d->'roles')) = NEW.roles);
        ELSE
            ok := e_type = 'key.enrolled' AND e_data->>'key' = NEW.key_id AND e_data->>'actor' = NEW.actor
                  AND decode(e_data->>'publicKey', 'base64') = NEW.public_key
                  AND ARRAY(SELECT jsonb_array_elements_text(e_data->'roles')) = NEW.roles;
        END IF;
    ELSE
        SELECT e.type, e.body_json->'data' INTO e_type, e_data FROM sealbook.events e WHERE e.seq = NEW.revoked_seq;
        ok := e_type = 'key.revoked' AND e_data->>'key' = NEW.key_id;
    END IF;
    IF ok IS NOT TRUE THEN
        RAISE EXCEPTION 'sealbook: key % in sealbook.keys is not the one the log''s event at seq % makes: keys come only from the genesis and key events, through the append path',
            NEW.key_id, CASE WHEN TG_OP = 'INSERT' THEN NEW.enrolled_seq ELSE NEW.revoked_seq END
            USING ERRCODE = 'SB050';
    END IF;
    RETURN NULL;
END
$fn$;
CREATE CONSTRAINT TRIGGER keys_match_log AFTER INSERT OR UPDATE ON sealbook.keys
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION sealbook.keys_match_log();
ALTER TABLE sealbook.keys ENABLE ALWAYS TRIGGER keys_match_log;

-- The ledger's allowed clock skew in seconds from a genesis's data: its maxClockSkewSeconds
-- when that is a JSON integer from 1 to 3153600000 (100 years of 365 days), else null.
CREATE FUNCTION sealbook.clock_skew_seconds(p_data jsonb) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v jsonb := p_data->'maxClockSkewSeconds';
    n bigint;
BEGIN
    IF jsonb_typeof(v) IS DISTINCT FROM 'number' OR v::text !~ '^[0-9]{1,10}$' THEN
        RETURN NULL;
    END IF;
    n := v::text::bigint;
    IF n < 1 OR n > 3153600000 THEN
        RETURN NULL;
    END IF;
    RETURN n;
END
$fn$;

-- The signature check the append path calls: true when sig is a valid Ed25519 signature of msg
-- under pk. Created failing closed; `sealbook init` replaces it, in the transaction that applies
-- this file, with a call of the sealbook_ed25519 extension's ed25519_verify (by default) or
-- with the fallback (--no-signature-extension), and records which in sealbook.settings.
CREATE FUNCTION sealbook.verify_signature(pk bytea, msg bytea, sig bytea) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
BEGIN
    RAISE EXCEPTION 'the ledger''s signature check is not configured: run sealbook init' USING ERRCODE = 'SB034';
END
$fn$;

-- A batch: see 0002_batch_append.sql for the shape; steps 7a and 7b are new (docs/FORMAT.md 9.4).
CREATE OR REPLACE FUNCTION sealbook.append_events(p_bodies bytea[], p_sigs bytea[])
RETURNS TABLE (r_seq bigint, r_stream_seq bigint, r_chain_hash bytea, r_event_hash bytea, r_recorded_at timestamptz, r_duplicate boolean)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
    n integer := coalesce(array_length(p_bodies, 1), 0);
    v_chain_prefix constant bytea := convert_to(E'sealbook.chain.v1\n', 'UTF8');
    -- What an event's signature covers: this prefix, then the body's bytes (docs/FORMAT.md 3).
    v_sign_prefix constant bytea := convert_to(E'sealbook.event.v1\n', 'UTF8');
    -- Step 3 for all events: parsed[1 .. v_parsed]; the parse stops at the first body that fails,
    -- whose error text is kept for when the checks reach it.
    parsed sealbook.parsed_event[];
    v_parsed integer := 0;
    v_parse_error text;
    -- The current event.
    ev sealbook.parsed_event;
    p_body bytea; p_sig bytea; b jsonb;
    -- The head as the batch moves it; v_seq is null until the head is locked.
    v_seq bigint; v_chain bytea; v_ledger text; v_first_seq bigint;
    -- Keys looked up by this batch (as of the last key event: each key event empties the cache).
    k sealbook.keys%ROWTYPE;
    c_key_id text[]; c_key sealbook.keys[];
    -- Streams touched by this batch: their last streamSeq and eventHash as the batch moves them.
    s_name text[]; s_seq bigint[]; s_hash bytea[];
    v_last_stream integer := 0;
    -- (stream, idem) of the batch's new events, and their seqs.
    d_key text[]; d_seq bigint[];
    v_pos integer;
    last_seq bigint; last_hash bytea;
    v_event_hash bytea;
    v_root jsonb; v_new_key text; v_new_pk bytea;
    -- Step 7a: the ledger's allowed clock skew (null until the batch first needs it) and the clock.
    v_skew_s bigint; v_skew interval; v_now timestamptz;
    -- The new rows (recorded_at is left to the column default, at the INSERT).
    e_rows sealbook.events[];
    e_count integer := 0;
    -- The result: per event, the seq of its row and whether it is a duplicate.
    o_seq bigint[]; o_dup boolean[];
BEGIN
    IF n <> coalesce(array_length(p_sigs, 1), 0) THEN
        RAISE EXCEPTION 'append_events: % bodies but % signatures', n, coalesce(array_length(p_sigs, 1), 0)
            USING ERRCODE = 'SB030';
    END IF;

    -- Step 3 for all events in one block (one subtransaction rather than one per event). It only
    -- computes; an error stops it at that event, and the loop below raises it when it gets there,
    -- after the events before it have been checked (so their errors come first, as always). A
    -- body over the size limit stops it too: step 2 refuses that event before its parse matters.
    BEGIN
        FOR i IN 1 .. n LOOP
            p_body := p_bodies[i];
            EXIT WHEN octet_length(p_body) > 65536;
            b := convert_from(p_body, 'UTF8')::jsonb;
            parsed[i] := ROW(b, b->>'stream', (b->>'streamSeq')::bigint, b->>'type', b->>'actor', b->>'key', b->>'idem',
                             decode(b->>'streamPrev', 'hex'), (b->>'time')::timestamptz)::sealbook.parsed_event;
            v_parsed := i;
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        v_parse_error := SQLERRM;
    END;

    FOR i IN 1 .. n LOOP
        p_body := p_bodies[i];
        p_sig := p_sigs[i];
        -- 1-3. Signature length, body size, parse.
        IF p_sig IS NULL OR octet_length(p_sig) <> 64 THEN
            RAISE EXCEPTION 'signature must be 64 bytes' USING ERRCODE = 'SB030';
        END IF;
        IF octet_length(p_body) > 65536 THEN
            RAISE EXCEPTION 'body is % bytes, over the limit of 65536', octet_length(p_body) USING ERRCODE = 'SB031';
        END IF;
        IF i > v_parsed THEN
            RAISE EXCEPTION 'body is not a format v1 event: %', v_parse_error USING ERRCODE = 'SB030';
        END IF;
        ev := parsed[i];
        b := ev.body_json;
        -- 4. Members and their JSON types.
        IF jsonb_typeof(b) <> 'object' OR b->'v' IS DISTINCT FROM '1'::jsonb OR ev.stream IS NULL
           OR jsonb_typeof(b->'streamSeq') IS DISTINCT FROM 'number' OR jsonb_typeof(b->'stream') IS DISTINCT FROM 'string'
           OR ev.stream_seq IS NULL OR ev.type IS NULL OR ev.actor IS NULL OR ev.key_id IS NULL OR ev.claimed_time IS NULL
           OR ev.stream_prev IS NULL OR octet_length(ev.stream_prev) <> 32 OR jsonb_typeof(b->'data') IS DISTINCT FROM 'object' THEN
            RAISE EXCEPTION 'body is not a format v1 event (missing or mistyped members)' USING ERRCODE = 'SB030';
        END IF;

        -- 5. Serialize on the chain head, once per batch; held until commit.
        IF v_seq IS NULL THEN
            SELECT h.seq, h.chain_hash, h.ledger, h.seq + 1 INTO v_seq, v_chain, v_ledger, v_first_seq
                FROM sealbook.head h WHERE h.id FOR UPDATE;
        END IF;

        -- 6. Idempotency: an earlier event with the same (stream, idem), in this batch or in the log.
        IF ev.idem IS NOT NULL THEN
            v_pos := array_position(d_key, jsonb_build_array(ev.stream, ev.idem)::text);
            IF v_pos IS NOT NULL THEN
                o_seq[i] := d_seq[v_pos];
                o_dup[i] := true;
                CONTINUE;
            END IF;
            o_seq[i] := (SELECT e.seq FROM sealbook.events e WHERE e.stream = ev.stream AND e.idem = ev.idem);
            IF o_seq[i] IS NOT NULL THEN
                o_dup[i] := true;
                CONTINUE;
            END IF;
        END IF;

        -- 7. Genesis, or the key and the stream rules.
        IF v_seq = 0 THEN
            IF ev.type <> 'ledger.genesis' OR ev.stream <> 'ledger' THEN
                RAISE EXCEPTION 'the ledger is not initialized: seq 1 must be ledger.genesis (run sealbook init)'
                    USING ERRCODE = 'SB020';
            END IF;
            FOR v_root IN SELECT * FROM jsonb_array_elements(b->'data'->'rootKeys') LOOP
                INSERT INTO sealbook.keys (key_id, public_key, actor, roles, enrolled_seq, is_root)
                VALUES (v_root->>'key', decode(v_root->>'publicKey', 'base64'), v_root->>'actor',
                        ARRAY(SELECT jsonb_array_elements_text(v_root->'roles')), 1, true);
            END LOOP;
            SELECT * INTO k FROM sealbook.keys WHERE key_id = ev.key_id;
            IF NOT FOUND OR k.actor <> ev.actor THEN
                RAISE EXCEPTION 'the genesis must be signed by one of its own root keys' USING ERRCODE = 'SB030';
            END IF;
            -- The genesis records the ledger's allowed clock skew (for itself too).
            IF b->'data' ? 'maxClockSkewSeconds' THEN
                v_skew_s := sealbook.clock_skew_seconds(b->'data');
                IF v_skew_s IS NULL THEN
                    RAISE EXCEPTION 'ledger.genesis: data.maxClockSkewSeconds must be an integer number of seconds from 1 to 3153600000'
                        USING ERRCODE = 'SB030';
                END IF;
            ELSE
                v_skew_s := 300;
            END IF;
            v_skew := make_interval(secs => v_skew_s);
            c_key_id := NULL;
            c_key := NULL;
        ELSE
            IF ev.type = 'ledger.genesis' OR ev.stream = 'ledger' THEN
                RAISE EXCEPTION 'ledger % is already initialized', v_ledger USING ERRCODE = 'SB021';
            END IF;
            IF b->>'ledger' IS DISTINCT FROM v_ledger THEN
                RAISE EXCEPTION 'event is for ledger %, this is ledger %', b->>'ledger', v_ledger USING ERRCODE = 'SB020';
            END IF;
            v_pos := array_position(c_key_id, ev.key_id);
            IF v_pos IS NOT NULL THEN
                k := c_key[v_pos];
            ELSE
                SELECT * INTO k FROM sealbook.keys WHERE key_id = ev.key_id;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'key % is not enrolled in ledger %', ev.key_id, v_ledger USING ERRCODE = 'SB001';
                END IF;
                v_pos := coalesce(array_length(c_key_id, 1), 0) + 1;
                c_key_id[v_pos] := ev.key_id;
                c_key[v_pos] := k;
            END IF;
            IF k.revoked_seq IS NOT NULL THEN
                RAISE EXCEPTION 'key % was revoked at seq %', ev.key_id, k.revoked_seq USING ERRCODE = 'SB002';
            END IF;
            IF k.actor <> ev.actor THEN
                RAISE EXCEPTION 'key % belongs to actor %, not %', ev.key_id, k.actor, ev.actor USING ERRCODE = 'SB003';
            END IF;
            IF (ev.type IN ('key.enrolled', 'key.revoked')) <> (ev.stream = 'keys') THEN
                RAISE EXCEPTION 'stream "keys" holds exactly the key.enrolled and key.revoked events' USING ERRCODE = 'SB005';
            END IF;
            IF ev.type IN ('key.enrolled', 'key.revoked') AND NOT ('admin' = ANY (k.roles)) THEN
                RAISE EXCEPTION '% needs a key with role admin; key % has roles %', ev.type, ev.key_id, k.roles
                    USING ERRCODE = 'SB004';
            END IF;
        END IF;

        -- 7a. The claimed time: at most the ledger's allowed skew (the genesis's
        -- data.maxClockSkewSeconds, else 300 seconds) from the server clock, either way.
        IF v_skew IS NULL THEN
            SELECT sealbook.clock_skew_seconds(e.body_json->'data') INTO v_skew_s FROM sealbook.events e WHERE e.seq = 1;
            v_skew := make_interval(secs => coalesce(v_skew_s, 300));
            v_skew_s := coalesce(v_skew_s, 300);
        END IF;
        v_now := clock_timestamp();
        IF ev.claimed_time < v_now - v_skew OR ev.claimed_time > v_now + v_skew THEN
            RAISE EXCEPTION 'claimed time % of event % of the batch (stream %, streamSeq %) is % s % the server clock %; this ledger accepts at most % s either way (maxClockSkewSeconds)',
                to_char(ev.claimed_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), i, ev.stream, ev.stream_seq,
                round(abs(extract(epoch FROM ev.claimed_time - v_now)), 3),
                CASE WHEN ev.claimed_time < v_now THEN 'behind' ELSE 'ahead of' END,
                to_char(v_now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), v_skew_s
                USING ERRCODE = 'SB032';
        END IF;

        -- 7b. The signature: Ed25519 over 'sealbook.event.v1\n' || body under the public key the
        -- key table holds for the body's key (for the genesis: its own root key, inserted above).
        -- sealbook.verify_signature is what `sealbook init` made it: the sealbook_ed25519
        -- extension's check, or the explicit fallback (sealbook init --no-signature-extension).
        -- The message names the event's position and key, never its content.
        IF sealbook.verify_signature(k.public_key, v_sign_prefix || p_body, p_sig) IS NOT TRUE THEN
            RAISE EXCEPTION 'signature does not verify: event % of the batch (seq % if appended, stream %, streamSeq %) is not signed over its body by key % (actor %)',
                i, v_seq + 1, ev.stream, ev.stream_seq, ev.key_id, ev.actor
                USING ERRCODE = 'SB033';
        END IF;

        -- 8. The stream's last event: this batch's last new one in the stream, else the log's.
        v_pos := CASE WHEN s_name[v_last_stream] = ev.stream THEN v_last_stream ELSE array_position(s_name, ev.stream) END;
        IF v_pos IS NOT NULL THEN
            last_seq := s_seq[v_pos];
            last_hash := s_hash[v_pos];
        ELSE
            SELECT e.stream_seq, e.event_hash INTO last_seq, last_hash
                FROM sealbook.events e WHERE e.stream = ev.stream ORDER BY e.stream_seq DESC LIMIT 1;
            IF NOT FOUND THEN
                last_seq := 0;
                last_hash := decode(repeat('00', 32), 'hex');
            END IF;
            v_pos := coalesce(array_length(s_name, 1), 0) + 1;
            s_name[v_pos] := ev.stream;
        END IF;
        IF ev.stream_seq <= last_seq THEN
            RAISE EXCEPTION 'stream % is at streamSeq %: position % is taken', ev.stream, last_seq, ev.stream_seq
                USING ERRCODE = 'SB010';
        END IF;
        IF ev.stream_seq > last_seq + 1 THEN
            RAISE EXCEPTION 'stream % is at streamSeq %: position % does not exist yet', ev.stream, last_seq, ev.stream_seq
                USING ERRCODE = 'SB011';
        END IF;
        IF ev.stream_prev <> last_hash THEN
            RAISE EXCEPTION 'streamPrev is not the eventHash of stream %''s event %', ev.stream, last_seq
                USING ERRCODE = 'SB012';
        END IF;

        -- 9. The hashes and the new row (inserted with the others after the loop).
        v_event_hash := sha256(p_body || p_sig);
        v_seq := v_seq + 1;
        v_chain := sha256(v_chain_prefix || int8send(v_seq) || v_chain || v_event_hash);
        e_count := e_count + 1;
        e_rows[e_count] := ROW(v_seq, ev.stream, ev.stream_seq, ev.type, ev.actor, ev.key_id, ev.idem, ev.claimed_time,
                               p_body, b, p_sig, v_event_hash, v_chain, NULL)::sealbook.events;
        s_seq[v_pos] := ev.stream_seq;
        s_hash[v_pos] := v_event_hash;
        v_last_stream := v_pos;
        IF ev.idem IS NOT NULL THEN
            v_pos := coalesce(array_length(d_key, 1), 0) + 1;
            d_key[v_pos] := jsonb_build_array(ev.stream, ev.idem)::text;
            d_seq[v_pos] := v_seq;
        END IF;
        o_seq[i] := v_seq;
        o_dup[i] := false;

        -- 10. Key events change the keys at once, for the events after them.
        IF ev.type = 'key.enrolled' THEN
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
            c_key_id := NULL;
            c_key := NULL;
        ELSIF ev.type = 'key.revoked' THEN
            UPDATE sealbook.keys SET revoked_seq = v_seq
                WHERE key_id = b->'data'->>'key' AND revoked_seq IS NULL;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'key % is not enrolled or already revoked', b->'data'->>'key' USING ERRCODE = 'SB040';
            END IF;
            c_key_id := NULL;
            c_key := NULL;
        ELSIF v_seq = 1 THEN
            -- The genesis sets the ledger id (step 11 writes it to the head).
            v_ledger := b->>'ledger';
        END IF;
    END LOOP;

    -- 11. All new rows in one INSERT, the head moved once, one notification per new seq, and the
    -- result: every row as stored (a new row, or the earlier one of a duplicate).
    IF e_count = n THEN
        -- No duplicate (the usual case): the result is what the INSERT returns.
        RETURN QUERY
            WITH ins AS (
                INSERT INTO sealbook.events (seq, stream, stream_seq, type, actor, key_id, idem, claimed_time,
                                             body, body_json, sig, event_hash, chain_hash)
                SELECT x.seq, x.stream, x.stream_seq, x.type, x.actor, x.key_id, x.idem, x.claimed_time,
                       x.body, x.body_json, x.sig, x.event_hash, x.chain_hash
                    FROM unnest(e_rows) AS x
                RETURNING sealbook.events.seq, sealbook.events.stream_seq, sealbook.events.chain_hash,
                          sealbook.events.event_hash, sealbook.events.recorded_at
            )
            SELECT ins.seq, ins.stream_seq, ins.chain_hash, ins.event_hash, ins.recorded_at, false
                FROM ins ORDER BY ins.seq;
    ELSIF e_count > 0 THEN
        INSERT INTO sealbook.events (seq, stream, stream_seq, type, actor, key_id, idem, claimed_time,
                                     body, body_json, sig, event_hash, chain_hash)
        SELECT x.seq, x.stream, x.stream_seq, x.type, x.actor, x.key_id, x.idem, x.claimed_time,
               x.body, x.body_json, x.sig, x.event_hash, x.chain_hash
            FROM unnest(e_rows) AS x;
    END IF;
    IF e_count > 0 THEN
        UPDATE sealbook.head SET seq = v_seq, chain_hash = v_chain, ledger = v_ledger WHERE id;
        IF v_first_seq = v_seq THEN
            PERFORM pg_notify('sealbook_append', v_seq::text);
        ELSE
            PERFORM pg_notify('sealbook_append', s::text) FROM generate_series(v_first_seq, v_seq) AS s;
        END IF;
    END IF;
    IF e_count < n THEN
        -- One index probe per event (LIMIT keeps the LATERAL a nested loop whatever the statistics).
        RETURN QUERY
            SELECT x.seq, x.stream_seq, x.chain_hash, x.event_hash, x.recorded_at, o.dup
            FROM unnest(o_seq, o_dup) WITH ORDINALITY AS o(seq, dup, ord)
            CROSS JOIN LATERAL (
                SELECT e.seq, e.stream_seq, e.chain_hash, e.event_hash, e.recorded_at
                FROM sealbook.events e WHERE e.seq = o.seq LIMIT 1
            ) AS x
            ORDER BY o.ord;
    END IF;
END
$fn$;

ALTER TABLE sealbook.settings OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.keys_guard_update() OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.keys_match_log() OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.clock_skew_seconds(jsonb) OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.verify_signature(bytea, bytea, bytea) OWNER TO sealbook_owner;
REVOKE ALL ON sealbook.settings FROM PUBLIC;
REVOKE ALL ON FUNCTION sealbook.keys_guard_update(), sealbook.keys_match_log(), sealbook.clock_skew_seconds(jsonb),
    sealbook.verify_signature(bytea, bytea, bytea) FROM PUBLIC;
GRANT SELECT ON sealbook.settings TO sealbook_writer, sealbook_auditor;
