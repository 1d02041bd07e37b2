-- Sealbook ledger schema, version 2: the batch append, set-based.
-- Applied by `sealbook init` after 0001_ledger.sql (or on its next run, for a ledger made with
-- version 1 only) and recorded in sealbook.schema_version. It adds one composite type
-- (sealbook.parsed_event, used inside append_events) and replaces three functions; the tables,
-- the triggers, the owners and the privileges of version 1 stay as they are (CREATE OR REPLACE
-- keeps a function's owner and grants).
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
    IF NEW.seq = OLD.seq + 1 THEN
        -- One step (every single append): one row to look at.
        SELECT count(*), coalesce(bool_and(e.chain_hash = NEW.chain_hash), false),
               coalesce(bool_and(e.chain_hash = sha256(convert_to(E'sealbook.chain.v1\n', 'UTF8') || int8send(e.seq)
                                                       || OLD.chain_hash || e.event_hash)), false)
            INTO v_rows, v_last_ok, v_links_ok
            FROM sealbook.events e WHERE e.seq = NEW.seq;
    ELSE
        -- Several steps (a batch): every link from OLD.chain_hash to the last row.
        SELECT count(*), coalesce(bool_and(s.link_ok), false), coalesce(bool_or(s.seq = NEW.seq AND s.chain_hash = NEW.chain_hash), false)
            INTO v_rows, v_links_ok, v_last_ok
            FROM (SELECT e.seq, e.chain_hash,
                         e.chain_hash = sha256(convert_to(E'sealbook.chain.v1\n', 'UTF8') || int8send(e.seq)
                                               || coalesce(lag(e.chain_hash) OVER (ORDER BY e.seq), OLD.chain_hash)
                                               || e.event_hash) AS link_ok
                    FROM sealbook.events e
                    WHERE e.seq > OLD.seq AND e.seq <= NEW.seq) s;
    END IF;
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

-- The members of a body that the append path reads (step 3 of docs/FORMAT.md 9.4), in the order
-- in which it reads them.
CREATE TYPE sealbook.parsed_event AS (
    body_json    jsonb,
    stream       text,
    stream_seq   bigint,
    type         text,
    actor        text,
    key_id       text,
    idem         text,
    stream_prev  bytea,
    claimed_time timestamptz
);

-- A batch: many events, one statement, one transaction, one lock of the head. All or nothing.
-- Events are checked in order; event i sees the log as events 1 .. i-1 of the batch left it
-- (their streams' positions, their idempotency keys, the keys they enrolled or revoked, the
-- ledger id of a genesis), so the first event that fails decides the error, as if each had been
-- appended by itself in turn.
--
-- Written for a small per-call cost: PL/pgSQL prepares each expression it evaluates once per
-- transaction, so the loop keeps few of them (one composite value per parsed event and per new
-- row rather than one array per member); and its statements use generic plans, because with
-- custom plans the ones over arrays and seq ranges (the INSERT from unnest, the result, the head
-- trigger's check) were planned again on every call.
CREATE OR REPLACE FUNCTION sealbook.append_events(p_bodies bytea[], p_sigs bytea[])
RETURNS TABLE (r_seq bigint, r_stream_seq bigint, r_chain_hash bytea, r_event_hash bytea, r_recorded_at timestamptz, r_duplicate boolean)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
    n integer := coalesce(array_length(p_bodies, 1), 0);
    v_chain_prefix constant bytea := convert_to(E'sealbook.chain.v1\n', 'UTF8');
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

-- One event: a batch of one.
CREATE OR REPLACE FUNCTION sealbook.append_event(p_body bytea, p_sig bytea)
RETURNS TABLE (r_seq bigint, r_stream_seq bigint, r_chain_hash bytea, r_event_hash bytea, r_recorded_at timestamptz, r_duplicate boolean)
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT * FROM sealbook.append_events(ARRAY[p_body], ARRAY[p_sig])
$fn$;

ALTER TYPE sealbook.parsed_event OWNER TO sealbook_owner;
