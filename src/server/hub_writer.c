#include "server/hub_writer.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "server/auth.h"

#define NO_CLASS HUB_CLASSES_MAX

/* A published event on its way to the writers; each writer drops one reference. */
struct hub_event {
	atomic_uint refs;
	uint64_t index;
	struct sse_frame *frame;
	char *track, *audience;
};

int hub_sub_wants(const struct hub_sub *s, const char *track, const char *audience)
{
	if (s->track[0] && (!track || strcmp(track, s->track) != 0))
		return 0;
	return auth_event_visible(&s->who, audience);
}

/* ---- a subscriber's socket (s->mu held) ------------------------------------- */

/* Hands a parked connection back to libmicrohttpd: the caller resumes it
 * after the pass (w->mu still held). Exactly one resume follows each suspend:
 * the flag changes under s->mu, and a parked connection stays alive (MHD
 * neither polls nor closes it) until it is resumed. */
static void unpark(struct hub_sub *s, struct hub_sub **resume)
{
	if (s->suspended) {
		s->suspended = 0;
		s->resume_next = *resume;
		*resume = s;
	}
}

static void resume_all(struct hub_sub *list)
{
	while (list) {
		struct hub_sub *next = list->resume_next;
		MHD_resume_connection(list->conn);
		list = next;
	}
}

/* Lets go of w->mu and resumes a list collected under it. resume_mu is taken
 * first, so hub_writers_unpark_all, which takes it after w->mu, waits for
 * these resumes; w->mu is free during them, so libmicrohttpd may destroy
 * other responses meanwhile. A connection on the list is still suspended, so
 * still alive, until its resume. */
static void unlock_and_resume(struct hub_writer *w, struct hub_sub *list)
{
	pthread_mutex_lock(&w->resume_mu);
	pthread_mutex_unlock(&w->mu);
	resume_all(list);
	pthread_mutex_unlock(&w->resume_mu);
}

/* Cuts the subscriber off: its bytes are dropped and its socket shut down so
 * that MHD closes the connection even though the client is not reading. The
 * fd is still the connection's: MHD closes it only after destroying the
 * response, whose free callback unlinks the subscriber. */
static void cut_off(struct hub_sub *s, struct hub_sub **resume)
{
	s->overflow = 1;
	sse_queue_clear(&s->q);
	if (s->fd >= 0)
		shutdown(s->fd, SHUT_RDWR);
	unpark(s, resume);
}

/* A parked subscriber has new bytes. A plain-HTTP stream gets them here, with
 * one send (the response is close-delimited, so the body is the SSE bytes
 * themselves); what the socket does not take, and every TLS stream, goes
 * back to libmicrohttpd, whose content reader sends it. */
static void flush(struct hub_sub *s, struct hub_sub **resume)
{
	if (!s->suspended || !sse_queue_pending(&s->q))
		return;
	if (s->direct) {
		if (!s->tuned) {
			int one = 1, zero = 0;
			setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			setsockopt(s->fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof zero);
			s->tuned = 1;
		}
		int r = sse_queue_send(&s->q, s->fd);
		if (r == 0)
			return;
		if (r < 0) {
			cut_off(s, resume); /* the client has gone: MHD ends the connection */
			return;
		}
	}
	unpark(s, resume);
}

static void hub_event_release(struct hub_event *e)
{
	if (atomic_fetch_sub(&e->refs, 1) == 1) {
		sse_frame_unref(e->frame);
		free(e->track);
		free(e->audience);
		free(e);
	}
}

