-- sealbook_ed25519 1.1: installed by CREATE EXTENSION sealbook_ed25519 (sealbook init does it).
-- Version 1.0's function, unchanged, and the RFC 6962 tree folds.
\echo Use "CREATE EXTENSION sealbook_ed25519" to load this file. \quit

-- True when signature is a valid Ed25519 signature of message under public_key (libsodium
-- crypto_sign_verify_detached); false for a public key other than 32 bytes or a signature other
-- than 64 bytes. See sealbook_ed25519.c.
CREATE FUNCTION ed25519_verify(public_key bytea, message bytea, signature bytea)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sealbook_ed25519_verify'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION ed25519_verify(bytea, bytea, bytea) IS
    'Ed25519 detached-signature check by libsodium crypto_sign_verify_detached (sealbook_ed25519)';

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
