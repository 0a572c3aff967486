#define _GNU_SOURCE /* accept4 */
#include "server/cot_net.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK (16 * 1024)
#define SEND_CHUNK (16 * 1024)

enum conn_state { CONN_HANDSHAKE, CONN_LIVE };

struct cot_conn {
	struct cot_net *net;
	int fd;
	gnutls_session_t tls;       /* NULL: plain TCP */
	enum conn_state state;
	time_t opened;
	char peer[64];
	char user[48];              /* set by the opened hook; "" until then */
	void *state_of_hooks;       /* what opened() returned */
	/* inbound (loop thread only) */
	char *in;
	size_t in_len, in_cap;
	/* outbound: under net->mu */
	int live;                   /* receives broadcasts */
	int dead;                   /* to be closed by the loop: overflow, closed by a hook, error */
	char *out;
	size_t out_off, out_len, out_cap;
	int send_retry;             /* a GnuTLS send returned EAGAIN: resume with NULL, 0 */
	int want_out;               /* EPOLLOUT is armed */
	struct cot_conn *prev, *next;
};

struct cot_net {
	struct cot_net_config cfg;
	size_t in_buffer_max;       /* cfg.in_max and one read */
	int efd, epfd;
	pthread_t thread;
	int running;
	int stop;                   /* under mu */
	pthread_mutex_t mu;
	struct cot_conn *conns;
	size_t nconns;
};

/* ---- outbound buffer (net->mu held) ----------------------------------------------- */

static void wake_loop(struct cot_net *n)
{
	uint64_t one = 1;
	ssize_t w = write(n->efd, &one, sizeof one);
	(void)w; /* a full eventfd already wakes the loop */
}

static void conn_kill(struct cot_conn *c, const char *why)
{
	if (!c->dead) {
		c->dead = 1;
		fprintf(stderr, "tansiqd: cot %s (%s): closing: %s\n", c->peer, c->user[0] ? c->user : "-", why);
	}
	free(c->out);
	c->out = NULL;
	c->out_off = c->out_len = c->out_cap = 0;
	c->send_retry = 0;
	wake_loop(c->net);
}

/* Appends; a client whose pending bytes would pass the cap is cut off. */
static void conn_append(struct cot_conn *c, const char *data, size_t n)
{
	if (c->dead || n == 0)
		return;
	if (c->out_len - c->out_off + n > COT_CONN_BUFFER_MAX) {
		conn_kill(c, "too slow: output buffer full");
		return;
	}
	if (c->out_off > 0 && !c->send_retry && c->out_len + n > c->out_cap) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 8192;
		while (cap < c->out_len + n)
			cap *= 2;
		char *g = realloc(c->out, cap);
		if (!g) {
			conn_kill(c, "out of memory");
			return;
		}
		c->out = g;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, data, n);
	c->out_len += n;
}

const char *cot_conn_peer(const struct cot_conn *c)
{
	return c->peer;
}

void cot_conn_set_user(struct cot_conn *c, const char *user)
{
	snprintf(c->user, sizeof c->user, "%s", user);
}

void cot_conn_send(struct cot_conn *c, const void *data, size_t n)
{
	pthread_mutex_lock(&c->net->mu);
	conn_append(c, data, n);
	pthread_mutex_unlock(&c->net->mu);
}

void cot_conn_go_live(struct cot_conn *c, const void *data, size_t n)
{
	pthread_mutex_lock(&c->net->mu);
	conn_append(c, data, n);
	c->live = 1;
	pthread_mutex_unlock(&c->net->mu);
}

void cot_conn_close(struct cot_conn *c, const char *why)
{
	pthread_mutex_lock(&c->net->mu);
	conn_kill(c, why);
	pthread_mutex_unlock(&c->net->mu);
}

