-- sealbook_ed25519 1.0 -> 1.1: ALTER EXTENSION sealbook_ed25519 UPDATE (sealbook init does it for
-- a ledger made with 1.0). Adds the RFC 6962 tree folds; ed25519_verify stays as it was.
\echo Use "ALTER EXTENSION sealbook_ed25519 UPDATE TO '1.1'" to load this file. \quit

-- The RFC 6962 folds (libsodium crypto_hash_sha256), byte for byte as schema 0004's plpgsql
-- sealbook.merkle_fold_sql and friends (docs/FORMAT.md section 12); `sealbook init` points
-- sealbook.merkle_fold, merkle_leaf_fold, merkle_folds and merkle_leaf_folds at them. See
-- sealbook_ed25519.c: a count that is not a power of two (or a positive multiple of the width)
-- raises SB060; a NULL element makes its root NULL.
CREATE FUNCTION rfc6962_fold(hashes bytea[])
RETURNS bytea
AS 'MODULE_PATHNAME', 'sealbook_rfc6962_fold'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION rfc6962_leaf_fold(leaves bytea[])
RETURNS bytea
AS 'MODULE_PATHNAME', 'sealbook_rfc6962_leaf_fold'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION rfc6962_folds(hashes bytea[], width integer)
RETURNS bytea[]
AS 'MODULE_PATHNAME', 'sealbook_rfc6962_folds'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION rfc6962_leaf_folds(leaves bytea[], width integer)
RETURNS bytea[]
AS 'MODULE_PATHNAME', 'sealbook_rfc6962_leaf_folds'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION rfc6962_fold(bytea[]) IS
    'RFC 6962 root of 2^k hashes, SHA-256(0x01 || left || right) per pair, by libsodium (sealbook_ed25519)';
COMMENT ON FUNCTION rfc6962_leaf_fold(bytea[]) IS
    'RFC 6962 root of 2^k leaves, leaf hash SHA-256(0x00 || leaf), by libsodium (sealbook_ed25519)';
COMMENT ON FUNCTION rfc6962_folds(bytea[], integer) IS
    'RFC 6962 roots of each run of width (2^k) hashes, in order, by libsodium (sealbook_ed25519)';
COMMENT ON FUNCTION rfc6962_leaf_folds(bytea[], integer) IS
    'RFC 6962 roots of each run of width (2^k) leaves, in order, by libsodium (sealbook_ed25519)';
