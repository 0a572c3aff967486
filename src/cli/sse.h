/*
 * sse — `tansiq watch`: follows the Server-Sent Events stream and prints each
 * event, reconnecting with Last-Event-ID after a dropped connection so that
 * no event is lost or printed twice (the server promises both on resume).
 *
 * The parser (sse_feed) follows the WHATWG event-stream rules: lines end in
 * LF, CRLF or CR; "data" lines join with LF; "id" sets the last event id;
 * ":" lines are comments; a blank line dispatches. Each event is capped at
 * SSE_MAX_EVENT bytes; a bigger one is a protocol error.
 */
#ifndef TQ_CLI_SSE_H
#define TQ_CLI_SSE_H

#include <stddef.h>
#include "core/tqerr.h"
#include "cli/cmd.h"

#define SSE_MAX_EVENT ((size_t)16 * 1024 * 1024)
#define SSE_MAX_ID 64

struct sse_event {
	const char *id;     /* last event id ("" if none yet); borrowed */
	const char *type;   /* "message" when the stream named none */
	const char *data;
	size_t data_len;
};

/* Called for each dispatched event; return non-zero to stop. */
typedef int (*sse_event_fn)(const struct sse_event *ev, void *arg);

struct sse_parser {
	char *line;           /* current line, owned */
	size_t line_len, line_cap;
	char *data;           /* data buffer of the current event, owned */
	size_t data_len, data_cap;
	char type[128];
	char last_id[SSE_MAX_ID + 1];
	long retry_ms;        /* last "retry" field, or -1 */
	int saw_cr;
	int error;            /* set when an event exceeded the cap */
	sse_event_fn on_event;
	void *arg;
};

void sse_init(struct sse_parser *p, sse_event_fn on_event, void *arg);
void sse_free(struct sse_parser *p);
/* Feeds bytes. Returns 0, 1 if on_event asked to stop, or -1 on a protocol error. */
TQ_MUST_USE int sse_feed(struct sse_parser *p, const char *buf, size_t len);
/* Forgets a partial event (after a dropped connection); keeps last_id. */
void sse_reset(struct sse_parser *p);

/* `tansiq watch` (custom command of the log group table). */
int sse_cmd_watch(struct cli_ctx *ctx, const struct group_spec *g, const struct cmd_spec *c,
		  int argc, char **argv);

#endif