void cot_net_broadcast(struct cot_net *n, cot_net_pick_fn pick, void *ctx)
{
	int appended = 0;
	pthread_mutex_lock(&n->mu);
	for (struct cot_conn *c = n->conns; c; c = c->next) {
		if (c->dead || !c->live)
			continue;
		struct cot_out out = {0};
		pick(ctx, c->state_of_hooks, &out);
		if (out.close) {
			conn_kill(c, out.close);
		} else if (out.len) {
			conn_append(c, out.data, out.len);
			appended = 1;
		}
	}
	if (appended)
		wake_loop(n);
	pthread_mutex_unlock(&n->mu);
}

/* ---- connection I/O (loop thread) ------------------------------------------------------------ */

static void conn_free(struct cot_conn *c)
{
	struct cot_net *n = c->net;
	epoll_ctl(n->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	pthread_mutex_lock(&n->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		n->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	n->nconns--;
	pthread_mutex_unlock(&n->mu);
	/* Unlinked: no broadcast reaches its state any more. */
	if (c->state_of_hooks)
		n->cfg.hooks.closed(n->cfg.hooks.ctx, c->state_of_hooks);
	if (c->tls)
		gnutls_deinit(c->tls);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static void arm(struct cot_conn *c, int want_out)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0), .data.ptr = c};
	if (c->want_out != want_out) {
		c->want_out = want_out;
		epoll_ctl(c->net->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

/* Sends what is pending; returns -1 when the connection must close. The lock
 * is let go between records, so that a committer appending to the buffers
 * waits for at most one record's encryption and send, never for a whole
 * backlog. */
static int conn_flush(struct cot_conn *c)
{
	struct cot_net *n = c->net;
	int rc = 0;
	pthread_mutex_lock(&n->mu);
	while (!c->dead && (c->out_len > c->out_off || c->send_retry)) {
		pthread_mutex_unlock(&n->mu);
		pthread_mutex_lock(&n->mu);
		if (c->dead || !(c->out_len > c->out_off || c->send_retry))
			break;
		size_t len = c->out_len - c->out_off < SEND_CHUNK ? c->out_len - c->out_off : SEND_CHUNK;
		ssize_t w;
		if (c->tls) {
			w = c->send_retry ? gnutls_record_send(c->tls, NULL, 0)
					  : gnutls_record_send(c->tls, c->out + c->out_off, len);
			if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED) {
				c->send_retry = 1;
				break;
			}
			c->send_retry = 0;
			if (w < 0) {
				rc = -1;
				break;
			}
		} else {
			w = send(c->fd, c->out + c->out_off, len, MSG_NOSIGNAL);
			if (w < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (w < 0) {
				rc = -1;
				break;
			}
		}
		c->out_off += (size_t)w;
		if (c->out_off >= c->out_len)
			c->out_off = c->out_len = 0;
	}
	int pending = c->out_len > c->out_off || c->send_retry;
	if (c->dead)
		rc = -1;
	pthread_mutex_unlock(&n->mu);
	if (rc == 0)
		arm(c, pending);
	return rc;
}

/* Hands the input buffer to the received hook; keeps what it left. */
static int conn_consume(struct cot_conn *c)
{
	struct cot_net_hooks *h = &c->net->cfg.hooks;
	ssize_t used = h->received(h->ctx, c, c->state_of_hooks, c->in, c->in_len);
	if (used < 0 || (size_t)used > c->in_len)
		return -1;
	memmove(c->in, c->in + used, c->in_len - (size_t)used);
	c->in_len -= (size_t)used;
	return 0;
}

static int conn_read(struct cot_conn *c)
{
	size_t max = c->net->in_buffer_max;
	for (;;) {
		/* The buffer grows to its maximum only while a large message arrives. */
		if (c->in_len + READ_CHUNK / 4 > c->in_cap && c->in_cap < max) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 4096;
			char *g = realloc(c->in, cap < max ? cap : max);
			if (!g)
				return -1;
			c->in = g;
			c->in_cap = cap < max ? cap : max;
		}
		size_t room = c->in_cap - c->in_len;
		ssize_t got;
		if (room == 0)
			return -1; /* the hook kept more than in_max of one message */
		if (c->tls) {
			got = gnutls_record_recv(c->tls, c->in + c->in_len, room);
			if (got == GNUTLS_E_AGAIN || got == GNUTLS_E_INTERRUPTED)
				return 0;
			if (got <= 0)
				return -1; /* closed, or a TLS error */
		} else {
			got = recv(c->fd, c->in + c->in_len, room, 0);
			if (got < 0 && (errno == EAGAIN || errno == EINTR))
				return 0;
			if (got <= 0)
				return -1;
		}
		c->in_len += (size_t)got;
		if (conn_consume(c))
			return -1;
	}
}

/* The chain was verified by GnuTLS against the trust list: the leaf goes to
 * the opened hook. */
static int conn_open(struct cot_conn *c)
{
	struct cot_net_hooks *h = &c->net->cfg.hooks;
	const unsigned char *cert = NULL;
	size_t len = 0;
	if (c->tls) {
		unsigned status = 0, n = 0;
		const gnutls_datum_t *chain = NULL;
		if (gnutls_certificate_verify_peers2(c->tls, &status) == 0 && status == 0)
			chain = gnutls_certificate_get_peers(c->tls, &n);
		if (!chain || n == 0) {
			fprintf(stderr, "tansiqd: cot %s: refused: no certificate signed by the cell CA\n", c->peer);
			return -1;
		}
		cert = chain[0].data;
		len = chain[0].size;
	}
	c->state_of_hooks = h->opened(h->ctx, c, cert, len);
	return c->state_of_hooks ? 0 : -1;
}

static int conn_handshake(struct cot_conn *c)
{
	if (c->tls) {
		int rc = gnutls_handshake(c->tls);
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			arm(c, gnutls_record_get_direction(c->tls) == 1);
			return 0;
		}
		if (rc < 0) {
			fprintf(stderr, "tansiqd: cot %s: TLS handshake failed: %s\n", c->peer, gnutls_strerror(rc));
			return -1;
		}
	}
	if (conn_open(c))
		return -1;
	c->state = CONN_LIVE;
	return conn_flush(c);
}

static void conn_event(struct cot_conn *c, uint32_t events)
{
	int rc = 0;
	if (c->state == CONN_HANDSHAKE) {
		rc = conn_handshake(c);
		if (rc == 0 && c->state == CONN_LIVE && c->tls && gnutls_record_check_pending(c->tls))
			rc = conn_read(c);
	} else {
		if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			rc = conn_read(c);
		if (rc == 0)
			rc = conn_flush(c);
	}
	if (rc)
		conn_free(c);
}

static void accept_all(struct cot_net *n)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int fd = accept4(n->cfg.fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (n->nconns >= COT_MAX_CONNECTIONS) {
			close(fd);
			continue;
		}
		struct cot_conn *c = calloc(1, sizeof *c);
		if (!c) {
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->net = n;
		c->fd = fd;
		c->opened = time(NULL);
		char host[48] = "?", port[8] = "?";
		getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, port, sizeof port,
			    NI_NUMERICHOST | NI_NUMERICSERV);
		snprintf(c->peer, sizeof c->peer, "%s:%s", host, port);
		if (n->cfg.cred) {
			if (gnutls_init(&c->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK) < 0 ||
			    gnutls_priority_set(c->tls, n->cfg.prio) < 0 ||
			    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, n->cfg.cred) < 0) {
				if (c->tls)
					gnutls_deinit(c->tls);
				close(fd);
				free(c);
				continue;
			}
			gnutls_certificate_server_set_request(c->tls, GNUTLS_CERT_REQUIRE);
			gnutls_transport_set_int(c->tls, fd);
		}
		pthread_mutex_lock(&n->mu);
		c->next = n->conns;
		if (n->conns)
			n->conns->prev = c;
		n->conns = c;
		n->nconns++;
		pthread_mutex_unlock(&n->mu);
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
		epoll_ctl(n->epfd, EPOLL_CTL_ADD, fd, &ev);
		conn_event(c, 0);
	}
}

