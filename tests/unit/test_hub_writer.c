/* hub_writer (src/server/hub_writer.h): a pass over a writer's share is served a slice at a time, with
 * the share's lock let go between slices, so that revocation, subscribing and unsubscribing (all
 * under the app lock) never wait for a whole pass; and whatever happens between two slices, every
 * subscriber still in the share gets the pass's event exactly once. New subscribers go to the writer
 * with the smallest share.
 *
 * Subscribers here are parked plain-HTTP streams over socket pairs: the writer sends their records
 * itself. libmicrohttpd and the visibility function are replaced by the doubles below (a resume is
 * counted; an audience is a list of parties). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <microhttpd.h>

#include "server/auth.h"
#include "server/hub_writer.h"

int auth_event_visible(const struct who *w, const char *audience)
{
	return !audience || strstr(audience, w->party) != NULL;
}

/* Every subscriber's conn is the subscriber itself; a resume is counted there (in its session bytes). */
void MHD_resume_connection(struct MHD_Connection *connection)
{
	((struct hub_sub *)(void *)connection)->session[0]++;
}

struct peer {
	struct hub_sub *s;
	int fd; /* the client's end */
};

static struct peer new_sub(uint64_t next, const char *party)
{
	struct peer p;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	p.s = calloc(1, sizeof *p.s);
	assert_non_null(p.s);
	p.s->conn = (struct MHD_Connection *)(void *)p.s;
	p.s->fd = sv[0];
	p.s->direct = 1;
	p.s->suspended = 1; /* parked: the writer sends */
	p.s->live = 1;
	p.s->next = next;
	snprintf(p.s->who.party, sizeof p.s->who.party, "%s", party);
	snprintf(p.s->who.role, sizeof p.s->who.role, "viewer");
	pthread_mutex_init(&p.s->mu, NULL);
	sse_queue_init(&p.s->q);
	p.fd = sv[1];
	return p;
}

static void free_sub(struct peer *p)
{
	hub_writers_remove(p->s);
	sse_queue_clear(&p->s->q);
	pthread_mutex_destroy(&p->s->mu);
	close(p->s->fd);
	close(p->fd);
	free(p->s);
	p->s = NULL;
}

/* Reads exactly want bytes (10 s at most) and compares them; then nothing more is waiting. */
static void expect_bytes(int fd, const char *want, size_t len)
{
	char buf[4096];
	size_t got = 0;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (got < len) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		poll(&pfd, 1, 100);
		ssize_t n = recv(fd, buf + got, len - got, 0);
		if (n > 0)
			got += (size_t)n;
		clock_gettime(CLOCK_MONOTONIC, &t);
		assert_true(t.tv_sec - t0.tv_sec < 10); /* the record never came */
	}
	assert_memory_equal(buf, want, len);
	assert_int_equal(recv(fd, buf, sizeof buf, 0), -1);
	assert_int_equal(errno, EAGAIN);
}

static void expect_nothing(int fd)
{
	char buf[64];
	assert_int_equal(recv(fd, buf, sizeof buf, 0), -1);
	assert_int_equal(errno, EAGAIN);
}

#define NSUBS (3 * HUB_PASS_SLICE + 7)

struct between {
	struct hub_writers *ws;
	struct peer *all;
	int calls;
	struct hub_sub *removed; /* the next to serve when the pass first let go */
	struct peer added;
	struct hub_sub *target;  /* revoked between slices, served (had it not been) in a later slice */
};

static int is_target(void *ctx, const struct hub_sub *s)
{
	return s == ((struct between *)ctx)->target;
}

static void first_gap(void *ctx, struct hub_writer *w)
{
	struct between *b = ctx;
	if (b->calls++)
		return;
	/* No lock is held here: these would wait for the whole pass if the share's lock were held. */
	pthread_mutex_lock(&w->mu);
	b->removed = w->cursor;
	pthread_mutex_unlock(&w->mu);
	assert_non_null(b->removed);
	for (int i = 0; i < NSUBS; i++)
		if (b->all[i].s == b->removed)
			free_sub(&b->all[i]); /* unsubscribed mid-pass: freed, never touched again (ASan) */
	b->added = new_sub(8, "IL");   /* subscribed after the event was published */
	hub_writers_add(b->ws, b->added.s);
	hub_writers_cut(b->ws, is_target, b);
}

