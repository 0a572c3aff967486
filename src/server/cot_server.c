#define _GNU_SOURCE /* accept4 */
#include "server/cot_server.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "core/cot.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/ca.h"
#include "server/hub.h"

#define READ_CHUNK (16 * 1024)
#define SEND_CHUNK (16 * 1024)
/* Inbound bytes kept while waiting for the end of an event. */
#define IN_BUFFER_MAX (COT_EVENT_MAX + READ_CHUNK)
/* Ignored inbound events are logged, at most this many per connection. */
#define IGNORED_LOG_MAX 3
#define PARTY_CACHE_MAX 32

enum conn_state { CONN_HANDSHAKE, CONN_LIVE };

struct conn {
	struct cot_server *srv;
	int fd;
	gnutls_session_t tls;       /* NULL: plain TCP (--cot-insecure) */
	enum conn_state state;
	time_t opened;
	char peer[64];
	struct who who;             /* valid once identified */
	/* inbound (loop thread only) */
	char *in;
	size_t in_len, in_cap;
	int ignored;
	/* outbound: under srv->mu */
	int live;                   /* receives published events */
	int dead;                   /* to be closed by the loop: overflow, user deleted, error */
	char *out;
	size_t out_off, out_len, out_cap;
	int send_retry;             /* a GnuTLS send returned EAGAIN: resume with NULL, 0 */
	int want_out;               /* EPOLLOUT is armed */
	struct conn *prev, *next;
};

struct cot_server {
	struct app *app;
	struct hub *hub;
	struct ca *ca;
	int lfd, efd, epfd;
	pthread_t thread;
	int stop;                   /* under mu */
	pthread_mutex_t mu;
	struct conn *conns;
	size_t nconns;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	int tls;
	struct who insecure_who;
};

/* ---- outbound buffer (srv->mu held) ---------------------------------------------- */

static void wake_loop(struct cot_server *s)
{
	uint64_t one = 1;
	ssize_t n = write(s->efd, &one, sizeof one);
	(void)n; /* a full eventfd already wakes the loop */
}

static void conn_kill(struct conn *c, const char *why)
{
	if (!c->dead) {
		c->dead = 1;
		fprintf(stderr, "tansiqd: cot %s (%s): closing: %s\n", c->peer, c->who.user[0] ? c->who.user : "-", why);
	}
	free(c->out);
	c->out = NULL;
	c->out_off = c->out_len = c->out_cap = 0;
	c->send_retry = 0;
	wake_loop(c->srv);
}

/* Appends; a client whose pending bytes would pass the cap is cut off. */
static void conn_append(struct conn *c, const char *data, size_t n)
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

/* ---- the hub listener: after each commit, under the app lock ------------------------ */

struct party_xml {
	char party[16];
	struct cot_buf xml;
	int rc;
};

static void on_event(void *ctx, uint64_t index, const char *type, const char *track, const char *audience,
		     const char *leaf, size_t leaf_len)
{
	struct cot_server *s = ctx;
	struct party_xml cache[PARTY_CACHE_MAX];
	size_t ncache = 0;
	json_t *ev = NULL, *payload = NULL;
	int deleted_user = !strcmp(type, "user.deleted");
	(void)index;

	/* Only types that become CoT, or close connections, are decoded. */
	if (!deleted_user && strncmp(type, "zone.", 5) && strncmp(type, "deployment.", 11) &&
	    strncmp(type, "activity.", 9) && strncmp(type, "conflict.", 9) && strcmp(type, "message.created"))
		return;
	pthread_mutex_lock(&s->mu);
	if (!s->conns)
		goto done;
	ev = json_loadb(leaf, leaf_len, 0, NULL);
	payload = json_object_get(ev, "payload");
	if (!payload)
		goto done;
	tq_time now = app_now();
	for (struct conn *c = s->conns; c; c = c->next) {
		if (c->dead || !c->live)
			continue;
		if (deleted_user) {
			const char *id = json_string_value(json_object_get(payload, "id"));
			if (id && !strcmp(id, c->who.user))
				conn_kill(c, "user deleted");
			continue;
		}
		if (!auth_event_visible(&c->who, audience))
			continue;
		/* The XML depends on the viewer's party only (affiliation): once per party. */
		size_t k;
		for (k = 0; k < ncache && strcmp(cache[k].party, c->who.party); k++)
			;
		if (k == ncache) {
			if (ncache == PARTY_CACHE_MAX) {
				conn_kill(c, "too many parties in one event");
				continue;
			}
			memset(&cache[k], 0, sizeof cache[k]);
			snprintf(cache[k].party, sizeof cache[k].party, "%s", c->who.party);
			struct cot_view v = {c->who.party, now};
			cache[k].rc = cot_log_event_xml(type, payload, track, &v, &cache[k].xml);
			if (cache[k].rc)
				fprintf(stderr, "tansiqd: cot: event %s of %s not mapped: %s\n", type, track ? track : "-",
					tq_err_name(cache[k].rc));
			ncache++;
		}
		if (!cache[k].rc && cache[k].xml.len) {
			conn_append(c, cache[k].xml.data, cache[k].xml.len);
			wake_loop(s);
		}
	}
done:
	pthread_mutex_unlock(&s->mu);
	for (size_t k = 0; k < ncache; k++)
		cot_buf_free(&cache[k].xml);
	json_decref(ev);
}

