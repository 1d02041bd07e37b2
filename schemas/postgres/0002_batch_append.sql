-- Sealbook ledger schema, version 2: the batch append, set-based.
-- Applied by `sealbook init` after 0001_ledger.sql (or on its next run, for a ledger made with
-- version 1 only) and recorded in sealbook.schema_version. It replaces three functions; the
-- tables, the triggers, the owners and the privileges of version 1 stay as they are
-- (CREATE OR REPLACE keeps a function's owner and grants).
--
-- Version 1 ran sealbook.append_event once per event of a batch: per event, a function call
-- with its settings save and restore, a lock and an UPDATE of the head row (one dead row version
-- each, kept until the batch commits), one INSERT. Version 2 checks every event in order, exactly
-- as before, in one loop under one lock of the head, then inserts all the new rows with one
-- INSERT, moves the head once and notifies once per new seq. What a batch may contain and what
-- it is refused for (SQLSTATE and message) do not change; docs/FORMAT.md section 9.4 is the
-- algorithm.

-- The head only moves forward, onto the chain of the rows in the log, and keeps its ledger id.
-- An UPDATE from (seq a, chain hash A) to (seq b, chain hash B) needs b > a and the rows
-- a+1 .. b all present in sealbook.events, each one's chain_hash the chain step of the previous
-- one (of A for row a+1), and row b's chain_hash = B. Backward moves, standing still, and a
-- rewrite of the chain hash at an existing seq are refused; a move of more than one seq is
-- accepted only onto rows that the log holds, which (the owner aside) only the append path
-- writes.
CREATE OR REPLACE FUNCTION sealbook.head_forward_only() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_rows bigint;
    v_links_ok boolean;
    v_last_ok boolean;
BEGIN
    IF NEW.seq <= OLD.seq OR (OLD.ledger IS NOT NULL AND NEW.ledger IS DISTINCT FROM OLD.ledger) THEN
        RAISE EXCEPTION 'sealbook: the head only moves forward (seq % to %) and keeps its ledger id', OLD.seq, NEW.seq
            USING ERRCODE = 'SB050';
    END IF;
    SELECT count(*), coalesce(bool_and(s.link_ok), false), coalesce(bool_or(s.seq = NEW.seq AND s.chain_hash = NEW.chain_hash), false)
        INTO v_rows, v_links_ok, v_last_ok
        FROM (SELECT e.seq, e.chain_hash,
                     e.chain_hash = sha256(convert_to(E'sealbook.chain.v1\n', 'UTF8') || int8send(e.seq)
                                           || coalesce(lag(e.chain_hash) OVER (ORDER BY e.seq), OLD.chain_hash)
                                           || e.event_hash) AS link_ok
                FROM sealbook.events e
                WHERE e.seq > OLD.seq AND e.seq <= NEW.seq) s;
    IF v_rows <> NEW.seq - OLD.seq OR NOT v_links_ok OR NOT v_last_ok THEN
        RAISE EXCEPTION 'sealbook: the head moves to seq % only when the log holds seq % to % continuing its chain, the last with the new chain hash',
            NEW.seq, OLD.seq + 1, NEW.seq USING ERRCODE = 'SB050';
    END IF;
    RETURN NEW;
END
$fn$;

-- Errors raised by the append path (SQLSTATE class SB, documented in docs/FORMAT.md):
--   SB001 unknown key            SB002 key revoked          SB003 actor/key mismatch
--   SB004 role not allowed       SB005 reserved stream      SB010 stream position taken
--   SB011 stream position ahead  SB012 wrong streamPrev     SB020 not initialized / other ledger
--   SB021 already initialized    SB030 malformed event      SB031 body too large
--   SB040 invalid key event      SB050 change refused (append-only)
--
-- A batch: many events, one statement, one transaction, one lock of the head. All or nothing.
-- Events are checked in order; event i sees the log as events 1 .. i-1 of the batch left it
-- (their streams' positions, their idempotency keys, the keys they enrolled or revoked, the
-- ledger id of a genesis), so the first event that fails decides the error, as if each had been
-- appended by itself in turn.
CREATE OR REPLACE FUNCTION sealbook.append_events(p_bodies bytea[], p_sigs bytea[])
RETURNS TABLE (r_seq bigint, r_stream_seq bigint, r_chain_hash bytea, r_event_hash bytea, r_recorded_at timestamptz, r_duplicate boolean)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    n integer := coalesce(array_length(p_bodies, 1), 0);
    v_chain_prefix constant bytea := convert_to(E'sealbook.chain.v1\n', 'UTF8');
    v_zero constant bytea := decode(repeat('00', 32), 'hex');
    -- Step 3, for every event at once: parsed[i] true when event i parsed; the parse stops at the
    -- first body that fails, whose error text is kept for when the loop reaches it.
    v_parsed integer := 0;
    v_parse_error text;
    a_b jsonb[]; a_stream text[]; a_stream_seq bigint[]; a_type text[]; a_actor text[]; a_key text[];
    a_idem text[]; a_prev bytea[]; a_time timestamptz[];
    -- The current event.
    p_body bytea; p_sig bytea; b jsonb;
    v_stream text; v_stream_seq bigint; v_type text; v_actor text; v_key text; v_idem text;
    v_prev bytea; v_time timestamptz;
    -- The head as the batch moves it.
    h sealbook.head%ROWTYPE;
    v_locked boolean := false;
    v_first_seq bigint;
    v_seq bigint; v_chain bytea; v_ledger text;
    -- Keys looked up by this batch (rows as of the last key event; emptied by each key event).
    k sealbook.keys%ROWTYPE;
    c_key_id text[] := '{}'; c_key sealbook.keys[] := '{}';
    -- Streams touched by this batch: their last streamSeq and eventHash as the batch moves them.
    s_name text[] := '{}'; s_seq bigint[] := '{}'; s_hash bytea[] := '{}';
    v_last_stream integer := 0;
    -- (stream, idem) of the batch's new events -> their index in the output.
    d_key text[] := '{}'; d_out integer[] := '{}';
    v_pos integer;
    last_seq bigint; last_hash bytea;
    v_event_hash bytea;
    r jsonb; v_new_key text; v_new_pk bytea;
    v_dup record;
    -- The new rows.
    e_count integer := 0;
    e_seq bigint[] := '{}'; e_stream text[] := '{}'; e_stream_seq bigint[] := '{}'; e_type text[] := '{}';
    e_actor text[] := '{}'; e_key text[] := '{}'; e_idem text[] := '{}'; e_time timestamptz[] := '{}';
    e_body bytea[] := '{}'; e_json jsonb[] := '{}'; e_sig bytea[] := '{}'; e_event_hash bytea[] := '{}';
    e_chain bytea[] := '{}'; e_at timestamptz[];
    -- The result, one row per event in order (o_at null: a new row's, known after the INSERT).
    o_seq bigint[] := '{}'; o_stream_seq bigint[] := '{}'; o_chain bytea[] := '{}'; o_event_hash bytea[] := '{}';
    o_at timestamptz[] := '{}'; o_dup boolean[] := '{}';
BEGIN
    IF n <> coalesce(array_length(p_sigs, 1), 0) THEN
        RAISE EXCEPTION 'append_events: % bodies but % signatures', n, coalesce(array_length(p_sigs, 1), 0)
            USING ERRCODE = 'SB030';
    END IF;
    IF n = 0 THEN
        RETURN;
    END IF;

    -- Step 3 for all events in one block (one subtransaction rather than one per event). It only
    -- computes; an error stops it at that event, and the loop below raises it when it gets there,
    -- after the events before it have been checked (so their errors come first, as always).
    BEGIN
        FOR i IN 1 .. n LOOP
            p_body := p_bodies[i];
            IF octet_length(p_body) > 65536 THEN
                -- Refused by step 2 before its parse would matter; nothing after it is parsed.
                EXIT;
            END IF;
            b := convert_from(p_body, 'UTF8')::jsonb;
            a_b[i] := b;
            a_stream[i] := b->>'stream';
            a_stream_seq[i] := (b->>'streamSeq')::bigint;
            a_type[i] := b->>'type';
            a_actor[i] := b->>'actor';
            a_key[i] := b->>'key';
            a_idem[i] := b->>'idem';
            a_prev[i] := decode(b->>'streamPrev', 'hex');
            a_time[i] := (b->>'time')::timestamptz;
            v_parsed := i;
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        v_parse_error := SQLERRM;
    END;

    FOR i IN 1 .. n LOOP
        p_body := p_bodies[i];
        p_sig := p_sigs[i];
        -- 1-2. Signature length, body size.
        IF p_sig IS NULL OR octet_length(p_sig) <> 64 THEN
            RAISE EXCEPTION 'signature must be 64 bytes' USING ERRCODE = 'SB030';
        END IF;
        IF octet_length(p_body) > 65536 THEN
            RAISE EXCEPTION 'body is % bytes, over the limit of 65536', octet_length(p_body) USING ERRCODE = 'SB031';
        END IF;
        -- 3. The parse.
        IF i > v_parsed THEN
            RAISE EXCEPTION 'body is not a format v1 event: %', v_parse_error USING ERRCODE = 'SB030';
        END IF;
        b := a_b[i];
        v_stream := a_stream[i];
        v_stream_seq := a_stream_seq[i];
        v_type := a_type[i];
        v_actor := a_actor[i];
        v_key := a_key[i];
        v_idem := a_idem[i];
        v_prev := a_prev[i];
        v_time := a_time[i];
        -- 4. Members and their JSON types.
        IF jsonb_typeof(b) <> 'object' OR b->'v' IS DISTINCT FROM '1'::jsonb OR v_stream IS NULL
           OR jsonb_typeof(b->'streamSeq') IS DISTINCT FROM 'number' OR jsonb_typeof(b->'stream') IS DISTINCT FROM 'string'
           OR v_stream_seq IS NULL OR v_type IS NULL OR v_actor IS NULL OR v_key IS NULL OR v_time IS NULL
           OR v_prev IS NULL OR octet_length(v_prev) <> 32 OR jsonb_typeof(b->'data') IS DISTINCT FROM 'object' THEN
            RAISE EXCEPTION 'body is not a format v1 event (missing or mistyped members)' USING ERRCODE = 'SB030';
        END IF;

        -- 5. Serialize on the chain head, once per batch; held until commit.
        IF NOT v_locked THEN
            SELECT * INTO h FROM sealbook.head WHERE id FOR UPDATE;
            v_locked := true;
            v_seq := h.seq;
            v_chain := h.chain_hash;
            v_ledger := h.ledger;
            v_first_seq := h.seq + 1;
        END IF;

        -- 6. Idempotency: an earlier event with the same (stream, idem), in the log or in this batch.
        IF v_idem IS NOT NULL THEN
            v_pos := array_position(d_key, jsonb_build_array(v_stream, v_idem)::text);
            IF v_pos IS NOT NULL THEN
                v_pos := d_out[v_pos];
                o_seq[i] := o_seq[v_pos];
                o_stream_seq[i] := o_stream_seq[v_pos];
                o_chain[i] := o_chain[v_pos];
                o_event_hash[i] := o_event_hash[v_pos];
                o_at[i] := NULL;
                o_dup[i] := true;
                CONTINUE;
            END IF;
            SELECT e.seq, e.stream_seq, e.chain_hash, e.event_hash, e.recorded_at INTO v_dup
                FROM sealbook.events e WHERE e.stream = v_stream AND e.idem = v_idem;
            IF FOUND THEN
                o_seq[i] := v_dup.seq;
                o_stream_seq[i] := v_dup.stream_seq;
                o_chain[i] := v_dup.chain_hash;
                o_event_hash[i] := v_dup.event_hash;
                o_at[i] := v_dup.recorded_at;
                o_dup[i] := true;
                CONTINUE;
            END IF;
        END IF;

        -- 7. Genesis, or the key and the stream rules.
        IF v_seq = 0 THEN
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
            c_key_id := '{}';
            c_key := '{}';
        ELSE
            IF v_type = 'ledger.genesis' OR v_stream = 'ledger' THEN
                RAISE EXCEPTION 'ledger % is already initialized', v_ledger USING ERRCODE = 'SB021';
            END IF;
            IF b->>'ledger' IS DISTINCT FROM v_ledger THEN
                RAISE EXCEPTION 'event is for ledger %, this is ledger %', b->>'ledger', v_ledger USING ERRCODE = 'SB020';
            END IF;
            v_pos := array_position(c_key_id, v_key);
            IF v_pos IS NOT NULL THEN
                k := c_key[v_pos];
            ELSE
                SELECT * INTO k FROM sealbook.keys WHERE key_id = v_key;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'key % is not enrolled in ledger %', v_key, v_ledger USING ERRCODE = 'SB001';
                END IF;
                v_pos := coalesce(array_length(c_key_id, 1), 0) + 1;
                c_key_id[v_pos] := v_key;
                c_key[v_pos] := k;
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

        -- 8. The stream's last event, in the log or in this batch.
        IF v_last_stream > 0 AND s_name[v_last_stream] = v_stream THEN
            v_pos := v_last_stream;
        ELSE
            v_pos := array_position(s_name, v_stream);
        END IF;
        IF v_pos IS NOT NULL THEN
            last_seq := s_seq[v_pos];
            last_hash := s_hash[v_pos];
        ELSE
            SELECT e.stream_seq, e.event_hash INTO last_seq, last_hash
                FROM sealbook.events e WHERE e.stream = v_stream ORDER BY e.stream_seq DESC LIMIT 1;
            last_seq := coalesce(last_seq, 0);
            last_hash := coalesce(last_hash, v_zero);
            v_pos := coalesce(array_length(s_name, 1), 0) + 1;
            s_name[v_pos] := v_stream;
        END IF;
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

        -- 9. The hashes and the new row (inserted with the others after the loop).
        v_event_hash := sha256(p_body || p_sig);
        v_seq := v_seq + 1;
        v_chain := sha256(v_chain_prefix || int8send(v_seq) || v_chain || v_event_hash);
        e_count := e_count + 1;
        e_seq[e_count] := v_seq;
        e_stream[e_count] := v_stream;
        e_stream_seq[e_count] := v_stream_seq;
        e_type[e_count] := v_type;
        e_actor[e_count] := v_actor;
        e_key[e_count] := v_key;
        e_idem[e_count] := v_idem;
        e_time[e_count] := v_time;
        e_body[e_count] := p_body;
        e_json[e_count] := b;
        e_sig[e_count] := p_sig;
        e_event_hash[e_count] := v_event_hash;
        e_chain[e_count] := v_chain;
        s_seq[v_pos] := v_stream_seq;
        s_hash[v_pos] := v_event_hash;
        v_last_stream := v_pos;
        IF v_idem IS NOT NULL THEN
            v_pos := coalesce(array_length(d_key, 1), 0) + 1;
            d_key[v_pos] := jsonb_build_array(v_stream, v_idem)::text;
            d_out[v_pos] := i;
        END IF;
        o_seq[i] := v_seq;
        o_stream_seq[i] := v_stream_seq;
        o_chain[i] := v_chain;
        o_event_hash[i] := v_event_hash;
        o_at[i] := NULL;
        o_dup[i] := false;

        -- 10. Key events change the keys at once, for the events after them.
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
            c_key_id := '{}';
            c_key := '{}';
        ELSIF v_type = 'key.revoked' THEN
            UPDATE sealbook.keys SET revoked_seq = v_seq
                WHERE key_id = b->'data'->>'key' AND revoked_seq IS NULL;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'key % is not enrolled or already revoked', b->'data'->>'key' USING ERRCODE = 'SB040';
            END IF;
            c_key_id := '{}';
            c_key := '{}';
        END IF;
        -- The genesis sets the ledger id (step 11 writes it to the head).
        IF v_seq = 1 THEN
            v_ledger := b->>'ledger';
        END IF;
    END LOOP;

    -- 11. All new rows in one INSERT, the head moved once, one notification per new seq.
    IF e_count > 0 THEN
        WITH ins AS (
            INSERT INTO sealbook.events (seq, stream, stream_seq, type, actor, key_id, idem, claimed_time,
                                         body, body_json, sig, event_hash, chain_hash)
            SELECT * FROM unnest(e_seq, e_stream, e_stream_seq, e_type, e_actor, e_key, e_idem, e_time,
                                 e_body, e_json, e_sig, e_event_hash, e_chain)
            RETURNING sealbook.events.seq AS ins_seq, sealbook.events.recorded_at AS ins_at
        )
        SELECT array_agg(ins.ins_at ORDER BY ins.ins_seq) INTO e_at FROM ins;
        UPDATE sealbook.head SET seq = v_seq, chain_hash = v_chain, ledger = v_ledger WHERE id;
        PERFORM pg_notify('sealbook_append', s::text) FROM generate_series(v_first_seq, v_seq) AS s;
        FOR i IN 1 .. n LOOP
            IF o_at[i] IS NULL THEN
                o_at[i] := e_at[o_seq[i] - v_first_seq + 1];
            END IF;
        END LOOP;
    END IF;
    RETURN QUERY SELECT o.seq, o.stream_seq, o.chain, o.event_hash, o.recorded_at, o.dup
        FROM unnest(o_seq, o_stream_seq, o_chain, o_event_hash, o_at, o_dup) WITH ORDINALITY
             AS o(seq, stream_seq, chain, event_hash, recorded_at, dup, ord)
        ORDER BY o.ord;
END
$fn$;

-- One event: a batch of one.
CREATE OR REPLACE FUNCTION sealbook.append_event(p_body bytea, p_sig bytea)
RETURNS TABLE (r_seq bigint, r_stream_seq bigint, r_chain_hash bytea, r_event_hash bytea, r_recorded_at timestamptz, r_duplicate boolean)
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT * FROM sealbook.append_events(ARRAY[p_body], ARRAY[p_sig])
$fn$;