void hub_writers_publish(struct hub_writers *ws, uint64_t index, const char *type, const char *track,
			 const char *audience, const char *leaf, size_t leaf_len)
{
	if (atomic_load(&ws->closing))
		return;
	/* The record is built once; the writers queue it to each subscriber that may see it. */
	struct hub_event *e = calloc(1, sizeof *e);
	if (e) {
		atomic_init(&e->refs, (unsigned)ws->n);
		e->index = index;
		e->frame = sse_frame_event(index, type, leaf, leaf_len);
		e->track = track ? strdup(track) : NULL;
		e->audience = audience ? strdup(audience) : NULL;
		if (!e->frame || (track && !e->track) || (audience && !e->audience)) {
			atomic_init(&e->refs, 1);
			hub_event_release(e);
			e = NULL;
		}
	}
	for (int i = 0; i < ws->n; i++) {
		struct hub_writer *w = &ws->w[i];
		pthread_mutex_lock(&w->qmu);
		if (e && w->qcount == w->qcap && w->qcap < HUB_QUEUE_EVENTS_MAX) {
			unsigned cap = w->qcap ? w->qcap * 2 : 64;
			struct hub_event **q = malloc(cap * sizeof *q);
			if (q) {
				for (unsigned k = 0; k < w->qcount; k++)
					q[k] = w->q[(w->qhead + k) % w->qcap];
				free(w->q);
				w->q = q;
				w->qcap = cap;
				w->qhead = 0;
			}
		}
		if (!e || w->qcount == w->qcap) {
			w->gap = 1; /* out of memory: live clients resume later, without a gap */
			if (e)
				hub_event_release(e); /* this writer's reference */
		} else {
			w->q[(w->qhead + w->qcount++) % w->qcap] = e;
		}
		pthread_cond_signal(&w->cond);
		pthread_mutex_unlock(&w->qmu);
	}
}

/* ---- the writers: delivery and heartbeats -------------------------------------- */

/* Whether s may see event i of the pass, decided once per visibility class. */
static int visible(struct hub_writer *w, const struct hub_sub *s, int i, const struct hub_event *e)
{
	if (s->cls == NO_CLASS)
		return hub_sub_wants(s, e->track, e->audience);
	uint8_t *v = &w->verdict[i][s->cls];
	if (!*v)
		*v = hub_sub_wants(s, e->track, e->audience) ? 1 : 2;
	return *v == 1;
}

/* Serves s its share of the pass: the events it may see, and the heartbeat, in one send. */
static void serve(struct hub_writer *w, struct hub_sub *s, struct hub_event **ev, int nev, struct sse_frame *beat,
		  int gap, struct hub_sub **resume)
{
	pthread_mutex_lock(&s->mu);
	if (gap && s->live && !s->overflow)
		cut_off(s, resume);
	if (!s->overflow && beat && sse_queue_push(&s->q, beat))
		cut_off(s, resume);
	for (int i = 0; i < nev && !s->overflow; i++) {
		/* A subscriber still catching up reads this event from the store later. */
		if (!s->live || ev[i]->index < s->next)
			continue;
		s->next = ev[i]->index + 1;
		if (visible(w, s, i, ev[i]) && sse_queue_push(&s->q, ev[i]->frame))
			cut_off(s, resume); /* it resumes later with Last-Event-ID, without a gap */
	}
	flush(s, resume);
	pthread_mutex_unlock(&s->mu);
}

/* One pass over the writer's subscribers, a slice at a time (w->mu held on
 * entry, let go on return). Between slices the share's lock is let go and the
 * slice's connections resumed; the cursor holds the place (hub_writers_remove
 * moves it past a subscriber it unlinks). */
static void deliver(struct hub_writer *w, struct hub_event **ev, int nev, struct sse_frame *beat, int gap)
{
	struct hub_writers *h = w->ws;
	struct hub_sub *s = w->subs;
	memset(w->verdict, 0, (size_t)nev * sizeof w->verdict[0]);
	for (;;) {
		struct hub_sub *resume = NULL;
		for (int k = 0; s && k < HUB_PASS_SLICE && !atomic_load(&h->closing); k++, s = s->next_sub)
			serve(w, s, ev, nev, beat, gap, &resume);
		if (!s || atomic_load(&h->closing)) {
			unlock_and_resume(w, resume);
			return;
		}
		w->cursor = s;
		unlock_and_resume(w, resume);
		if (h->between_slices)
			h->between_slices(h->between_ctx, w);
		pthread_mutex_lock(&w->mu);
		s = w->cursor;
		w->cursor = NULL;
	}
}

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