/* ---- snapshot at connect -------------------------------------------------------------- */

struct snap {
	const char *type, *role, *track;
	const struct who *who;
	struct cot_view view;
	struct cot_buf xml;
	int rc;
};

static int snap_visit(void *ctx, json_t *obj)
{
	struct snap *sn = ctx;
	if (!auth_sees(sn->role, sn->who->party, sn->type, obj) || !cot_object_shown(sn->type, obj))
		return 0;
	int rc = cot_object_xml(sn->type, obj, sn->track, &sn->view, &sn->xml);
	if (rc == TQ_ENOMEM) {
		sn->rc = rc;
		return -1;
	}
	if (sn->xml.len > COT_CONN_BUFFER_MAX) {
		sn->rc = TQ_ETOOBIG;
		return -1;
	}
	return 0; /* an object that cannot be drawn is skipped, not fatal */
}

/* Sends the current state and goes live, atomically with respect to commits:
 * every event before this moment is in the snapshot, every later one comes
 * through on_event. */
static int conn_go_live(struct conn *c)
{
	static const char *const types[] = {"zone", "deployment", "activity", "conflict", NULL};
	struct app *a = c->srv->app;
	json_t *tracks = NULL, *t;
	size_t i;
	struct snap sn = {.who = &c->who};
	int rc;

	app_lock_read(a);
	sn.view.party = c->who.party;
	sn.view.now = app_now();
	/* Again under the lock: a user deleted since the handshake's check had its
	 * user.deleted event published while this connection was not yet live. */
	struct store_user u;
	if ((rc = store_user_get(a->store, c->who.user, &u)) == TQ_OK)
		store_user_clear(&u);
	if (!rc)
		rc = store_track_all(a->store, &tracks);
	json_array_foreach(tracks, i, t) {
		const char *tid = json_string_value(json_object_get(t, "id"));
		const char *role = app_member_role(t, c->who.party);
		if (rc || !tid || !role)
			continue;
		sn.role = role;
		sn.track = tid;
		for (const char *const *ty = types; *ty && !rc; ty++) {
			sn.type = *ty;
			rc = store_obj_scan(a->store, tid, *ty, NULL, 0, 0, snap_visit, &sn);
			if (!rc)
				rc = sn.rc;
		}
	}
	pthread_mutex_lock(&c->srv->mu);
	if (!rc) {
		conn_append(c, sn.xml.data ? sn.xml.data : "", sn.xml.len);
		c->live = 1;
	}
	pthread_mutex_unlock(&c->srv->mu);
	app_unlock(a);
	json_decref(tracks);
	cot_buf_free(&sn.xml);
	return rc;
}

/* ---- identity --------------------------------------------------------------------------- */

static int who_of_user(struct app *a, const char *id_or_name, int by_name, struct who *w)
{
	struct store_user u;
	int rc;
	app_lock_read(a);
	rc = by_name ? store_user_by_name(a->store, id_or_name, &u) : store_user_get(a->store, id_or_name, &u);
	app_unlock(a);
	if (rc)
		return rc;
	memset(w, 0, sizeof *w);
	snprintf(w->user, sizeof w->user, "%s", u.id);
	snprintf(w->name, sizeof w->name, "%s", u.name);
	snprintf(w->party, sizeof w->party, "%s", u.party);
	snprintf(w->role, sizeof w->role, "%s", u.role);
	store_user_clear(&u);
	return TQ_OK;
}

