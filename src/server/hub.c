#include "server/hub.h"

#include "server/group.h"
#include "server/commit.h"

#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "server/hub_caps.h"
#include "server/hub_writer.h"
#include "server/sse_frame.h"

/* Catch-up reads at most this many log entries, or this many bytes of visible
 * events, per turn, so that the app lock is held briefly and a resume from
 * index 0 of a long log needs no more memory than a live stream. */
#define CATCHUP_MAX_ENTRIES 2048
#define CATCHUP_MAX_BYTES (64 * 1024)
#define STREAM_BLOCK_SIZE (2 * 1024) /* per stream, allocated by libmicrohttpd with the response: memory per idle subscriber */

struct hub {
	struct app *app;
	int direct_ok;             /* TANSIQD_SSE_DIRECT=0 turns direct sends off (tests of the other path) */
	struct hub_caps *caps;
	struct sse_frame *hello;
	struct hub_writers ws;
	struct {
		hub_listener_fn fn;
		void *ctx;
	} listeners[HUB_LISTENERS_MAX];
};

/* ---- publication: called after each commit, under the app lock -------------- */

static void hub_sink(void *ctx, uint64_t index, const char *type, const char *track, const char *audience,
		     const char *leaf, size_t leaf_len)
{
	struct hub *h = ctx;
	/* Listeners change only under the app lock, which the caller holds. */
	for (int i = 0; i < HUB_LISTENERS_MAX; i++)
		if (h->listeners[i].fn)
			h->listeners[i].fn(h->listeners[i].ctx, index, type, track, audience, leaf, leaf_len);
	hub_writers_publish(&h->ws, index, type, track, audience, leaf, leaf_len);
}

/* ---- catch-up from the store ------------------------------------------------ */

struct catchup {
	struct hub_sub *sub;
	char *buf;
	size_t len, cap;
	uint64_t last;           /* last index scanned */
	int scanned, oom;
};

static int catchup_visit(void *ctx, const struct store_event *e)
{
	struct catchup *c = ctx;
	c->last = e->index;
	c->scanned = 1;
	if (!hub_sub_wants(c->sub, e->track, e->audience))
		return 0;
	struct sse_frame *rec = sse_frame_event(e->index, e->type, (const char *)e->leaf, e->leaf_len);
	size_t n = rec ? sse_frame_len(rec) : 0;
	if (rec && c->len + n > c->cap) {
		size_t cap = c->len + n + CATCHUP_MAX_BYTES;
		char *grown = realloc(c->buf, cap);
		if (grown) {
			c->buf = grown;
			c->cap = cap;
		}
	}
	if (!rec || c->len + n > c->cap) {
		sse_frame_unref(rec);
		c->oom = 1;
		return 1;
	}
	memcpy(c->buf + c->len, sse_frame_data(rec), n);
	c->len += n;
	sse_frame_unref(rec);
	return c->len >= CATCHUP_MAX_BYTES; /* enough for this turn */
}

/* Moves the next batch of stored events into the subscriber's queue; when the
 * store has nothing more, goes live. Holding the app lock here is what makes
 * the switch exact: every event below the log size has been handed to the
 * writers already (publishing happens at commit, under this lock) and is
 * skipped by them (its index is below s->next), and every later one will be
 * delivered, as this subscriber is live. Returns 0 or a tq_err. */
static int catch_up(struct hub_sub *s)
{
	struct app *a = s->hub->app;
	struct catchup c = {.sub = s};
	uint64_t size, from, to;
	int rc;

	group_lock_read(a); /* the log size is then the published one */
	pthread_mutex_lock(&s->mu);
	from = s->next;
	pthread_mutex_unlock(&s->mu);
	rc = store_log_size(a->store, &size);
	to = from < size ? (size - from > CATCHUP_MAX_ENTRIES ? from + CATCHUP_MAX_ENTRIES : size) : from;
	if (rc == TQ_OK && from < to)
		rc = store_event_scan(a->store, from, to, catchup_visit, &c);
	if (rc == TQ_OK && c.oom)
		rc = TQ_ENOMEM;
	struct sse_frame *batch = rc == TQ_OK && c.len ? sse_frame_bytes(c.buf, c.len) : NULL;
	if (rc == TQ_OK && c.len && !batch)
		rc = TQ_ENOMEM;
	pthread_mutex_lock(&s->mu);
	if (rc == TQ_OK) {
		if (batch && sse_queue_push(&s->q, batch))
			rc = TQ_ENOMEM;
		if (c.scanned)
			s->next = c.last + 1;
		if (s->next >= size)
			s->live = 1;
	}
	pthread_mutex_unlock(&s->mu);
	group_unlock(a);
	sse_frame_unref(batch);
	free(c.buf);
	return rc;
}