static void *writer_main(void *arg)
{
	struct hub_writer *w = arg;
	struct hub_writers *h = w->ws;
	struct timespec next_beat = deadline_in(h->heartbeat_ms);
	struct hub_event *ev[HUB_PASS_EVENTS_MAX];
	for (;;) {
		int beat = 0, nev = 0, gap;
		pthread_mutex_lock(&w->qmu);
		while (!w->qcount && !w->gap && !w->stop && !beat)
			beat = pthread_cond_timedwait(&w->cond, &w->qmu, &next_beat) == ETIMEDOUT;
		if (!beat) { /* a steady flow of events never lets the wait time out */
			struct timespec now;
			clock_gettime(CLOCK_REALTIME, &now);
			beat = now.tv_sec > next_beat.tv_sec ||
			       (now.tv_sec == next_beat.tv_sec && now.tv_nsec >= next_beat.tv_nsec);
		}
		for (; w->qcount && nev < HUB_PASS_EVENTS_MAX; nev++) {
			ev[nev] = w->q[w->qhead];
			w->qhead = (w->qhead + 1) % w->qcap;
			w->qcount--;
		}
		gap = w->gap;
		w->gap = 0;
		int stop = w->stop;
		pthread_mutex_unlock(&w->qmu);
		if (stop) {
			for (int i = 0; i < nev; i++)
				hub_event_release(ev[i]);
			break;
		}
		if (beat)
			next_beat = deadline_in(h->heartbeat_ms);
		pthread_mutex_lock(&w->mu);
		deliver(w, ev, nev, beat ? h->beat : NULL, gap);
		for (int i = 0; i < nev; i++)
			hub_event_release(ev[i]);
	}
	return NULL;
}

/* ---- membership ------------------------------------------------------------------ */

/* The visibility class of s (admin flag, party, track filter), added if new. */
static unsigned class_of(struct hub_writers *ws, const struct hub_sub *s)
{
	int admin = strcmp(s->who.role, "admin") == 0;
	unsigned i;
	for (i = 0; i < ws->nclasses; i++)
		if (ws->classes[i].admin == admin && strcmp(ws->classes[i].party, s->who.party) == 0 &&
		    strcmp(ws->classes[i].track, s->track) == 0)
			return i;
	if (i == HUB_CLASSES_MAX)
		return NO_CLASS;
	ws->classes[i].admin = admin;
	snprintf(ws->classes[i].party, sizeof ws->classes[i].party, "%s", s->who.party);
	snprintf(ws->classes[i].track, sizeof ws->classes[i].track, "%s", s->track);
	ws->nclasses++;
	return i;
}

void hub_writers_add(struct hub_writers *ws, struct hub_sub *s)
{
	pthread_mutex_lock(&ws->mu);
	s->cls = class_of(ws, s);
	struct hub_writer *w = &ws->w[0];
	for (int i = 1; i < ws->n; i++)
		if (atomic_load(&ws->w[i].nsubs) < atomic_load(&w->nsubs))
			w = &ws->w[i];
	atomic_fetch_add(&w->nsubs, 1);
	s->w = w;
	pthread_mutex_unlock(&ws->mu);
	pthread_mutex_lock(&w->mu);
	s->prev = NULL;
	s->next_sub = w->subs;
	if (w->subs)
		w->subs->prev = s;
	w->subs = s;
	pthread_mutex_unlock(&w->mu);
}

void hub_writers_remove(struct hub_sub *s)
{
	struct hub_writer *w = s->w;
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	if (w->cursor == s) /* a pass is between two slices, and s was next */
		w->cursor = s->next_sub;
	if (s->prev)
		s->prev->next_sub = s->next_sub;
	else if (w->subs == s)
		w->subs = s->next_sub;
	if (s->next_sub)
		s->next_sub->prev = s->prev;
	atomic_fetch_sub(&w->nsubs, 1);
	pthread_mutex_unlock(&w->mu);
}

