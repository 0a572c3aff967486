#include "server/cot_server.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "core/cot.h"
#include "server/ca.h"
#include "server/cot_feed.h"
#include "server/cot_net.h"
#include "server/cot_session.h"

struct cot_server {
	struct app *app;
	struct ca *ca;
	struct cot_net *net;
	struct cot_feed *feed;
	int lfd;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	struct who insecure_who;
};

/* ---- the connections' hooks (loop thread) ------------------------------------------------------ */

static void *on_opened(void *ctx, struct cot_conn *c, const unsigned char *cert, size_t len)
{
	struct cot_server *s = ctx;
	struct cot_session *ss = cot_session_new(s->app, c, cert, len, &s->insecure_who);
	if (!ss)
		return NULL;
	if (cot_feed_go_live(s->app, c, ss)) {
		fprintf(stderr, "tansiqd: cot %s (%s): the current state could not be sent\n", cot_conn_peer(c),
			ss->who.user);
		cot_session_free(ss);
		return NULL;
	}
	fprintf(stderr, "tansiqd: cot %s: connected as %s (%s)\n", cot_conn_peer(c), ss->who.user, ss->who.party);
	return ss;
}

static ssize_t on_received(void *ctx, struct cot_conn *c, void *state, const char *data, size_t len)
{
	struct cot_server *s = ctx;
	return cot_session_read(s->app, c, state, data, len);
}

static void on_closed(void *ctx, void *state)
{
	(void)ctx;
	cot_session_free(state);
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
	cot_feed_stop(s->feed); /* first: no event reaches a connection being closed */
	cot_net_free(s->net);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->cred)
		gnutls_certificate_free_credentials(s->cred);
	if (s->prio)
		gnutls_priority_deinit(s->prio);
	ca_free(s->ca);
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
	s->lfd = -1;
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
	if (o->insecure && (rc = cot_session_who(a, o->insecure_user, 1, &s->insecure_who))) {
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
	if (!o->insecure && (rc = tls_setup(s, o, host)))
		goto fail;
	struct cot_net_config cfg = {
		.fd = s->lfd,
		.cred = o->insecure ? NULL : s->cred,
		.prio = s->prio,
		.in_max = COT_EVENT_MAX,
		.hooks = {.ctx = s, .opened = on_opened, .received = on_received, .closed = on_closed},
	};
	/* The feed listens before the first connection can go live. */
	if ((rc = cot_net_new(&cfg, &s->net)) || (rc = cot_feed_start(a, s->net, &s->feed)) ||
	    (rc = cot_net_run(s->net)))
		goto fail;
	*out = s;
	return TQ_OK;
fail:
	cot_stop(s);
	return rc;
}