/* ---- the content reader ------------------------------------------------------ */

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct hub_sub *s = cls;
	struct hub *h = s->hub;
	(void)pos;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		if (sse_queue_pending(&s->q)) {
			size_t n = sse_queue_read(&s->q, out, max);
			pthread_mutex_unlock(&s->mu);
			return (ssize_t)n;
		}
		if (s->overflow) {
			pthread_mutex_unlock(&s->mu);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (atomic_load(&h->ws.closing)) {
			pthread_mutex_unlock(&s->mu);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (s->live)
			break;
		/* Lock order is app lock, then subscriber: let go to catch up. */
		pthread_mutex_unlock(&s->mu);
		if (catch_up(s) != TQ_OK)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		pthread_mutex_lock(&s->mu);
	}
	/* Nothing to send: park the connection until the hub has bytes for it.
	 * Returning 0 without suspending would make MHD call again at once (a busy
	 * loop). MHD calls this reader only once everything it read before was
	 * sent, so a parked connection has no bytes of ours in MHD's hands, and
	 * the hub may write to the socket itself. The flag and the suspension
	 * change together under s->mu, so a resume always follows the suspend it
	 * undoes, and hub_close (which sets closing before it looks at the flags)
	 * never misses a parked stream. */
	s->suspended = 1;
	MHD_suspend_connection(s->conn);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static void stream_free(void *cls)
{
	struct hub_sub *s = cls;
	hub_writers_remove(s);
	if (s->counted)
		hub_caps_give(s->hub->caps, s->who.user, s->addr);
	sse_queue_clear(&s->q);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int hub_subscribe(struct hub *h, struct MHD_Connection *conn, const struct hub_stream *p,
		  struct MHD_Response **out, const char **cap_detail)
{
	struct hub_sub *s = calloc(1, sizeof *s);
	const union MHD_ConnectionInfo *ci;
	struct MHD_Response *resp;
	int rc;

	*out = NULL;
	*cap_detail = "out of memory";
	if (!s)
		return TQ_ENOMEM;
	s->hub = h;
	s->conn = conn;
	s->who = *p->who;
	s->who.signature = s->who.signed_body = NULL; /* owned by the request */
	if (p->session) {
		memcpy(s->session, p->session, sizeof s->session);
		s->has_session = 1;
	}
	snprintf(s->addr, sizeof s->addr, "%s", p->address ? p->address : "");
	snprintf(s->track, sizeof s->track, "%s", p->track ? p->track : "");
	s->next = p->from;
	s->live = p->live;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	s->fd = ci ? ci->connect_fd : -1;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	s->direct = h->direct_ok && s->fd >= 0 && !(ci && ci->tls_session);
	pthread_mutex_init(&s->mu, NULL);
	sse_queue_init(&s->q);
	/* A first comment, so the client sees the stream open before any event. */
	if (sse_queue_push(&s->q, h->hello)) {
		stream_free(s);
		return TQ_ENOMEM;
	}
	if (atomic_load(&h->ws.closing)) {
		stream_free(s);
		*cap_detail = "the server is stopping";
		return TQ_EIO;
	}
	if ((rc = hub_caps_take(h->caps, s->who.user, s->addr, cap_detail))) {
		stream_free(s);
		return rc;
	}
	s->counted = 1;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK_SIZE, stream_read, s, stream_free);
	if (!resp) {
		stream_free(s); /* gives back the slot; s is not linked */
		return TQ_ENOMEM;
	}
	/* A direct stream is close-delimited, not chunked: the body is the SSE
	 * bytes themselves, so a writer may send them on the parked connection.
	 * Others (TLS, TANSIQD_SSE_DIRECT=0) keep libmicrohttpd's framing. */
	if (s->direct)
		MHD_set_response_options(resp, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT, MHD_RO_END);
	hub_writers_add(&h->ws, s);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	/* A stream may idle parked for ever (suspended connections do not time
	 * out), but one that has bytes to send and cannot send them is dropped. */
	MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)HUB_STALL_TIMEOUT_S);
	*out = resp;
	return TQ_OK;
}

/* ---- revocation -------------------------------------------------------------- */

struct revoke {
	struct hub *hub;
	char user[40];
	uint8_t session[32];
	int by_session;
};

static int revoke_match(void *ctx, const struct hub_sub *s)
{
	const struct revoke *rv = ctx;
	return rv->by_session ? s->has_session && sodium_memcmp(s->session, rv->session, 32) == 0
			      : strcmp(s->who.user, rv->user) == 0;
}

/* After commit, under the app lock: every later event is published after
 * this, and a writer delivers nothing to a subscriber it finds cut off. */
static void revoke_run(void *ctx)
{
	struct revoke *rv = ctx;
	hub_writers_cut(&rv->hub->ws, revoke_match, rv);
}

