/*
 * cli — shared state and exit codes of the `tansiq` command-line client.
 *
 * One struct cli_ctx lives in main() and is borrowed by every sub-command.
 * Exit codes are part of the CLI's contract (documented in `tansiq --help`):
 * scripts tell a usage mistake from a refusal by the server from an outage.
 */
#ifndef TQ_CLI_H
#define TQ_CLI_H

#include <stdbool.h>
#include <stddef.h>

#define CLI_DEFAULT_URL "http://127.0.0.1:8080"

enum cli_exit {
	CLI_OK = 0,
	CLI_ELOCAL = 1,   /* local failure: out of memory, cannot write a file */
	CLI_EUSAGE = 2,   /* bad command line or unreadable/invalid local input */
	CLI_ECLIENT = 3,  /* the server answered 4xx */
	CLI_ESERVER = 4,  /* the server answered 5xx, or network/TLS failure */
	CLI_EVERIFY = 5,  /* `tansiq verify` found a mismatch */
};

struct cli_ctx {
	const char *url;        /* base URL without trailing slash, e.g. http://127.0.0.1:8080 */
	const char *token;      /* bearer token or NULL */
	const char *cacert;     /* CA bundle for https, or NULL for the system store */
	const char *track;      /* default track (--track, TANSIQ_TRACK, config) or NULL */
	const char *idem_key;   /* Idempotency-Key for POSTs, or NULL */
	const char *if_match;   /* If-Match version, or NULL */
	long timeout_s;         /* whole-request timeout for non-streaming calls */
	bool json;              /* print the server's JSON instead of tables */
	bool verbose;
};

/* Consumes one global option at argv[*i] (and its value), advancing *i.
 * Returns 1 if consumed, 0 if argv[*i] is not a global option, or
 * -CLI_EUSAGE after printing a message. Lets users write options anywhere. */
int cli_global_opt(struct cli_ctx *ctx, int argc, char **argv, int *i);

/* Help text for the global options (printed by every sub-command's --help). */
extern const char cli_global_help[];

#endif
