/*
 * hub_writer — delivery of published events to the live subscribers, by a
 * few writer threads that each serve a share of them (hub.h is the rest:
 * the HTTP side of a stream, catch-up, caps, revocation, listeners).
 *
 * Publication (hub_writers_publish, after each commit, under the app lock)
 * builds the event's SSE record once (sse_frame.h) and hands it to every
 * writer; it never touches a subscriber. Each writer then passes over its
 * subscribers: for a live subscriber whose next index the event reaches, it
 * decides visibility once per visibility class (same admin flag, party and
 * track filter: hub_sub_wants), queues a reference to the shared record, and
 * if the connection is parked sends the queue at once on a plain-HTTP socket
 * (one send for all the events of the pass) or hands the connection back to
 * libmicrohttpd (TLS, or what the socket did not take), which sends it
 * through the content reader. A subscriber whose queue would pass
 * SSE_QUEUE_MAX_BYTES is cut off (it resumes with Last-Event-ID). A writer
 * also queues a heartbeat comment to each of its subscribers every
 * heartbeat_ms, which is how a client that vanished while parked is noticed.
 *
 * Locks: a writer holds its share's lock for a slice of a pass
 * (HUB_PASS_SLICE subscribers) and lets go of it between slices, so that
 * subscribing, unsubscribing and revocation (which run under the app lock)
 * wait for at most a slice, not a whole pass; a subscriber removed between
 * two slices moves the pass's cursor past itself. Each subscriber's lock is
 * held while a writer touches that subscriber; publication takes only the
 * writers' queue locks. Connections are resumed after each slice, with the
 * share's lock let go (a response's free callback takes it), under a lock
 * that hub_writers_unpark_all waits for. The park flag (suspended) changes
 * only under the subscriber's lock, and whoever clears it resumes the
 * connection, so exactly one resume follows each suspend; a parked
 * connection stays alive until resumed.
 */
#ifndef TQ_HUB_WRITER_H
#define TQ_HUB_WRITER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "server/app.h"
#include "server/sse_frame.h"
#include "server/tally.h"

struct MHD_Connection;
struct hub;

#define HUB_WRITERS_MAX 8        /* writer threads at most (hub.c starts one per CPU, or TANSIQD_SSE_WRITERS) */
#define HUB_CLASSES_MAX 256      /* visibility classes decided once per event; beyond, per subscriber */
#define HUB_PASS_EVENTS_MAX 64   /* events a writer delivers in one pass */
#define HUB_QUEUE_EVENTS_MAX 65536 /* events waiting for a writer; beyond, its live subscribers are cut off */
#define HUB_PASS_SLICE 128       /* subscribers a pass serves per hold of its share's lock */

struct hub_writer;
struct hub_writers;

/* A subscriber. The fields above mu are fixed once it is added. */
struct hub_sub {
	struct hub *hub;
	struct hub_writer *w;      /* the writer that serves it (set by hub_writers_add) */
	struct MHD_Connection *conn;
	int fd;                    /* the connection's socket */
	int direct;                /* plain HTTP: a writer sends to fd while the connection is parked */
	unsigned cls;              /* visibility class (set by hub_writers_add) */
	int counted;               /* holds a stream slot */
	struct who who;
	uint8_t session[32];       /* the console session, when has_session */
	int has_session;
	char addr[TALLY_KEY_MAX];
	char track[64];            /* "" = every track */
	pthread_mutex_t mu;        /* guards the fields below */
	uint64_t next;             /* index of the next event this subscriber may be sent */
	int live;                  /* 0 while catching up from the store (writers skip it) */
	int suspended;             /* parked in libmicrohttpd: only a writer touches the socket */
	int overflow;              /* cut off: the client did not keep up, or its access was revoked */
	int tuned;                 /* TCP_NODELAY set for direct sends */
	struct sse_queue q;        /* pending bytes */
	struct hub_sub *resume_next; /* on a list of connections to resume */
	struct hub_sub *prev, *next_sub; /* in its writer's share */
};

struct hub_event;

struct hub_writer {
	struct hub_writers *ws;
	pthread_t thread;
	pthread_mutex_t mu;        /* its share of subscribers, and a slice of a pass over them */
	struct hub_sub *subs;
	struct hub_sub *cursor;    /* between two slices of a pass: the next to serve (NULL: the end) */
	atomic_uint nsubs;         /* subscribers in the share (for placing new ones) */
	pthread_mutex_t resume_mu; /* held while a pass's resumes run (after mu is let go) */
	pthread_mutex_t qmu;       /* the events handed over by publication */
	pthread_cond_t cond;
	struct hub_event **q;      /* a ring of events not yet delivered (one event sits in every writer's) */
	unsigned qcap, qhead, qcount;
	int gap;                   /* an event could not be queued: cut every live subscriber off */
	int stop;
	uint8_t verdict[HUB_PASS_EVENTS_MAX][HUB_CLASSES_MAX]; /* during a pass: 0 unknown, 1 seen, 2 not */
};

struct hub_writers {
	atomic_int closing;        /* set by hub_writers_unpark_all: nothing more is delivered */
	long heartbeat_ms;
	struct sse_frame *beat;
	pthread_mutex_t mu;        /* classes, next */
	struct {
		int admin;
		char party[sizeof ((struct who *)0)->party];
		char track[64];
	} classes[HUB_CLASSES_MAX];
	unsigned nclasses;
	int n;
	/* For tests: called by a writer between two slices of a pass, with no lock held. */
	void (*between_slices)(void *ctx, struct hub_writer *w);
	void *between_ctx;
	struct hub_writer w[HUB_WRITERS_MAX];
};

/* Whether s may see an event of this track and audience (auth_event_visible
 * and the track filter). */
int hub_sub_wants(const struct hub_sub *s, const char *track, const char *audience);

/* Starts n writers (1..HUB_WRITERS_MAX). ws is zeroed first. TQ_ENOMEM or
 * TQ_EIO (nothing runs then). */
TQ_MUST_USE int hub_writers_start(struct hub_writers *ws, long heartbeat_ms, int n);
/* Stops and joins the writers; call when no subscriber is left (the daemon stopped). */
void hub_writers_stop(struct hub_writers *ws);
/* Hands an event to the writers (after commit, in log order, under the app lock). */
void hub_writers_publish(struct hub_writers *ws, uint64_t index, const char *type, const char *track,
			 const char *audience, const char *leaf, size_t leaf_len);
/* Gives s a visibility class and the writer with the smallest share, and
 * links it into that share (a pass under way does not serve it: every event
 * of that pass was published before s subscribed). */
void hub_writers_add(struct hub_writers *ws, struct hub_sub *s);
/* Unlinks s (not linked: no-op); it is never touched by a writer afterwards. */
void hub_writers_remove(struct hub_sub *s);
/* Cuts off every subscriber for which match(ctx, s) is true: its bytes are
 * dropped, its socket shut down and its connection resumed, so MHD ends it. */
void hub_writers_cut(struct hub_writers *ws, int (*match)(void *ctx, const struct hub_sub *s), void *ctx);
/* Sets closing and resumes every parked connection before returning. */
void hub_writers_unpark_all(struct hub_writers *ws);

#endif
