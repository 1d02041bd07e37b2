-- sealbook_ed25519 1.0: installed by CREATE EXTENSION sealbook_ed25519 (sealbook init does it).
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
