/*
 * cot_session — one TAK client's session: who it is, and what its inbound
 * Cursor-on-Target means (api.md, Contract v1.1, TAK gateway; docs/tak.md).
 *
 * Identity: a connection acts as the user named by its certificate's CN (the
 * certificate was verified against the cell CA by cot_net), who must still
 * exist in the store: a deleted user's certificate is refused. A plain
 * connection (--cot-insecure) acts as the configured user.
 *
 * Inbound: events are framed (cot_frame) and parsed one by one. Pings are
 * answered; a GeoChat whose chat room is a track id becomes a hotline message
 * (to all, routine) by this user through api_hotline_post_as(), which does the
 * authorisation and validation of any API write; anything else is logged (the
 * first SESSION_IGNORED_LOG_MAX per connection) and dropped. An event that is
 * malformed, over COT_EVENT_MAX or has a DTD or entity closes the connection.
 */
#ifndef TQ_COT_SESSION_H
#define TQ_COT_SESSION_H

#include <sys/types.h>
#include "server/app.h"
#include "server/cot_net.h"

/* Ignored inbound events are logged, at most this many per connection. */
#define SESSION_IGNORED_LOG_MAX 3

struct cot_session {
	struct who who;
	int ignored; /* inbound events dropped so far */
};

/* Fills w with the user of that id (by_name = 0) or name. TQ_ENOTFOUND when
 * there is none; takes the app lock for reading. */
TQ_MUST_USE int cot_session_who(struct app *a, const char *id_or_name, int by_name, struct who *w);

/* The session of a connection just opened: cert (DER, len bytes) is its
 * verified certificate, or NULL for a plain connection, which acts as
 * *insecure. Returns owned (cot_session_free), or NULL when the connection
 * must be refused (logged). */
struct cot_session *cot_session_new(struct app *a, struct cot_conn *c, const unsigned char *cert, size_t len,
				    const struct who *insecure);
void cot_session_free(struct cot_session *s);

/* Handles every whole event of data (len bytes); returns how many bytes it
 * consumed, or -1 after closing the connection. What stays is at most one
 * unfinished event, under COT_EVENT_MAX. */
ssize_t cot_session_read(struct app *a, struct cot_conn *c, struct cot_session *s, const char *data, size_t len);

#endif
