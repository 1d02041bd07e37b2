-- Sealbook ledger schema, version 4: the RFC 6962 Merkle tree over the log, and checkpoints.
-- Applied by `sealbook init` after 0003 (or on its next run, for an older ledger) and recorded in
-- sealbook.schema_version. docs/FORMAT.md section 12 is the contract; in short:
--   * leaf i (0-based) is the eventHash of seq i + 1; leaf hash SHA-256(0x00 || eventHash), node
--     hash SHA-256(0x01 || left || right);
--   * sealbook.tree_nodes keeps the complete subtrees whose level is a multiple of 8 (as the
--     entries of C2SP tlog-tiles tiles): node (8t, i) is the root of leaves [i*2^(8t), (i+1)*2^(8t)).
--     Level 0 is not stored: a leaf hash comes from events.event_hash. Any other node, and so
--     any root or proof, is a fold of at most 128 stored nodes (or event hashes) per level band;
--   * the head's move (every append, in the same transaction) inserts the nodes that the new
--     entries complete: one level-8 node per 256 entries, one level-16 node per 65,536, ...;
--   * sealbook.checkpoints keeps the signed checkpoints (C2SP tlog-checkpoint notes) of the log.
-- Both tables are append-only like the log. This file also builds the tree of the entries a
-- ledger already holds.