void hub_writers_cut(struct hub_writers *ws, int (*match)(void *ctx, const struct hub_sub *s), void *ctx)
{
	for (int i = 0; i < ws->n; i++) {
		struct hub_writer *w = &ws->w[i];
		struct hub_sub *resume = NULL;
		pthread_mutex_lock(&w->mu);
		for (struct hub_sub *s = w->subs; s; s = s->next_sub) {
			if (!match(ctx, s))
				continue;
			pthread_mutex_lock(&s->mu);
			if (!s->overflow)
				cut_off(s, &resume);
			pthread_mutex_unlock(&s->mu);
		}
		unlock_and_resume(w, resume);
	}
}

void hub_writers_unpark_all(struct hub_writers *ws)
{
	/* Set before looking at any flag: a stream that parks later sees it (hub.c, stream_read). */
	atomic_store(&ws->closing, 1);
	/* A writer's pass ends before its lock is ours, and its resumes before
	 * its resume lock is (unlock_and_resume). */
	for (int i = 0; i < ws->n; i++) {
		struct hub_writer *w = &ws->w[i];
		struct hub_sub *resume = NULL;
		pthread_mutex_lock(&w->mu);
		for (struct hub_sub *s = w->subs; s; s = s->next_sub) {
			pthread_mutex_lock(&s->mu);
			unpark(s, &resume);
			pthread_mutex_unlock(&s->mu);
		}
		unlock_and_resume(w, resume);
	}
}

/* ---- life cycle ---------------------------------------------------------------- */

int hub_writers_start(struct hub_writers *ws, long heartbeat_ms, int n)
{
	static const char beat[] = ": heartbeat\n\n";
	memset(ws, 0, sizeof *ws);
	atomic_init(&ws->closing, 0);
	ws->heartbeat_ms = heartbeat_ms;
	if (!(ws->beat = sse_frame_bytes(beat, sizeof beat - 1)))
		return TQ_ENOMEM;
	pthread_mutex_init(&ws->mu, NULL);
	if (n < 1 || n > HUB_WRITERS_MAX)
		n = n < 1 ? 1 : HUB_WRITERS_MAX;
	for (int i = 0; i < n; i++) {
		struct hub_writer *w = &ws->w[i];
		w->ws = ws;
		atomic_init(&w->nsubs, 0);
		pthread_mutex_init(&w->mu, NULL);
		pthread_mutex_init(&w->resume_mu, NULL);
		pthread_mutex_init(&w->qmu, NULL);
		pthread_cond_init(&w->cond, NULL);
		if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
			pthread_cond_destroy(&w->cond);
			pthread_mutex_destroy(&w->qmu);
			pthread_mutex_destroy(&w->resume_mu);
			pthread_mutex_destroy(&w->mu);
			hub_writers_stop(ws);
			return TQ_EIO;
		}
		ws->n++;
	}
	return TQ_OK;
}

void hub_writers_stop(struct hub_writers *ws)
{
	for (int i = 0; i < ws->n; i++) {
		struct hub_writer *w = &ws->w[i];
		pthread_mutex_lock(&w->qmu);
		w->stop = 1;
		pthread_cond_signal(&w->cond);
		pthread_mutex_unlock(&w->qmu);
		pthread_join(w->thread, NULL);
		for (; w->qcount; w->qcount--, w->qhead = (w->qhead + 1) % w->qcap)
			hub_event_release(w->q[w->qhead]);
		free(w->q);
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->qmu);
		pthread_mutex_destroy(&w->resume_mu);
		pthread_mutex_destroy(&w->mu);
	}
	ws->n = 0;
	if (ws->beat) {
		sse_frame_unref(ws->beat);
		ws->beat = NULL;
		pthread_mutex_destroy(&ws->mu);
	}
}