/* The chain was verified by GnuTLS against the cell CA; the CN names the user,
 * who must still exist (a deleted user's certificate is refused here). */
static int conn_identify(struct conn *c)
{
	unsigned status = 0, n = 0;
	char cn[64];
	if (!c->tls) {
		c->who = c->srv->insecure_who;
		return TQ_OK;
	}
	if (gnutls_certificate_verify_peers2(c->tls, &status) < 0 || status != 0)
		return TQ_EAUTH;
	const gnutls_datum_t *chain = gnutls_certificate_get_peers(c->tls, &n);
	if (!chain || n == 0 || ca_cert_cn(chain[0].data, chain[0].size, cn, sizeof cn))
		return TQ_EAUTH;
	return who_of_user(c->srv->app, cn, 0, &c->who) == TQ_OK ? TQ_OK : TQ_EAUTH;
}

/* ---- connection I/O (loop thread) ------------------------------------------------------------ */

static void conn_free(struct conn *c)
{
	struct cot_server *s = c->srv;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	pthread_mutex_lock(&s->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	pthread_mutex_unlock(&s->mu);
	if (c->tls)
		gnutls_deinit(c->tls);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static void arm(struct conn *c, int want_out)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0), .data.ptr = c};
	if (c->want_out != want_out) {
		c->want_out = want_out;
		epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

/* Sends what is pending; returns -1 when the connection must close. The lock
 * is let go between records, so that a committer appending to the buffers
 * waits for at most one record's encryption and send, never for a whole
 * backlog. */
static int conn_flush(struct conn *c)
{
	struct cot_server *s = c->srv;
	int rc = 0;
	pthread_mutex_lock(&s->mu);
	while (!c->dead && (c->out_len > c->out_off || c->send_retry)) {
		pthread_mutex_unlock(&s->mu);
		pthread_mutex_lock(&s->mu);
		if (c->dead || !(c->out_len > c->out_off || c->send_retry))
			break;
		size_t n = c->out_len - c->out_off < SEND_CHUNK ? c->out_len - c->out_off : SEND_CHUNK;
		ssize_t w;
		if (c->tls) {
			w = c->send_retry ? gnutls_record_send(c->tls, NULL, 0)
					  : gnutls_record_send(c->tls, c->out + c->out_off, n);
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
			w = send(c->fd, c->out + c->out_off, n, MSG_NOSIGNAL);
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
	pthread_mutex_unlock(&s->mu);
	if (rc == 0)
		arm(c, pending);
	return rc;
}

static void conn_queue(struct conn *c, const struct cot_buf *b)
{
	pthread_mutex_lock(&c->srv->mu);
	conn_append(c, b->data ? b->data : "", b->len);
	pthread_mutex_unlock(&c->srv->mu);
}

/* A GeoChat into a track's room → hotline message, by this user. */
static void inbound_chat(struct conn *c, const struct cot_in *in)
{
	const char *room = in->chatroom[0] ? in->chatroom : in->chat_id;
	char subject[160], detail[512];
	snprintf(subject, sizeof subject, "GeoChat from %s", in->sender[0] ? in->sender : c->who.name);
	json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "to", "all", "precedence", "routine", "subject", subject,
				 "body", in->remarks ? in->remarks : "");
	if (!body) {
		fprintf(stderr, "tansiqd: cot %s (%s): GeoChat not posted: out of memory\n", c->peer, c->who.user);
		return;
	}
	int rc = api_hotline_post_as(c->srv->app, &c->who, room, body, detail, sizeof detail);
	json_decref(body);
	if (rc)
		fprintf(stderr, "tansiqd: cot %s (%s): GeoChat to room '%.64s' not posted: %s\n", c->peer, c->who.user,
			room, detail[0] ? detail : tq_err_name(rc));
}

/* Handles every whole event in the input buffer; -1 closes the connection. */
static int conn_consume(struct conn *c)
{
	size_t off = 0, st, en;
	int rc = 0;
	for (;;) {
		enum cot_frame f = cot_frame(c->in + off, c->in_len - off, &st, &en);
		if (f == COT_FRAME_TOOBIG) {
			pthread_mutex_lock(&c->srv->mu);
			conn_kill(c, "inbound event over 64 KiB");
			pthread_mutex_unlock(&c->srv->mu);
			rc = -1;
			break;
		}
		if (f == COT_FRAME_MORE) {
			off += st; /* drop blank space */
			break;
		}
		struct cot_in in;
		int prc = cot_parse(c->in + off + st, en - st, &in);
		off += en;
		if (prc) {
			pthread_mutex_lock(&c->srv->mu);
			conn_kill(c, prc == TQ_EFORBIDDEN ? "inbound XML with a DTD or entity" : "malformed inbound XML");
			pthread_mutex_unlock(&c->srv->mu);
			rc = -1;
			break;
		}
		if (!strcmp(in.type, "t-x-c-t")) {
			struct cot_buf pong = {0};
			if (cot_pong_xml(app_now(), &pong) == TQ_OK)
				conn_queue(c, &pong);
			cot_buf_free(&pong);
		} else if (!strcmp(in.type, "b-t-f") && in.is_chat) {
			inbound_chat(c, &in);
		} else if (c->ignored++ < IGNORED_LOG_MAX) {
			fprintf(stderr, "tansiqd: cot %s (%s): ignored inbound event of type '%.64s'\n", c->peer,
				c->who.user, in.type);
		}
		cot_in_clear(&in);
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	return rc;
}

static int conn_read(struct conn *c)
{
	for (;;) {
		/* The buffer grows to IN_BUFFER_MAX only while a large event arrives. */
		if (c->in_len + READ_CHUNK / 4 > c->in_cap && c->in_cap < IN_BUFFER_MAX) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 4096;
			char *g = realloc(c->in, cap < IN_BUFFER_MAX ? cap : IN_BUFFER_MAX);
			if (!g)
				return -1;
			c->in = g;
			c->in_cap = cap < IN_BUFFER_MAX ? cap : IN_BUFFER_MAX;
		}
		size_t room = c->in_cap - c->in_len;
		ssize_t n;
		if (room == 0)
			return -1; /* cannot happen: consume leaves at most COT_EVENT_MAX */
		if (c->tls) {
			n = gnutls_record_recv(c->tls, c->in + c->in_len, room);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				return 0;
			if (n <= 0)
				return -1; /* closed, or a TLS error */
		} else {
			n = recv(c->fd, c->in + c->in_len, room, 0);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return 0;
			if (n <= 0)
				return -1;
		}
		c->in_len += (size_t)n;
		if (conn_consume(c))
			return -1;
	}
}

static int conn_handshake(struct conn *c)
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
	if (conn_identify(c)) {
		fprintf(stderr, "tansiqd: cot %s: refused: no valid certificate of an existing user\n", c->peer);
		return -1;
	}
	c->state = CONN_LIVE;
	if (conn_go_live(c)) {
		fprintf(stderr, "tansiqd: cot %s (%s): the current state could not be sent\n", c->peer, c->who.user);
		return -1;
	}
	fprintf(stderr, "tansiqd: cot %s: connected as %s (%s)\n", c->peer, c->who.user, c->who.party);
	return conn_flush(c);
}

static void conn_event(struct conn *c, uint32_t events)
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

static void accept_all(struct cot_server *s)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (s->nconns >= COT_MAX_CONNECTIONS) {
			close(fd);
			continue;
		}
		struct conn *c = calloc(1, sizeof *c);
		if (!c) {
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->srv = s;
		c->fd = fd;
		c->opened = time(NULL);
		char host[48] = "?", port[8] = "?";
		getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, port, sizeof port,
			    NI_NUMERICHOST | NI_NUMERICSERV);
		snprintf(c->peer, sizeof c->peer, "%s:%s", host, port);
		if (s->tls) {
			if (gnutls_init(&c->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK) < 0 ||
			    gnutls_priority_set(c->tls, s->prio) < 0 ||
			    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, s->cred) < 0) {
				if (c->tls)
					gnutls_deinit(c->tls);
				close(fd);
				free(c);
				continue;
			}
			gnutls_certificate_server_set_request(c->tls, GNUTLS_CERT_REQUIRE);
			gnutls_transport_set_int(c->tls, fd);
		}
		pthread_mutex_lock(&s->mu);
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
		pthread_mutex_unlock(&s->mu);
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
		epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
		conn_event(c, 0);
	}
}