CREATE TABLE sealbook.tree_nodes (
    level smallint NOT NULL CHECK (level > 0 AND level % 8 = 0),
    idx   bigint   NOT NULL CHECK (idx >= 0),
    hash  bytea    NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE TABLE sealbook.checkpoints (
    size        bigint      PRIMARY KEY CHECK (size >= 1),
    root        bytea       NOT NULL CHECK (octet_length(root) = 32),
    note        text        NOT NULL,
    key_id      text        NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TRIGGER tree_nodes_append_only BEFORE UPDATE OR DELETE ON sealbook.tree_nodes
    FOR EACH ROW EXECUTE FUNCTION sealbook.refuse_change();
CREATE TRIGGER tree_nodes_no_truncate BEFORE TRUNCATE ON sealbook.tree_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION sealbook.refuse_change();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON sealbook.checkpoints
    FOR EACH ROW EXECUTE FUNCTION sealbook.refuse_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON sealbook.checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION sealbook.refuse_change();
ALTER TABLE sealbook.tree_nodes ENABLE ALWAYS TRIGGER tree_nodes_append_only;
ALTER TABLE sealbook.tree_nodes ENABLE ALWAYS TRIGGER tree_nodes_no_truncate;
ALTER TABLE sealbook.checkpoints ENABLE ALWAYS TRIGGER checkpoints_append_only;
ALTER TABLE sealbook.checkpoints ENABLE ALWAYS TRIGGER checkpoints_no_truncate;

-- The RFC 6962 root of 2^k hashes (k >= 0) given in order: pairs are hashed level by level.
CREATE FUNCTION sealbook.merkle_fold(p_hashes bytea[]) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    h bytea[] := p_hashes;
    n integer := coalesce(array_length(p_hashes, 1), 0);
BEGIN
    IF n = 0 OR (n & (n - 1)) <> 0 THEN
        RAISE EXCEPTION 'merkle_fold: % hashes, not a power of two', n USING ERRCODE = 'SB060';
    END IF;
    WHILE n > 1 LOOP
        h := ARRAY(SELECT sha256('\x01'::bytea || h[2 * k - 1] || h[2 * k]) FROM generate_series(1, n / 2) AS k ORDER BY k);
        n := n / 2;
    END LOOP;
    RETURN h[1];
END
$fn$;

-- Inserts the stored nodes that entries (p_from, p_to] complete, in order. A missing entry or
-- node below is an error (SB060): the tree is only ever extended over a gapless log.
CREATE FUNCTION sealbook.extend_tree(p_from bigint, p_to bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    s bigint;
    lvl integer;
    i bigint;
    children bytea[];
BEGIN
    FOR s IN SELECT g FROM generate_series((p_from / 256 + 1) * 256, p_to, 256) AS g LOOP
        lvl := 8;
        WHILE lvl <= 56 AND s % (1::bigint << lvl) = 0 LOOP
            i := s / (1::bigint << lvl) - 1;
            IF lvl = 8 THEN
                children := ARRAY(
                    SELECT sha256('\x00'::bytea || e.event_hash) FROM sealbook.events e
                    WHERE e.seq > i * 256 AND e.seq <= (i + 1) * 256 ORDER BY e.seq);
            ELSE
                children := ARRAY(
                    SELECT t.hash FROM sealbook.tree_nodes t
                    WHERE t.level = lvl - 8 AND t.idx >= i * 256 AND t.idx < (i + 1) * 256 ORDER BY t.idx);
            END IF;
            IF coalesce(array_length(children, 1), 0) <> 256 THEN
                RAISE EXCEPTION 'sealbook: the tree node (%, %) needs 256 children, found %', lvl, i,
                    coalesce(array_length(children, 1), 0) USING ERRCODE = 'SB060';
            END IF;
            INSERT INTO sealbook.tree_nodes (level, idx, hash) VALUES (lvl, i, sealbook.merkle_fold(children));
            lvl := lvl + 8;
        END LOOP;
    END LOOP;
END
$fn$;

-- Every move of the head extends the tree over the entries it adds, in the same transaction.
CREATE FUNCTION sealbook.head_extends_tree() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF NEW.seq / 256 > OLD.seq / 256 THEN
        PERFORM sealbook.extend_tree(OLD.seq, NEW.seq);
    END IF;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER head_extends_tree AFTER UPDATE ON sealbook.head
    FOR EACH ROW EXECUTE FUNCTION sealbook.head_extends_tree();
ALTER TABLE sealbook.head ENABLE ALWAYS TRIGGER head_extends_tree;

-- The hash of the complete subtree (p_level, p_idx): leaves [p_idx * 2^p_level, (p_idx + 1) * 2^p_level).
-- A fold of 2^(p_level % 8) stored nodes of level 8 * (p_level / 8), or of leaf hashes.
CREATE FUNCTION sealbook.tree_node(p_level integer, p_idx bigint) RETURNS bytea
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    band integer := (p_level / 8) * 8;
    width bigint := 1::bigint << (p_level - band);
    children bytea[];
BEGIN
    IF band = 0 THEN
        children := ARRAY(
            SELECT sha256('\x00'::bytea || e.event_hash) FROM sealbook.events e
            WHERE e.seq > p_idx * width AND e.seq <= (p_idx + 1) * width ORDER BY e.seq);
    ELSE
        children := ARRAY(
            SELECT t.hash FROM sealbook.tree_nodes t
            WHERE t.level = band AND t.idx >= p_idx * width AND t.idx < (p_idx + 1) * width ORDER BY t.idx);
    END IF;
    IF coalesce(array_length(children, 1), 0) <> width THEN
        RAISE EXCEPTION 'sealbook: the tree node (%, %) needs % nodes of level %, found %', p_level, p_idx, width, band,
            coalesce(array_length(children, 1), 0) USING ERRCODE = 'SB060';
    END IF;
    RETURN sealbook.merkle_fold(children);
END
$fn$;

-- The RFC 6962 root of the first p_size entries: the complete subtrees of p_size, largest first,
-- folded from the right.
CREATE FUNCTION sealbook.tree_root(p_size bigint) RETURNS bytea
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    nodes bytea[] := '{}';
    start bigint := 0;
    r bytea;
BEGIN
    IF p_size = 0 THEN
        RETURN sha256(''::bytea);
    END IF;
    FOR b IN REVERSE 62 .. 0 LOOP
        IF (p_size >> b) & 1 = 1 THEN
            nodes := nodes || sealbook.tree_node(b, start >> b);
            start := start + (1::bigint << b);
        END IF;
    END LOOP;
    r := nodes[array_length(nodes, 1)];
    FOR j IN REVERSE array_length(nodes, 1) - 1 .. 1 LOOP
        r := sha256('\x01'::bytea || nodes[j] || r);
    END LOOP;
    RETURN r;
END
$fn$;

-- The ledger's checkpoint origin (docs/FORMAT.md §12.2): the genesis's data.origin when it names
-- one, else sealbook.ledger/<ledger id>/<the first 8 bytes of the genesis eventHash in hex>.
CREATE FUNCTION sealbook.origin() RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT coalesce(e.body_json->'data'->>'origin',
                    'sealbook.ledger/' || (e.body_json->>'ledger') || '/' || encode(substr(e.event_hash, 1, 8), 'hex'))
    FROM sealbook.events e WHERE e.seq = 1
$fn$;

-- Stores a signed checkpoint (a C2SP tlog-checkpoint note) after checking it against the log:
-- its origin is the ledger's, its size at most the head, its root the tree's at that size, and
-- one of its signatures is by a key with role `log`, enrolled and not revoked, that verifies.
-- The same checkpoint again changes nothing; another root for a stored size is refused (SB061).
CREATE FUNCTION sealbook.add_checkpoint(p_note text)
RETURNS TABLE (r_size bigint, r_root bytea, r_key_id text, r_duplicate boolean)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    split integer := position(E'\n\n' in p_note);
    body text;
    lines text[];
    v_size bigint;
    v_root bytea;
    v_head bigint;
    sig_line text;
    payload bytea;
    k sealbook.keys%ROWTYPE;
    v_key text;
    existing bytea;
BEGIN
    IF split = 0 THEN
        RAISE EXCEPTION 'checkpoint: no blank line between the text and the signatures' USING ERRCODE = 'SB062';
    END IF;
    body := substr(p_note, 1, split);
    lines := string_to_array(body, E'\n');
    IF array_length(lines, 1) < 4 OR lines[2] !~ '^(0|[1-9][0-9]{0,18})$' THEN
        RAISE EXCEPTION 'checkpoint: the text must be origin, size and root lines' USING ERRCODE = 'SB062';
    END IF;
    IF lines[1] IS DISTINCT FROM sealbook.origin() THEN
        RAISE EXCEPTION 'checkpoint: origin "%" is not this ledger''s origin "%"', lines[1], sealbook.origin()
            USING ERRCODE = 'SB062';
    END IF;
    v_size := lines[2]::bigint;
    BEGIN
        v_root := decode(lines[3], 'base64');
    EXCEPTION WHEN OTHERS THEN
        v_root := NULL;
    END;
    IF v_root IS NULL OR octet_length(v_root) <> 32 THEN
        RAISE EXCEPTION 'checkpoint: the root line is not 32 bytes in base64' USING ERRCODE = 'SB062';
    END IF;
    SELECT h.seq INTO v_head FROM sealbook.head h WHERE h.id;
    IF v_size < 1 OR v_size > v_head THEN
        RAISE EXCEPTION 'checkpoint: size % is outside the log, which holds 1...%', v_size, v_head USING ERRCODE = 'SB062';
    END IF;
    IF v_root <> sealbook.tree_root(v_size) THEN
        RAISE EXCEPTION 'checkpoint: the root is not the root of the log''s first % entries', v_size USING ERRCODE = 'SB061';
    END IF;
    FOREACH sig_line IN ARRAY string_to_array(substr(p_note, split + 2), E'\n') LOOP
        CONTINUE WHEN sig_line = '' OR sig_line NOT LIKE E'\u2014 % %';
        BEGIN
            payload := decode(split_part(substr(sig_line, 3), ' ', 2), 'base64');
        EXCEPTION WHEN OTHERS THEN
            CONTINUE;
        END;
        CONTINUE WHEN octet_length(payload) <> 68;
        FOR k IN SELECT * FROM sealbook.keys x
                 WHERE 'log' = ANY (x.roles) AND x.revoked_seq IS NULL
                   AND substr(sha256(convert_to(split_part(substr(sig_line, 3), ' ', 1), 'UTF8') || '\x0a01'::bytea || x.public_key), 1, 4)
                       = substr(payload, 1, 4) LOOP
            IF sealbook.verify_signature(k.public_key, convert_to(body, 'UTF8'), substr(payload, 5)) THEN
                v_key := k.key_id;
            END IF;
        END LOOP;
        EXIT WHEN v_key IS NOT NULL;
    END LOOP;
    IF v_key IS NULL THEN
        RAISE EXCEPTION 'checkpoint: no signature verifies under a key with role log, enrolled and not revoked'
            USING ERRCODE = 'SB063';
    END IF;
    SELECT c.root INTO existing FROM sealbook.checkpoints c WHERE c.size = v_size;
    IF FOUND THEN
        IF existing <> v_root THEN
            RAISE EXCEPTION 'checkpoint: size % was checkpointed with another root', v_size USING ERRCODE = 'SB061';
        END IF;
        RETURN QUERY SELECT v_size, v_root, v_key, true;
        RETURN;
    END IF;
    INSERT INTO sealbook.checkpoints (size, root, note, key_id) VALUES (v_size, v_root, p_note, v_key);
    RETURN QUERY SELECT v_size, v_root, v_key, false;
END
$fn$;

-- The tree of the entries already in the log.
SELECT sealbook.extend_tree(0, (SELECT seq FROM sealbook.head WHERE id));

ALTER TABLE sealbook.tree_nodes OWNER TO sealbook_owner;
ALTER TABLE sealbook.checkpoints OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.merkle_fold(bytea[]) OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.extend_tree(bigint, bigint) OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.head_extends_tree() OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.tree_node(integer, bigint) OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.tree_root(bigint) OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.origin() OWNER TO sealbook_owner;
ALTER FUNCTION sealbook.add_checkpoint(text) OWNER TO sealbook_owner;
REVOKE ALL ON sealbook.tree_nodes, sealbook.checkpoints FROM PUBLIC;
REVOKE ALL ON FUNCTION sealbook.merkle_fold(bytea[]), sealbook.extend_tree(bigint, bigint),
    sealbook.head_extends_tree(), sealbook.tree_node(integer, bigint), sealbook.tree_root(bigint),
    sealbook.origin(), sealbook.add_checkpoint(text) FROM PUBLIC;
GRANT SELECT ON sealbook.tree_nodes, sealbook.checkpoints TO sealbook_writer, sealbook_auditor;
-- tree_node and tree_root run with the caller's rights and fold with merkle_fold (pure): a
-- read-only login (a witness, an auditor) computes roots and proofs.
GRANT EXECUTE ON FUNCTION sealbook.merkle_fold(bytea[]), sealbook.tree_node(integer, bigint), sealbook.tree_root(bigint),
    sealbook.origin() TO sealbook_writer, sealbook_auditor;
GRANT EXECUTE ON FUNCTION sealbook.add_checkpoint(text) TO sealbook_writer;
