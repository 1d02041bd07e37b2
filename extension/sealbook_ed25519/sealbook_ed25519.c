/*
 * sealbook_ed25519: Ed25519 signature verification inside PostgreSQL, through libsodium.
 *
 *   sealbook_ed25519.ed25519_verify(public_key bytea, message bytea, signature bytea) RETURNS boolean
 *
 * True when `signature` is a valid detached Ed25519 signature of `message` under `public_key`,
 * by libsodium's crypto_sign_verify_detached: the same function, and so the same acceptance
 * policy (docs/FORMAT.md section 8), as the Swift verifier of `sealbook verify`. False for
 * anything else, including a public key that is not exactly 32 bytes or a signature that is not
 * exactly 64 bytes: the lengths are checked before libsodium is called, since libsodium reads
 * exactly 32 and 64 bytes from those pointers and must never read past a buffer. NULL in, NULL
 * out (STRICT). The function keeps no state and reads nothing but its arguments: IMMUTABLE,
 * PARALLEL SAFE.
 *
 * Built with PGXS against libsodium (see README.md in this folder); sealbook's append path
 * (schemas/postgres/0003_signature_and_time.sql) calls it through sealbook.verify_signature,
 * which `sealbook init` points at this function.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include <sodium.h>

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(sealbook_ed25519_verify);

void _PG_init(void);

/* Once per backend, when the library is loaded. sodium_init() picks the implementations for the
 * CPU and is safe to call again; a failure (no entropy source: it never happens on Linux with
 * getrandom) makes the library refuse to load, so no check ever runs uninitialised. */
void
_PG_init(void)
{
    if (sodium_init() < 0)
        ereport(ERROR,
                (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
                 errmsg("sealbook_ed25519: sodium_init() failed")));
}

Datum
sealbook_ed25519_verify(PG_FUNCTION_ARGS)
{
    /* _PP: packed (short-header) varlenas are fine; no copy unless the value is compressed or
     * stored out of line, which detoasting undoes. */
    bytea      *public_key = PG_GETARG_BYTEA_PP(0);
    bytea      *message = PG_GETARG_BYTEA_PP(1);
    bytea      *signature = PG_GETARG_BYTEA_PP(2);
    bool        ok;

    if (VARSIZE_ANY_EXHDR(public_key) != crypto_sign_PUBLICKEYBYTES ||
        VARSIZE_ANY_EXHDR(signature) != crypto_sign_BYTES)
        PG_RETURN_BOOL(false);

    ok = crypto_sign_verify_detached((const unsigned char *) VARDATA_ANY(signature),
                                     (const unsigned char *) VARDATA_ANY(message),
                                     (unsigned long long) VARSIZE_ANY_EXHDR(message),
                                     (const unsigned char *) VARDATA_ANY(public_key)) == 0;

    PG_FREE_IF_COPY(public_key, 0);
    PG_FREE_IF_COPY(message, 1);
    PG_FREE_IF_COPY(signature, 2);
    PG_RETURN_BOOL(ok);
}