static void revoke_schedule(struct app *a, struct commit *c, const char *user, const uint8_t *session)
{
	struct hub *h = hub_of(a);
	struct revoke *rv;
	if (!h || !(rv = calloc(1, sizeof *rv)))
		return;
	rv->hub = h;
	if (session) {
		memcpy(rv->session, session, sizeof rv->session);
		rv->by_session = 1;
	} else if (user) {
		snprintf(rv->user, sizeof rv->user, "%s", user);
	}
	commit_after(c, revoke_run, rv, free);
}

void hub_revoke_user_after_commit(struct app *a, struct commit *c, const char *user)
{
	revoke_schedule(a, c, user, NULL);
}

void hub_revoke_session_after_commit(struct app *a, struct commit *c, const uint8_t session[32])
{
	revoke_schedule(a, c, NULL, session);
}

unsigned hub_stream_count(struct hub *h)
{
	return hub_caps_open(h->caps);
}

/* ---- listeners (the CoT gateway) ------------------------------------------------ */

int hub_listen(struct hub *h, hub_listener_fn fn, void *ctx)
{
	int rc = TQ_ENOMEM;
	group_lock_write(h->app);
	for (int i = 0; i < HUB_LISTENERS_MAX && rc; i++)
		if (!h->listeners[i].fn) {
			h->listeners[i].fn = fn;
			h->listeners[i].ctx = ctx;
			rc = TQ_OK;
		}
	group_unlock(h->app);
	return rc;
}

void hub_unlisten(struct hub *h, hub_listener_fn fn, void *ctx)
{
	group_lock_write(h->app);
	for (int i = 0; i < HUB_LISTENERS_MAX; i++)
		if (h->listeners[i].fn == fn && h->listeners[i].ctx == ctx)
			h->listeners[i].fn = NULL;
	group_unlock(h->app);
}

/* ---- life cycle ---------------------------------------------------------------- */

int hub_start(struct app *a, const struct hub_limits *limits)
{
	static const char hello[] = ": tansiq event stream\n\n";
	struct hub *h = calloc(1, sizeof *h);
	const char *env = getenv("TANSIQD_SSE_HEARTBEAT_MS"), *direct = getenv("TANSIQD_SSE_DIRECT");
	const char *writers_env = getenv("TANSIQD_SSE_WRITERS");
	struct hub_limits l = {0};
	long heartbeat_ms = HUB_HEARTBEAT_MS;
	/* One writer per CPU: a pass's sends are nearly all kernel time, which parallelises. */
	long writers = writers_env ? atol(writers_env) : sysconf(_SC_NPROCESSORS_ONLN);
	writers = writers < 1 ? 1 : writers > HUB_WRITERS_MAX ? HUB_WRITERS_MAX : writers;
	int rc;
	if (!h)
		return TQ_ENOMEM;
	h->app = a;
	if (limits)
		l = *limits;
	h->caps = hub_caps_new(l.max_streams ? l.max_streams : HUB_DEFAULT_MAX_STREAMS,
			       l.streams_per_user ? l.streams_per_user : HUB_DEFAULT_STREAMS_PER_USER,
			       l.streams_per_address ? l.streams_per_address : HUB_DEFAULT_STREAMS_PER_ADDRESS);
	h->hello = sse_frame_bytes(hello, sizeof hello - 1);
	if (env && atol(env) >= 100 && atol(env) <= 3600000)
		heartbeat_ms = atol(env);
	h->direct_ok = !(direct && strcmp(direct, "0") == 0);
	rc = !h->caps || !h->hello ? TQ_ENOMEM : hub_writers_start(&h->ws, heartbeat_ms, (int)writers);
	if (rc) {
		hub_caps_free(h->caps);
		sse_frame_unref(h->hello);
		free(h);
		return rc;
	}
	group_lock_read(a);
	a->sink = hub_sink;
	a->sink_ctx = h;
	group_unlock(a);
	return TQ_OK;
}

struct hub *hub_of(struct app *a)
{
	return a->sink == hub_sink ? a->sink_ctx : NULL;
}

void hub_close(struct app *a)
{
	struct hub *h = hub_of(a);
	/* Every parked stream is resumed before this returns: the daemon must not
	 * stop with suspended connections. */
	if (h)
		hub_writers_unpark_all(&h->ws);
}

void hub_free(struct app *a)
{
	struct hub *h = hub_of(a);
	if (!h)
		return;
	group_lock_read(a); /* what was committed is published first */
	a->sink = NULL;
	a->sink_ctx = NULL;
	group_unlock(a);
	/* The daemon has stopped: every response, and so every subscriber, is gone. */
	hub_writers_stop(&h->ws);
	hub_caps_free(h->caps);
	sse_frame_unref(h->hello);
	free(h);
}