/* Flushes connections that got bytes from the listener, closes the dead and
 * handshakes that take too long. */
static void sweep(struct cot_server *s)
{
	time_t now = time(NULL);
	struct conn *c, *next;
	for (c = s->conns; c; c = next) {
		pthread_mutex_lock(&s->mu);
		int dead = c->dead, pending = c->out_len > c->out_off && !c->want_out;
		next = c->next;
		pthread_mutex_unlock(&s->mu);
		if (dead || (c->state == CONN_HANDSHAKE && now - c->opened > COT_HANDSHAKE_TIMEOUT_S) ||
		    (pending && conn_flush(c)))
			conn_free(c);
	}
}

static void *loop_main(void *arg)
{
	struct cot_server *s = arg;
	struct epoll_event evs[64];
	for (;;) {
		pthread_mutex_lock(&s->mu);
		int stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			break;
		int n = epoll_wait(s->epfd, evs, 64, 1000);
		int swept = 0;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &s->lfd) {
				accept_all(s);
			} else if (evs[i].data.ptr == &s->efd) {
				uint64_t v;
				ssize_t r = read(s->efd, &v, sizeof v);
				(void)r;
				swept = 1;
			}
		}
		/* Connection events after the wake-up: a connection freed by sweep
		 * is never in evs (they are handled first, then sweep runs). */
		for (int i = 0; i < n; i++)
			if (evs[i].data.ptr != &s->lfd && evs[i].data.ptr != &s->efd)
				conn_event(evs[i].data.ptr, evs[i].events);
		if (swept || n == 0)
			sweep(s);
	}
	while (s->conns)
		conn_free(s->conns);
	return NULL;
}

