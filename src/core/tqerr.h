/*
 * tqerr — the one error vocabulary of tansiq.
 *
 * Every function that can fail returns 0 (TQ_OK) or a negative tq_err.
 * The HTTP layer maps each code to a status and a problem type in one place
 * (server/http.c); nothing else in the code invents status numbers.
 */
#ifndef TQ_TQERR_H
#define TQ_TQERR_H

#define TQ_MUST_USE __attribute__((warn_unused_result))

typedef enum tq_err {
	TQ_OK = 0,
	TQ_EMALFORMED = -1,    /* 400: not JSON, wrong type, missing field */
	TQ_EAUTH = -2,         /* 401: no or unknown credentials */
	TQ_EFORBIDDEN = -3,    /* 403: visible, but not allowed for this role/party */
	TQ_ENOTFOUND = -4,     /* 404: unknown or invisible */
	TQ_ECONFLICT = -5,     /* 409: state conflict, stale version, key reuse */
	TQ_ETOOBIG = -6,       /* 413 */
	TQ_EINVALID = -7,      /* 422: well-formed but invalid */
	TQ_ENOMEM = -8,        /* 500 */
	TQ_EIO = -9,           /* 500: store or system failure */
	TQ_EINTERNAL = -10,    /* 500: broken invariant */
	TQ_ERATE = -11,        /* 429 */
	TQ_EMETHOD = -12,      /* 405 */
	TQ_EMEDIA = -13,       /* 415 */
	TQ_EUNAVAIL = -14,     /* 503: the store (database) is unreachable; retry */
} tq_err;

/* A short English name for the code, e.g. "invalid". Never NULL. */
const char *tq_err_name(int err);
/* The reason phrase of an HTTP status this API answers (RFC 9110), e.g.
 * "Unprocessable Content" for 422; NULL for any other status. The server's
 * problem titles and the CLI's error lines both use it. */
const char *tq_status_title(int status);

#endif
