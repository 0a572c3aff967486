#include "server/hub.h"

#include "server/group.h"
#include "server/commit.h"

#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "server/auth.h"
#include "server/tally.h"

/* Catch-up reads at most this many log entries, or this many bytes of visible
 * events, per turn, so that the app lock is held briefly and a resume from
 * index 0 of a long log needs no more memory than a live stream. */
#define CATCHUP_MAX_ENTRIES 2048
#define CATCHUP_MAX_BYTES (64 * 1024)
#define STREAM_BLOCK_SIZE (4 * 1024) /* per stream, allocated by libmicrohttpd: memory per idle subscriber */
/* An idle subscriber keeps a drained buffer up to this size. */
#define SUB_BUFFER_KEEP 4096

struct hub_sub {
	struct hub *hub;
	struct MHD_Connection *conn;
	int fd;                   /* the connection's socket, to cut off an overflowing client */
	struct who who;
	uint8_t session[32];      /* the console session, when has_session */
	int has_session;
	int counted;              /* holds a stream slot (given back in stream_free) */
	char addr[TALLY_KEY_MAX];
	char track[64];           /* "" = every track */
	uint64_t next;            /* index of the next event this subscriber may be sent */
	int live;                 /* 0 while catching up from the store */
	int suspended;            /* the connection is suspended, waiting for bytes */
	struct hub_sub *wake_next; /* on hub->wake_list: to be resumed by the hub thread */
	int overflow;             /* cut off: the client did not keep up */
	char *buf;                /* pending bytes: buf[off..len) */
	size_t off, len, cap;
	struct hub_sub *prev, *next_sub;
};

struct hub {
	struct app *app;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	pthread_t timer;
	int closing, stop;
	long heartbeat_ms;
	struct hub_sub *subs;
	/* Subscribers to resume, by the hub thread (never under the app lock). */
	struct hub_sub *wake_list;
	pthread_mutex_t resume_mu; /* held while a batch of resumes is in progress */
	struct hub_limits limits;
	unsigned nstreams;
	struct tally *by_user, *by_addr;
	struct {
		hub_listener_fn fn;
		void *ctx;
	} listeners[HUB_LISTENERS_MAX];
};

/* ---- subscriber buffers (hub->mu held) ------------------------------------ */

/* Queues a suspended subscriber for resumption (hub->mu held). The flag is
 * cleared here, under hub->mu, so exactly one resume follows each suspend; the
 * connection stays suspended, and so alive (libmicrohttpd neither polls nor
 * closes a suspended connection), until the hub thread resumes it. Resuming
 * costs a system call per connection: doing it on the hub thread keeps that
 * work off the app lock, which publication holds. */
static void wake(struct hub_sub *s)
{
	if (s->suspended) {
		s->suspended = 0;
		s->wake_next = s->hub->wake_list;
		s->hub->wake_list = s;
		pthread_cond_signal(&s->hub->cond);
	}
}

/* Resumes a detached batch (hub->mu not held; resume_mu held). */
static void resume_batch(struct hub_sub *list)
{
	while (list) {
		struct hub_sub *next = list->wake_next;
		MHD_resume_connection(list->conn);
		list = next;
	}
}

/* Cuts the subscriber off: its bytes are dropped and its socket shut down so
 * that MHD closes the connection even though the client is not reading (the
 * content reader is not called again while the socket is full). The fd is
 * still the connection's: MHD closes it only after destroying the response,
 * whose free callback unlinks the subscriber under hub->mu. */
static void cut_off(struct hub_sub *s)
{
	s->overflow = 1;
	free(s->buf);
	s->buf = NULL;
	s->off = s->len = s->cap = 0;
	if (s->fd >= 0)
		shutdown(s->fd, SHUT_RDWR);
	wake(s);
}

