/*
 * sealbook_ed25519: Ed25519 signature verification and the RFC 6962 tree folds inside
 * PostgreSQL, through libsodium.
 *
 *   ed25519_verify(public_key bytea, message bytea, signature bytea) RETURNS boolean   (1.0)
 *   rfc6962_fold(hashes bytea[]) RETURNS bytea                                         (1.1)
 *   rfc6962_leaf_fold(leaves bytea[]) RETURNS bytea                                    (1.1)
 *   rfc6962_folds(hashes bytea[], width integer) RETURNS bytea[]                       (1.1)
 *   rfc6962_leaf_folds(leaves bytea[], width integer) RETURNS bytea[]                  (1.1)
 *
 * ed25519_verify: true when `signature` is a valid detached Ed25519 signature of `message` under
 * `public_key`, by libsodium's crypto_sign_verify_detached: the same function, and so the same
 * acceptance policy (docs/FORMAT.md section 8), as the Swift verifier of `sealbook verify`. False
 * for anything else, including a public key that is not exactly 32 bytes or a signature that is
 * not exactly 64 bytes: the lengths are checked before libsodium is called, since libsodium reads
 * exactly 32 and 64 bytes from those pointers and must never read past a buffer.
 *
 * The folds compute RFC 6962 (RFC 9162 section 2.1) subtree hashes with libsodium's
 * crypto_hash_sha256, byte for byte as the plpgsql functions of schema 0004 do
 * (sealbook.merkle_fold_sql and friends, docs/FORMAT.md section 12), which stay the fallback:
 *   - rfc6962_fold: the root of 2^k hashes (k >= 0) given in order, pairs hashed level by level
 *     as SHA-256(0x01 || left || right); one hash is returned as it is;
 *   - rfc6962_leaf_fold: the same over the leaf hashes SHA-256(0x00 || leaf) of 2^k leaves (in
 *     Sealbook, event hashes: 256 of them make a stored level-8 node);
 *   - rfc6962_folds / rfc6962_leaf_folds: the roots of each run of `width` (a power of two)
 *     consecutive elements, for a count that is a positive multiple of `width`, in order: many
 *     stored nodes in one call (the build of the tree of an existing ledger).
 * An element of any length is hashed as it is (the SQL functions concatenate bytea); a NULL
 * element makes the root it belongs to NULL (as SQL's || and sha256 do). A count that is not a
 * power of two (or not a positive multiple of the width), a width that is not a power of two,
 * or an array of more than one dimension raises SQLSTATE SB060, as the plpgsql functions do.
 *
 * Every function is STRICT (NULL in, NULL out), keeps no state and reads nothing but its
 * arguments: IMMUTABLE, PARALLEL SAFE.
 *
 * Built with PGXS against libsodium (see the Makefile); sealbook's append path
 * (schemas/postgres/0003_signature_and_time.sql) calls ed25519_verify through
 * sealbook.verify_signature, and the tree (schemas/postgres/0004_merkle_tree.sql) calls the folds
 * through sealbook.merkle_fold, merkle_leaf_fold, merkle_folds and merkle_leaf_folds, which
 * `sealbook init` points at these functions.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include <sodium.h>

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(sealbook_ed25519_verify);
PG_FUNCTION_INFO_V1(sealbook_rfc6962_fold);
PG_FUNCTION_INFO_V1(sealbook_rfc6962_leaf_fold);
PG_FUNCTION_INFO_V1(sealbook_rfc6962_folds);
PG_FUNCTION_INFO_V1(sealbook_rfc6962_leaf_folds);

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

/* ---- RFC 6962 folds (1.1) ---------------------------------------------------------------- */

#define HASH_BYTES crypto_hash_sha256_BYTES
#define ERRCODE_SEALBOOK_TREE MAKE_SQLSTATE('S', 'B', '0', '6', '0')

/* SHA-256(prefix || a || b): one call over a stack buffer for the usual 32-byte inputs, the
 * multi-part API for any other length. b may be NULL (a leaf: prefix || a). */