/* Flushes connections that got bytes from other threads, closes the dead and
 * handshakes that take too long. */
static void sweep(struct cot_net *n)
{
	time_t now = time(NULL);
	struct cot_conn *c, *next;
	for (c = n->conns; c; c = next) {
		pthread_mutex_lock(&n->mu);
		int dead = c->dead, pending = c->out_len > c->out_off && !c->want_out;
		next = c->next;
		pthread_mutex_unlock(&n->mu);
		if (dead || (c->state == CONN_HANDSHAKE && now - c->opened > COT_HANDSHAKE_TIMEOUT_S) ||
		    (pending && conn_flush(c)))
			conn_free(c);
	}
}

static void *loop_main(void *arg)
{
	struct cot_net *n = arg;
	struct epoll_event evs[64];
	for (;;) {
		pthread_mutex_lock(&n->mu);
		int stop = n->stop;
		pthread_mutex_unlock(&n->mu);
		if (stop)
			break;
		int nev = epoll_wait(n->epfd, evs, 64, 1000);
		int swept = 0;
		for (int i = 0; i < nev; i++) {
			if (evs[i].data.ptr == &n->cfg.fd) {
				accept_all(n);
			} else if (evs[i].data.ptr == &n->efd) {
				uint64_t v;
				ssize_t r = read(n->efd, &v, sizeof v);
				(void)r;
				swept = 1;
			}
		}
		/* Connection events after the wake-up: a connection freed by sweep
		 * is never in evs (they are handled first, then sweep runs). */
		for (int i = 0; i < nev; i++)
			if (evs[i].data.ptr != &n->cfg.fd && evs[i].data.ptr != &n->efd)
				conn_event(evs[i].data.ptr, evs[i].events);
		if (swept || nev == 0)
			sweep(n);
	}
	while (n->conns)
		conn_free(n->conns);
	return NULL;
}