static void a_pass_lets_go_between_slices_and_serves_every_subscriber_once(void **state)
{
	(void)state;
	static struct hub_writers ws;
	static struct peer all[NSUBS];
	struct between b = {.ws = &ws, .all = all};
	assert_int_equal(hub_writers_start(&ws, 3600000, 1), TQ_OK);
	for (int i = 0; i < NSUBS; i++) {
		all[i] = new_sub(0, i % 3 == 2 ? "TR" : "IL");
		hub_writers_add(&ws, all[i].s);
	}
	/* The share is served newest first: all[0] is in the last slice. */
	b.target = all[0].s;
	ws.between_slices = first_gap;
	ws.between_ctx = &b;

	static const char leaf[] = "{\"n\":7}";
	struct sse_frame *rec = sse_frame_event(7, "message.created", leaf, sizeof leaf - 1);
	assert_non_null(rec);
	hub_writers_publish(&ws, 7, "message.created", "il-sy", "IL,SY", leaf, sizeof leaf - 1);

	for (int i = 1; i < NSUBS; i++) {
		if (!all[i].s)
			continue; /* the one removed mid-pass */
		if (i % 3 == 2)
			continue; /* TR: checked below */
		expect_bytes(all[i].fd, sse_frame_data(rec), sse_frame_len(rec));
	}
	assert_true(b.calls >= 3); /* 4 slices: the lock was let go 3 times */
	assert_non_null(b.removed);
	for (int i = 2; i < NSUBS; i += 3)
		if (all[i].s)
			expect_nothing(all[i].fd); /* not in the audience */
	/* Revoked between slices: nothing delivered, its socket shut down, resumed once so MHD ends it. */
	char c;
	assert_int_equal(recv(all[0].fd, &c, 1, 0), 0);
	assert_int_equal(all[0].s->session[0], 1);
	/* Added mid-pass: the pass does not serve it; the next event reaches it. */
	expect_nothing(b.added.fd);
	static const char leaf2[] = "{\"n\":8}";
	struct sse_frame *rec2 = sse_frame_event(8, "message.created", leaf2, sizeof leaf2 - 1);
	assert_non_null(rec2);
	hub_writers_publish(&ws, 8, "message.created", "il-sy", "IL", leaf2, sizeof leaf2 - 1);
	expect_bytes(b.added.fd, sse_frame_data(rec2), sse_frame_len(rec2));
	expect_bytes(all[1].fd, sse_frame_data(rec2), sse_frame_len(rec2));

	ws.between_slices = NULL;
	hub_writers_unpark_all(&ws);
	for (int i = 0; i < NSUBS; i++)
		if (all[i].s)
			free_sub(&all[i]);
	free_sub(&b.added);
	hub_writers_stop(&ws);
	sse_frame_unref(rec);
	sse_frame_unref(rec2);
}

static void a_new_subscriber_goes_to_the_smallest_share(void **state)
{
	(void)state;
	static struct hub_writers ws;
	struct peer p[6];
	assert_int_equal(hub_writers_start(&ws, 3600000, 2), TQ_OK);
	for (int i = 0; i < 4; i++) {
		p[i] = new_sub(0, "IL");
		hub_writers_add(&ws, p[i].s);
	}
	assert_int_equal(atomic_load(&ws.w[0].nsubs), 2);
	assert_int_equal(atomic_load(&ws.w[1].nsubs), 2);
	struct hub_writer *w0 = &ws.w[0];
	for (int i = 0; i < 4; i++)
		if (p[i].s->w == w0)
			free_sub(&p[i]);
	for (int i = 4; i < 6; i++) {
		p[i] = new_sub(0, "IL");
		hub_writers_add(&ws, p[i].s);
		assert_ptr_equal(p[i].s->w, w0);
	}
	assert_int_equal(atomic_load(&ws.w[0].nsubs), 2);
	hub_writers_unpark_all(&ws);
	for (int i = 0; i < 6; i++)
		if (p[i].s)
			free_sub(&p[i]);
	hub_writers_stop(&ws);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_pass_lets_go_between_slices_and_serves_every_subscriber_once),
		cmocka_unit_test(a_new_subscriber_goes_to_the_smallest_share),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