static void
prefixed_hash(unsigned char *out, unsigned char prefix,
              const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
    if (alen == HASH_BYTES && (b == NULL || blen == HASH_BYTES))
    {
        unsigned char buf[1 + 2 * HASH_BYTES];
        size_t      n = 1 + HASH_BYTES;

        buf[0] = prefix;
        memcpy(buf + 1, a, HASH_BYTES);
        if (b != NULL)
        {
            memcpy(buf + 1 + HASH_BYTES, b, HASH_BYTES);
            n += HASH_BYTES;
        }
        crypto_hash_sha256(out, buf, n);
    }
    else
    {
        crypto_hash_sha256_state st;

        crypto_hash_sha256_init(&st);
        crypto_hash_sha256_update(&st, &prefix, 1);
        crypto_hash_sha256_update(&st, a, alen);
        if (b != NULL)
            crypto_hash_sha256_update(&st, b, blen);
        crypto_hash_sha256_final(&st, out);
    }
}

/* In place: the 2^k hashes at h (32 bytes each) become their root, at h. Reading pair i
 * (2i, 2i + 1) before writing i never overwrites a hash not yet read. */
static void
reduce_in_place(unsigned char *h, uint64 count)
{
    while (count > 1)
    {
        uint64      i;

        for (i = 0; i < count / 2; i++)
            prefixed_hash(h + i * HASH_BYTES, 0x01,
                          h + 2 * i * HASH_BYTES, HASH_BYTES, h + (2 * i + 1) * HASH_BYTES, HASH_BYTES);
        count /= 2;
    }
}

static inline bool
is_power_of_two(uint64 n)
{
    return n != 0 && (n & (n - 1)) == 0;
}

/* The elements of a one-dimensional bytea[] (detoasted, possibly short-header varlenas). */
typedef struct
{
    Datum      *values;
    bool       *nulls;
    int         count;
} Elements;

static Elements
elements_of(ArrayType *a, const char *fn)
{
    Elements    e;
    int16       typlen;
    bool        typbyval;
    char        typalign;

    if (ARR_NDIM(a) > 1)
        ereport(ERROR,
                (errcode(ERRCODE_SEALBOOK_TREE),
                 errmsg("%s: an array of %d dimensions, not one", fn, ARR_NDIM(a))));
    if (ARR_ELEMTYPE(a) != BYTEAOID)
        ereport(ERROR,
                (errcode(ERRCODE_DATATYPE_MISMATCH),
                 errmsg("%s: the array's elements are not bytea", fn)));
    get_typlenbyvalalign(BYTEAOID, &typlen, &typbyval, &typalign);
    deconstruct_array(a, BYTEAOID, typlen, typbyval, typalign, &e.values, &e.nulls, &e.count);
    return e;
}

/* The root of elements [first, first + width) into out (32 bytes), or false when one of them
 * is NULL. width is a power of two; scratch holds width hashes. A width of 1 without leaf
 * hashing is the element itself: the caller handles it (it may not be 32 bytes). */
static bool
group_root(const Elements *e, int first, int width, bool leaves, unsigned char *scratch, unsigned char *out)
{
    int         i;

    for (i = 0; i < width; i++)
        if (e->nulls[first + i])
            return false;
    if (leaves)
    {
        for (i = 0; i < width; i++)
        {
            bytea      *x = (bytea *) PG_DETOAST_DATUM_PACKED(e->values[first + i]);

            prefixed_hash(scratch + (uint64) i * HASH_BYTES, 0x00,
                          (const unsigned char *) VARDATA_ANY(x), VARSIZE_ANY_EXHDR(x), NULL, 0);
        }
        reduce_in_place(scratch, (uint64) width);
    }
    else
    {
        /* The first level from the elements as they are, then in place. */
        for (i = 0; i < width / 2; i++)
        {
            bytea      *l = (bytea *) PG_DETOAST_DATUM_PACKED(e->values[first + 2 * i]);
            bytea      *r = (bytea *) PG_DETOAST_DATUM_PACKED(e->values[first + 2 * i + 1]);

            prefixed_hash(scratch + (uint64) i * HASH_BYTES, 0x01,
                          (const unsigned char *) VARDATA_ANY(l), VARSIZE_ANY_EXHDR(l),
                          (const unsigned char *) VARDATA_ANY(r), VARSIZE_ANY_EXHDR(r));
        }
        reduce_in_place(scratch, (uint64) width / 2);
    }
    memcpy(out, scratch, HASH_BYTES);
    return true;
}