/* ---- start / stop ---------------------------------------------------------------------------- */

static int is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr, &in6addr_loopback, 16);
	return 0;
}

static int bind_listen(const char *listen_addr, int insecure, int *fd_out, char *host, size_t host_len)
{
	const char *colon = strrchr(listen_addr, ':');
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM}, *res;
	struct sockaddr_storage ss;
	if (!colon || colon == listen_addr || (size_t)(colon - listen_addr) >= host_len)
		return TQ_EINVALID;
	memcpy(host, listen_addr, (size_t)(colon - listen_addr));
	host[colon - listen_addr] = '\0';
	if (host[0] == '[') {
		size_t n = strlen(host);
		if (host[n - 1] != ']')
			return TQ_EINVALID;
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return TQ_EINVALID;
	memcpy(&ss, res->ai_addr, res->ai_addrlen);
	socklen_t sl = res->ai_addrlen;
	freeaddrinfo(res);
	if (insecure && !is_loopback(&ss)) {
		fprintf(stderr, "tansiqd: --cot-insecure serves plain TCP on a loopback address only\n");
		return TQ_EINVALID;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return TQ_EIO;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 1024) != 0) {
		fprintf(stderr, "tansiqd: cannot listen for CoT on %s: %s\n", listen_addr, strerror(errno));
		close(fd);
		return TQ_EINVALID;
	}
	*fd_out = fd;
	return TQ_OK;
}