/* Appends bytes; cuts the subscriber off instead of growing past the cap. */
static void sub_append(struct hub_sub *s, const char *data, size_t n)
{
	if (s->overflow)
		return;
	if (s->len - s->off + n > HUB_SUB_BUFFER_MAX) {
		cut_off(s);
		return;
	}
	if (s->off > 0 && s->len + n > s->cap) {
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 1024;
		while (cap < s->len + n)
			cap *= 2;
		char *grown = realloc(s->buf, cap);
		if (!grown) {
			cut_off(s);
			return;
		}
		s->buf = grown;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
}

static int sub_wants(const struct hub_sub *s, const char *track, const char *audience)
{
	if (s->track[0] && (!track || strcmp(track, s->track) != 0))
		return 0;
	return auth_event_visible(&s->who, audience);
}

/* One SSE record: id = log index, event = type, data = the leaf bytes (compact
 * JSON on one line, as event_encode writes them). Returns owned. */
static char *record(uint64_t index, const char *type, const char *leaf, size_t leaf_len, size_t *out_len)
{
	char head[160];
	int h = snprintf(head, sizeof head, "id: %" PRIu64 "\nevent: %.64s\ndata: ", index, type);
	char *rec = malloc((size_t)h + leaf_len + 2);
	if (!rec)
		return NULL;
	memcpy(rec, head, (size_t)h);
	memcpy(rec + h, leaf, leaf_len);
	memcpy(rec + (size_t)h + leaf_len, "\n\n", 2);
	*out_len = (size_t)h + leaf_len + 2;
	return rec;
}

/* ---- the sink: called after each commit, under the app lock ---------------- */

static void hub_sink(void *ctx, uint64_t index, const char *type, const char *track, const char *audience,
		     const char *leaf, size_t leaf_len)
{
	struct hub *h = ctx;
	char *rec = NULL;
	size_t rec_len = 0;
	/* Listeners change only under the app lock, which the caller holds. */
	for (int i = 0; i < HUB_LISTENERS_MAX; i++)
		if (h->listeners[i].fn)
			h->listeners[i].fn(h->listeners[i].ctx, index, type, track, audience, leaf, leaf_len);
	pthread_mutex_lock(&h->mu);
	for (struct hub_sub *s = h->subs; s && !h->closing; s = s->next_sub) {
		/* A subscriber still catching up reads this event from the store later. */
		if (!s->live || index < s->next)
			continue;
		s->next = index + 1;
		if (s->overflow || !sub_wants(s, track, audience))
			continue;
		if (!rec && !(rec = record(index, type, leaf, leaf_len, &rec_len))) {
			cut_off(s); /* out of memory: the client resumes later without a gap */
			continue;
		}
		sub_append(s, rec, rec_len);
		wake(s);
	}
	pthread_mutex_unlock(&h->mu);
	free(rec);
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
	if (!sub_wants(c->sub, e->track, e->audience))
		return 0;
	size_t n;
	char *rec = record(e->index, e->type, (const char *)e->leaf, e->leaf_len, &n);
	if (rec && c->len + n > c->cap) {
		size_t cap = c->len + n + CATCHUP_MAX_BYTES;
		char *grown = realloc(c->buf, cap);
		if (grown) {
			c->buf = grown;
			c->cap = cap;
		}
	}
	if (!rec || c->len + n > c->cap) {
		free(rec);
		c->oom = 1;
		return 1;
	}
	memcpy(c->buf + c->len, rec, n);
	c->len += n;
	free(rec);
	return c->len >= CATCHUP_MAX_BYTES; /* enough for this turn */
}

/* Moves the next batch of stored events into the subscriber's buffer; when the
 * store has nothing more, goes live. Holding the app lock here is what makes
 * the switch exact: every event below the log size has been handed to the
 * sink already (publishing happens at commit, under this lock), and every
 * later one will be, after this subscriber is live. Returns 0 or a tq_err. */
static int catch_up(struct hub_sub *s)
{
	struct hub *h = s->hub;
	struct app *a = h->app;
	struct catchup c = {.sub = s};
	uint64_t size, from, to;
	int rc;

	group_lock_read(a); /* the log size is then the published one */
	pthread_mutex_lock(&h->mu);
	from = s->next;
	pthread_mutex_unlock(&h->mu);
	rc = store_log_size(a->store, &size);
	to = from < size ? (size - from > CATCHUP_MAX_ENTRIES ? from + CATCHUP_MAX_ENTRIES : size) : from;
	if (rc == TQ_OK && from < to)
		rc = store_event_scan(a->store, from, to, catchup_visit, &c);
	if (rc == TQ_OK && c.oom)
		rc = TQ_ENOMEM;
	pthread_mutex_lock(&h->mu);
	if (rc == TQ_OK) {
		if (c.len)
			sub_append(s, c.buf, c.len);
		if (c.scanned)
			s->next = c.last + 1;
		if (s->next >= size)
			s->live = 1;
	}
	pthread_mutex_unlock(&h->mu);
	group_unlock(a);
	free(c.buf);
	return rc;
}

/* ---- the content reader ------------------------------------------------------ */

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct hub_sub *s = cls;
	struct hub *h = s->hub;
	(void)pos;
	pthread_mutex_lock(&h->mu);
	for (;;) {
		if (s->len > s->off) {
			size_t n = s->len - s->off < max ? s->len - s->off : max;
			memcpy(out, s->buf + s->off, n);
			s->off += n;
			if (s->off == s->len) {
				s->off = s->len = 0;
				/* A burst's large buffer is not kept by an idle subscriber; a
				 * small one is, so that steady traffic does not churn malloc. */
				if (s->cap > SUB_BUFFER_KEEP) {
					free(s->buf);
					s->buf = NULL;
					s->cap = 0;
				}
			}
			pthread_mutex_unlock(&h->mu);
			return (ssize_t)n;
		}
		if (s->overflow) {
			pthread_mutex_unlock(&h->mu);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (h->closing) {
			pthread_mutex_unlock(&h->mu);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (s->live)
			break;
		/* Lock order is app lock, then hub: let go of the hub to catch up. */
		pthread_mutex_unlock(&h->mu);
		if (catch_up(s) != TQ_OK)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		pthread_mutex_lock(&h->mu);
	}
	/* Nothing to send: park the connection until the hub has bytes for it.
	 * Returning 0 without suspending would make MHD call again at once (a
	 * busy loop). The flag and the suspension change together under hub->mu,
	 * so a resume always follows the suspend it undoes. */
	s->suspended = 1;
	MHD_suspend_connection(s->conn);
	pthread_mutex_unlock(&h->mu);
	return 0;
}

static void stream_free(void *cls)
{
	struct hub_sub *s = cls;
	struct hub *h = s->hub;
	pthread_mutex_lock(&h->mu);
	if (s->prev)
		s->prev->next_sub = s->next_sub;
	else if (h->subs == s)
		h->subs = s->next_sub;
	if (s->next_sub)
		s->next_sub->prev = s->prev;
	if (s->counted) {
		h->nstreams--;
		tally_give(h->by_user, s->who.user);
		tally_give(h->by_addr, s->addr);
	}
	pthread_mutex_unlock(&h->mu);
	free(s->buf);
	free(s);
}

/* h->mu held. Takes a stream slot for s, or names the cap that is full. */
static int take_slot(struct hub *h, struct hub_sub *s, const char **cap_detail)
{
	int rc;
	if (h->limits.max_streams && h->nstreams >= h->limits.max_streams) {
		*cap_detail = "the server holds as many event streams as it may; retry later";
		return TQ_ERATE;
	}
	if ((rc = tally_take(h->by_user, s->who.user, h->limits.streams_per_user))) {
		*cap_detail = rc < 0 ? "out of memory" : "this user has too many open event streams; close one";
		return rc < 0 ? TQ_ENOMEM : TQ_ERATE;
	}
	if ((rc = tally_take(h->by_addr, s->addr, h->limits.streams_per_address))) {
		tally_give(h->by_user, s->who.user);
		*cap_detail = rc < 0 ? "out of memory" : "this address has too many open event streams; close one";
		return rc < 0 ? TQ_ENOMEM : TQ_ERATE;
	}
	h->nstreams++;
	s->counted = 1;
	return TQ_OK;
}

int hub_subscribe(struct hub *h, struct MHD_Connection *conn, const struct hub_stream *p,
		  struct MHD_Response **out, const char **cap_detail)
{
	static const char hello[] = ": tansiq event stream\n\n";
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
	pthread_mutex_lock(&h->mu);
	if (h->closing) {
		pthread_mutex_unlock(&h->mu);
		free(s);
		*cap_detail = "the server is stopping";
		return TQ_EIO;
	}
	rc = take_slot(h, s, cap_detail);
	pthread_mutex_unlock(&h->mu);
	if (rc) {
		free(s);
		return rc;
	}
	/* A first comment, so the client sees the stream open before any event. */
	sub_append(s, hello, sizeof hello - 1);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK_SIZE, stream_read, s, stream_free);
	if (!resp) {
		stream_free(s); /* gives back the slot; s is not linked */
		return TQ_ENOMEM;
	}
	pthread_mutex_lock(&h->mu);
	s->next_sub = h->subs;
	if (h->subs)
		h->subs->prev = s;
	h->subs = s;
	pthread_mutex_unlock(&h->mu);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	/* A stream may idle suspended for ever (suspended connections do not time
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

/* After commit, under the app lock: no later event is published before the
 * streams are cut (publication also runs after commit, under that lock). */
static void revoke_run(void *ctx)
{
	struct revoke *rv = ctx;
	struct hub *h = rv->hub;
	pthread_mutex_lock(&h->mu);
	for (struct hub_sub *s = h->subs; s; s = s->next_sub) {
		int match = rv->by_session ? s->has_session && sodium_memcmp(s->session, rv->session, 32) == 0
					   : strcmp(s->who.user, rv->user) == 0;
		if (match && !s->overflow)
			cut_off(s);
	}
	pthread_mutex_unlock(&h->mu);
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
	unsigned n;
	pthread_mutex_lock(&h->mu);
	n = h->nstreams;
	pthread_mutex_unlock(&h->mu);
	return n;
}

/* ---- the hub thread: resumes and heartbeats ---------------------------------- */

static struct timespec deadline_in(long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static void *hub_main(void *arg)
{
	static const char beat[] = ": heartbeat\n\n";
	struct hub *h = arg;
	struct timespec next = deadline_in(h->heartbeat_ms);
	pthread_mutex_lock(&h->mu);
	while (!h->stop) {
		if (!h->wake_list && pthread_cond_timedwait(&h->cond, &h->mu, &next) == ETIMEDOUT) {
			next = deadline_in(h->heartbeat_ms);
			for (struct hub_sub *s = h->subs; s && !h->closing; s = s->next_sub) {
				sub_append(s, beat, sizeof beat - 1);
				wake(s);
			}
		}
		struct hub_sub *batch = h->wake_list;
		h->wake_list = NULL;
		if (batch) {
			/* Taken before letting go of hub->mu: hub_close waits for this batch. */
			pthread_mutex_lock(&h->resume_mu);
			pthread_mutex_unlock(&h->mu);
			resume_batch(batch);
			pthread_mutex_unlock(&h->resume_mu);
			pthread_mutex_lock(&h->mu);
		}
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* ---- life cycle ---------------------------------------------------------------- */

int hub_start(struct app *a, const struct hub_limits *limits)
{
	struct hub *h = calloc(1, sizeof *h);
	const char *env = getenv("TANSIQD_SSE_HEARTBEAT_MS");
	if (!h)
		return TQ_ENOMEM;
	h->app = a;
	if (limits)
		h->limits = *limits;
	if (!h->limits.max_streams)
		h->limits.max_streams = HUB_DEFAULT_MAX_STREAMS;
	if (!h->limits.streams_per_user)
		h->limits.streams_per_user = HUB_DEFAULT_STREAMS_PER_USER;
	if (!h->limits.streams_per_address)
		h->limits.streams_per_address = HUB_DEFAULT_STREAMS_PER_ADDRESS;
	h->by_user = tally_new();
	h->by_addr = tally_new();
	if (!h->by_user || !h->by_addr) {
		tally_free(h->by_user);
		tally_free(h->by_addr);
		free(h);
		return TQ_ENOMEM;
	}
	h->heartbeat_ms = HUB_HEARTBEAT_MS;
	if (env && atol(env) >= 100 && atol(env) <= 3600000)
		h->heartbeat_ms = atol(env);
	pthread_mutex_init(&h->mu, NULL);
	pthread_mutex_init(&h->resume_mu, NULL);
	pthread_cond_init(&h->cond, NULL);
	if (pthread_create(&h->timer, NULL, hub_main, h) != 0) {
		pthread_cond_destroy(&h->cond);
		pthread_mutex_destroy(&h->resume_mu);
		pthread_mutex_destroy(&h->mu);
		tally_free(h->by_user);
		tally_free(h->by_addr);
		free(h);
		return TQ_EIO;
	}
	group_lock_read(a);
	a->sink = hub_sink;
	a->sink_ctx = h;
	group_unlock(a);
	return TQ_OK;
}

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

struct hub *hub_of(struct app *a)
{
	return a->sink == hub_sink ? a->sink_ctx : NULL;
}

void hub_close(struct app *a)
{
	struct hub *h = hub_of(a);
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->closing = 1;
	for (struct hub_sub *s = h->subs; s; s = s->next_sub)
		wake(s);
	struct hub_sub *batch = h->wake_list;
	h->wake_list = NULL;
	pthread_mutex_unlock(&h->mu);
	/* Every suspended stream is resumed before this returns (the daemon must
	 * not stop with suspended connections), including a batch the hub
	 * thread may be resuming now. */
	pthread_mutex_lock(&h->resume_mu);
	resume_batch(batch);
	pthread_mutex_unlock(&h->resume_mu);
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
	pthread_mutex_lock(&h->mu);
	h->stop = 1;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->timer, NULL);
	/* The daemon has stopped: every response, and so every subscriber, is gone. */
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->resume_mu);
	pthread_mutex_destroy(&h->mu);
	tally_free(h->by_user);
	tally_free(h->by_addr);
	free(h);
}