static bytea *
hash_bytea(const unsigned char *h)
{
    bytea      *r = (bytea *) palloc(VARHDRSZ + HASH_BYTES);

    SET_VARSIZE(r, VARHDRSZ + HASH_BYTES);
    memcpy(VARDATA(r), h, HASH_BYTES);
    return r;
}

/* rfc6962_fold and rfc6962_leaf_fold. */
static Datum
fold(FunctionCallInfo fcinfo, bool leaves, const char *fn)
{
    ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
    Elements    e = elements_of(a, fn);
    unsigned char root[HASH_BYTES];
    unsigned char *scratch;

    if (!is_power_of_two((uint64) e.count))
        ereport(ERROR,
                (errcode(ERRCODE_SEALBOOK_TREE),
                 errmsg("%s: %d hashes, not a power of two", fn, e.count)));
    if (!leaves && e.count == 1)
    {
        if (e.nulls[0])
            PG_RETURN_NULL();
        PG_RETURN_BYTEA_P((bytea *) PG_DETOAST_DATUM_COPY(e.values[0]));
    }
    scratch = (unsigned char *) palloc((Size) e.count * HASH_BYTES);
    if (!group_root(&e, 0, e.count, leaves, scratch, root))
        PG_RETURN_NULL();
    pfree(scratch);
    PG_RETURN_BYTEA_P(hash_bytea(root));
}

/* rfc6962_folds and rfc6962_leaf_folds. */
static Datum
folds(FunctionCallInfo fcinfo, bool leaves, const char *fn)
{
    ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
    int32       width = PG_GETARG_INT32(1);
    Elements    e = elements_of(a, fn);
    int         groups,
                g;
    Datum      *out;
    bool       *outnulls;
    unsigned char *scratch;
    int         dims[1];
    int         lbs[1] = {1};
    int16       typlen;
    bool        typbyval;
    char        typalign;

    if (width < 1 || !is_power_of_two((uint64) width) || e.count == 0 || e.count % width != 0)
        ereport(ERROR,
                (errcode(ERRCODE_SEALBOOK_TREE),
                 errmsg("%s: %d hashes, not a positive multiple of a power-of-two width %d", fn, e.count, width)));
    groups = e.count / width;
    out = (Datum *) palloc(sizeof(Datum) * groups);
    outnulls = (bool *) palloc(sizeof(bool) * groups);
    scratch = (unsigned char *) palloc((Size) width * HASH_BYTES);
    for (g = 0; g < groups; g++)
    {
        unsigned char root[HASH_BYTES];

        outnulls[g] = false;
        if (!leaves && width == 1)
        {
            if (e.nulls[g])
                outnulls[g] = true;
            else
                out[g] = PointerGetDatum(PG_DETOAST_DATUM_COPY(e.values[g]));
            continue;
        }
        if (group_root(&e, g * width, width, leaves, scratch, root))
            out[g] = PointerGetDatum(hash_bytea(root));
        else
            outnulls[g] = true;
    }
    pfree(scratch);
    dims[0] = groups;
    get_typlenbyvalalign(BYTEAOID, &typlen, &typbyval, &typalign);
    PG_RETURN_ARRAYTYPE_P(construct_md_array(out, outnulls, 1, dims, lbs, BYTEAOID, typlen, typbyval, typalign));
}

Datum
sealbook_rfc6962_fold(PG_FUNCTION_ARGS)
{
    return fold(fcinfo, false, "merkle_fold");
}

Datum
sealbook_rfc6962_leaf_fold(PG_FUNCTION_ARGS)
{
    return fold(fcinfo, true, "merkle_leaf_fold");
}

Datum
sealbook_rfc6962_folds(PG_FUNCTION_ARGS)
{
    return folds(fcinfo, false, "merkle_folds");
}

Datum
sealbook_rfc6962_leaf_folds(PG_FUNCTION_ARGS)
{
    return folds(fcinfo, true, "merkle_leaf_folds");
}