static int tls_setup(struct cot_server *s, const struct cot_options *o, const char *host)
{
	char *cert = NULL, *key = NULL;
	int rc = TQ_EINVALID;
	gnutls_datum_t ca = {(unsigned char *)ca_cert_pem(s->ca), (unsigned)strlen(ca_cert_pem(s->ca))};
	if (gnutls_certificate_allocate_credentials(&s->cred) < 0 || gnutls_priority_init(&s->prio, NULL, NULL) < 0)
		return TQ_ENOMEM;
	/* Client certificates are trusted only when the cell CA signed them. */
	if (gnutls_certificate_set_x509_trust_mem(s->cred, &ca, GNUTLS_X509_FMT_PEM) <= 0) {
		fprintf(stderr, "tansiqd: the cell CA certificate is unusable\n");
		return TQ_EINVALID;
	}
	if (o->tls_cert) {
		if (gnutls_certificate_set_x509_key_file(s->cred, o->tls_cert, o->tls_key, GNUTLS_X509_FMT_PEM) < 0) {
			fprintf(stderr, "tansiqd: cannot load --cot-tls-cert/--cot-tls-key\n");
			return TQ_EINVALID;
		}
		return TQ_OK;
	}
	/* No certificate given: one from the cell CA, for the listen address, kept
	 * in memory only (clients trust the CA in their data package). */
	if (ca_issue_keypair(s->ca, NULL, NULL, host, app_now(), &cert, &key) == TQ_OK) {
		gnutls_datum_t c = {(unsigned char *)cert, (unsigned)strlen(cert)};
		gnutls_datum_t k = {(unsigned char *)key, (unsigned)strlen(key)};
		if (gnutls_certificate_set_x509_key_mem(s->cred, &c, &k, GNUTLS_X509_FMT_PEM) >= 0)
			rc = TQ_OK;
	}
	if (rc)
		fprintf(stderr, "tansiqd: cannot issue the CoT server certificate\n");
	free(cert);
	if (key) {
		memset(key, 0, strlen(key));
		free(key);
	}
	return rc;
}

void cot_stop(struct cot_server *s)
{
	if (!s)
		return;
	if (s->hub)
		hub_unlisten(s->hub, on_event, s);
	if (s->thread) {
		pthread_mutex_lock(&s->mu);
		s->stop = 1;
		pthread_mutex_unlock(&s->mu);
		wake_loop(s);
		pthread_join(s->thread, NULL);
	}
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->efd >= 0)
		close(s->efd);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->cred)
		gnutls_certificate_free_credentials(s->cred);
	if (s->prio)
		gnutls_priority_deinit(s->prio);
	ca_free(s->ca);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int cot_start(struct app *a, const struct cot_options *o, struct cot_server **out)
{
	struct cot_server *s = calloc(1, sizeof *s);
	char host[256];
	int created = 0, rc;

	*out = NULL;
	if (!s)
		return TQ_ENOMEM;
	s->app = a;
	s->lfd = s->efd = s->epfd = -1;
	pthread_mutex_init(&s->mu, NULL);
	s->tls = !o->insecure;
	if (!!o->tls_cert != !!o->tls_key) {
		fprintf(stderr, "tansiqd: give both --cot-tls-cert and --cot-tls-key, or neither\n");
		rc = TQ_EINVALID;
		goto fail;
	}
	if (o->insecure && !o->insecure_user) {
		fprintf(stderr, "tansiqd: --cot-insecure needs --cot-insecure-user NAME (the user plain "
				"connections act as)\n");
		rc = TQ_EINVALID;
		goto fail;
	}
	if (o->insecure && (rc = who_of_user(a, o->insecure_user, 1, &s->insecure_who))) {
		fprintf(stderr, "tansiqd: --cot-insecure-user: no user named %s\n", o->insecure_user);
		rc = TQ_EINVALID;
		goto fail;
	}
	if ((rc = ca_ensure(a->data_dir, a->origin, app_now(), &created)) || (rc = ca_load(a->data_dir, &s->ca)))
		goto fail;
	if (created)
		fprintf(stderr, "tansiqd: created the cell CA %s/%s\n", a->data_dir, CA_CERT_FILE);
	if ((rc = bind_listen(o->listen, o->insecure, &s->lfd, host, sizeof host)))
		goto fail;
	if (s->tls && (rc = tls_setup(s, o, host)))
		goto fail;
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->efd < 0 || s->epfd < 0) {
		rc = TQ_EIO;
		goto fail;
	}
	struct epoll_event le = {.events = EPOLLIN, .data.ptr = &s->lfd};
	struct epoll_event ee = {.events = EPOLLIN, .data.ptr = &s->efd};
	epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &le);
	epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->efd, &ee);
	if (!(s->hub = hub_of(a)) || (rc = hub_listen(s->hub, on_event, s))) {
		s->hub = NULL;
		rc = TQ_EIO;
		goto fail;
	}
	if (pthread_create(&s->thread, NULL, loop_main, s) != 0) {
		s->thread = 0;
		rc = TQ_EIO;
		goto fail;
	}
	*out = s;
	return TQ_OK;
fail:
	cot_stop(s);
	return rc;
}
