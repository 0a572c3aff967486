#include "server/connguard.h"

#include "server/tally.h"
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How often the timeout thread looks for connections past their deadline. */
#define SWEEP_MS 250

struct guarded {
	struct connguard *g;
	char addr[CONNGUARD_ADDR_BUFSZ];
	int fd;
	int counted;   /* holds a request slot */
	int awaiting;  /* waiting for a request's headers since `since` */
	int shut;      /* its socket was shut down by the guard */
	int linked;    /* on g->conns, the list the timeout thread walks */
	int64_t since; /* monotonic ms */
	struct guarded *prev, *next;
};

struct connguard {
	struct connguard_options o;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	pthread_t thread;
	int stop;
	unsigned requests;     /* request slots in use */
	struct tally *by_addr; /* request slots in use per address */
	struct guarded *conns;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void connguard_address(const struct sockaddr *sa, char out[CONNGUARD_ADDR_BUFSZ])
{
	snprintf(out, CONNGUARD_ADDR_BUFSZ, "?");
	if (!sa)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, CONNGUARD_ADDR_BUFSZ);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, CONNGUARD_ADDR_BUFSZ);
}

/* g->mu held. 1 when one more request slot for addr would pass a cap. */
static int over_cap(const struct connguard *g, const char *addr)
{
	if (g->o.max_requests && g->requests >= g->o.max_requests)
		return 1;
	return g->o.per_address && tally_get(g->by_addr, addr) >= g->o.per_address;
}

/* g->mu held. */
static void give_slot(struct guarded *c)
{
	if (!c->counted)
		return;
	c->counted = 0;
	c->g->requests--;
	tally_give(c->g->by_addr, c->addr);
}

enum MHD_Result connguard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct connguard *g = cls;
	char a[CONNGUARD_ADDR_BUFSZ];
	int over;
	(void)addrlen;
	connguard_address(addr, a);
	pthread_mutex_lock(&g->mu);
	over = over_cap(g, a);
	pthread_mutex_unlock(&g->mu);
	return over ? MHD_NO : MHD_YES;
}

static void started(struct connguard *g, struct MHD_Connection *conn, void **socket_context)
{
	const union MHD_ConnectionInfo *ai = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const union MHD_ConnectionInfo *fi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct guarded *c = calloc(1, sizeof *c);
	*socket_context = c;
	if (!c) {
		/* Cannot account for it: do not let it in. */
		if (fi)
			shutdown(fi->connect_fd, SHUT_RDWR);
		return;
	}
	c->g = g;
	c->fd = fi ? fi->connect_fd : -1;
	connguard_address(ai ? ai->client_addr : NULL, c->addr);
	c->awaiting = 1;
	c->since = mono_ms();
	pthread_mutex_lock(&g->mu);
	/* Accepts race each other between the accept policy and here: check again. */
	if (over_cap(g, c->addr) || tally_take(g->by_addr, c->addr, 0) != 0) {
		c->awaiting = 0;
		c->shut = 1;
		if (c->fd >= 0)
			shutdown(c->fd, SHUT_RDWR);
	} else {
		c->counted = 1;
		g->requests++;
	}
	c->next = g->conns;
	if (g->conns)
		g->conns->prev = c;
	g->conns = c;
	c->linked = 1;
	pthread_mutex_unlock(&g->mu);
}

/* g->mu held. Takes c off the list the timeout thread walks. */
static void unlink_conn(struct guarded *c)
{
	if (!c->linked)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->g->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	c->linked = 0;
}

/* Called by libmicrohttpd before it closes the socket, so c->fd is still
 * this connection's while c is linked. */
static void closed(struct connguard *g, struct guarded *c)
{
	pthread_mutex_lock(&g->mu);
	give_slot(c);
	unlink_conn(c);
	pthread_mutex_unlock(&g->mu);
	free(c);
}

void connguard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		      enum MHD_ConnectionNotificationCode code)
{
	struct connguard *g = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		started(g, conn, socket_context);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
		closed(g, *socket_context);
		*socket_context = NULL;
	}
}

static struct guarded *guarded_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT) : NULL;
	return ci ? ci->socket_context : NULL;
}

void connguard_headers_done(struct MHD_Connection *conn)
{
	struct guarded *c = guarded_of(conn);
	if (!c)
		return;
	pthread_mutex_lock(&c->g->mu);
	c->awaiting = 0;
	pthread_mutex_unlock(&c->g->mu);
}

void connguard_request_done(struct MHD_Connection *conn)
{
	struct guarded *c = guarded_of(conn);
	if (!c)
		return;
	pthread_mutex_lock(&c->g->mu);
	if (c->counted) {
		c->awaiting = 1;
		c->since = mono_ms();
	}
	pthread_mutex_unlock(&c->g->mu);
}

void connguard_to_stream(struct MHD_Connection *conn)
{
	struct guarded *c = guarded_of(conn);
	if (!c)
		return;
	pthread_mutex_lock(&c->g->mu);
	give_slot(c);
	c->awaiting = 0;
	unlink_conn(c); /* a stream has no header deadline: thousands need not be walked */
	pthread_mutex_unlock(&c->g->mu);
}

static void *sweep_main(void *arg)
{
	struct connguard *g = arg;
	pthread_mutex_lock(&g->mu);
	while (!g->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += SWEEP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->cond, &g->mu, &ts);
		if (g->stop || !g->o.header_timeout_s)
			continue;
		int64_t cutoff = mono_ms() - (int64_t)g->o.header_timeout_s * 1000;
		for (struct guarded *c = g->conns; c; c = c->next) {
			if (c->awaiting && !c->shut && c->since <= cutoff && c->fd >= 0) {
				/* Wakes the connection with end-of-file: libmicrohttpd closes it. */
				shutdown(c->fd, SHUT_RDWR);
				c->shut = 1;
			}
		}
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int connguard_new(const struct connguard_options *o, struct connguard **out)
{
	struct connguard *g = calloc(1, sizeof *g);
	*out = NULL;
	if (!g)
		return TQ_ENOMEM;
	g->o = *o;
	g->by_addr = tally_new();
	if (!g->by_addr) {
		free(g);
		return TQ_ENOMEM;
	}
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cond, NULL);
	if (pthread_create(&g->thread, NULL, sweep_main, g) != 0) {
		pthread_cond_destroy(&g->cond);
		pthread_mutex_destroy(&g->mu);
		tally_free(g->by_addr);
		free(g);
		return TQ_EIO;
	}
	*out = g;
	return TQ_OK;
}

void connguard_free(struct connguard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	g->stop = 1;
	pthread_cond_signal(&g->cond);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->thread, NULL);
	/* The daemon has stopped: every connection was notified closed. */
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->mu);
	tally_free(g->by_addr);
	free(g);
}
