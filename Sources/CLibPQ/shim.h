#ifndef SEALBOOK_CLIBPQ_SHIM_H
#define SEALBOOK_CLIBPQ_SHIM_H
#include <libpq-fe.h>

/* Swift cannot import these macros from postgres_ext.h; re-export them as constants. */
static const int SB_PG_DIAG_SEVERITY = 'S';
static const int SB_PG_DIAG_SQLSTATE = 'C';
static const int SB_PG_DIAG_MESSAGE_PRIMARY = 'M';
static const int SB_PG_DIAG_MESSAGE_DETAIL = 'D';
static const int SB_PG_DIAG_MESSAGE_HINT = 'H';
static const int SB_PG_DIAG_CONSTRAINT_NAME = 'n';
#endif