/* ---- life ------------------------------------------------------------------------------------ */

int cot_net_new(const struct cot_net_config *cfg, struct cot_net **out)
{
	struct cot_net *n = calloc(1, sizeof *n);
	*out = NULL;
	if (!n)
		return TQ_ENOMEM;
	n->cfg = *cfg;
	n->in_buffer_max = cfg->in_max + READ_CHUNK;
	pthread_mutex_init(&n->mu, NULL);
	n->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	n->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (n->efd < 0 || n->epfd < 0) {
		cot_net_free(n);
		return TQ_EIO;
	}
	struct epoll_event le = {.events = EPOLLIN, .data.ptr = &n->cfg.fd};
	struct epoll_event ee = {.events = EPOLLIN, .data.ptr = &n->efd};
	epoll_ctl(n->epfd, EPOLL_CTL_ADD, n->cfg.fd, &le);
	epoll_ctl(n->epfd, EPOLL_CTL_ADD, n->efd, &ee);
	*out = n;
	return TQ_OK;
}

int cot_net_run(struct cot_net *n)
{
	if (pthread_create(&n->thread, NULL, loop_main, n) != 0)
		return TQ_EIO;
	n->running = 1;
	return TQ_OK;
}

void cot_net_free(struct cot_net *n)
{
	if (!n)
		return;
	if (n->running) {
		pthread_mutex_lock(&n->mu);
		n->stop = 1;
		pthread_mutex_unlock(&n->mu);
		wake_loop(n);
		pthread_join(n->thread, NULL);
	}
	if (n->efd >= 0)
		close(n->efd);
	if (n->epfd >= 0)
		close(n->epfd);
	pthread_mutex_destroy(&n->mu);
	free(n);
}
