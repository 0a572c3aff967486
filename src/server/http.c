/*
 * http — the transport: libmicrohttpd glue. Reads requests whole within
 * limits (and per-address rate limits), hands them to the router, and writes
 * the answer or its problem+json (RFC 9457); TLS files and the listening
 * address.
 *
 * Reads (GET, HEAD) run on libmicrohttpd's threads; every other request runs
 * on a write worker, its connection suspended meanwhile: a writer waiting for
 * the writers' lock or for its group's fsync then holds none of the few
 * threads that serve reads (app.h: reads never wait for writers).
 */
#include "server/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "core/limits.h"
#include "server/connguard.h"
#include "server/hub.h"
#include "server/problem.h"
#include "server/ratelimit.h"

static struct MHD_Response *problem_response(struct req *r)
{
	int store_down = r->app->store && !store_available(r->app->store);
	int status = problem_status(req_status_of(r->err), &r->err, store_down, r->detail, sizeof r->detail);
	json_t *p = json_pack("{s:s, s:s, s:i, s:s}", "type", "about:blank", "title", req_status_title(status), "status",
			      status, "detail", r->detail[0] ? r->detail : req_status_title(status));
	char typebuf[96];
	snprintf(typebuf, sizeof typebuf, "urn:tansiq:problem:%s", tq_err_name(r->err));
	json_object_set_new(p, "type", json_string(typebuf));
	if (r->nerrors) {
		json_t *arr = json_array();
		for (int i = 0; i < r->nerrors; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s}", "field", r->errors[i].field, "message",
							     r->errors[i].message));
		json_object_set_new(p, "errors", arr);
	}
	char *text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	r->status = status;
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(text ? strlen(text) : 0, text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/problem+json");
	if (status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	if (status == 429 || status == 503) {
		char secs[16];
		snprintf(secs, sizeof secs, "%d", r->retry_after > 0 ? r->retry_after : 1);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
	return resp;
}

static struct MHD_Response *answer(struct req *r)
{
	struct MHD_Response *resp;
	if (r->err)
		return problem_response(r);
	if (r->response) {
		resp = r->response;
		r->response = NULL;
		return resp;
	}
	if (r->out) {
		char *text = json_dumps(r->out, HTTP_JSON_FLAGS);
		if (!text) {
			req_fail(r, TQ_ENOMEM, "out of memory");
			return problem_response(r);
		}
		resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
	} else {
		resp = MHD_create_response_from_buffer(r->out_len, r->out_text, MHD_RESPMEM_MUST_FREE);
		r->out_text = NULL;
		if (r->out_type)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->out_type);
	}
	if (r->location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->set_cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->set_cookie);
	return resp;
}

static void req_free(struct req *r)
{
	if (!r)
		return;
	if (r->stream && r->stream_free)
		r->stream_free(r->stream);
	if (r->response)
		MHD_destroy_response(r->response);
	free(r->signature_b64);
	free(r->body_b64);
	json_decref(r->json);
	json_decref(r->out);
	free(r->out_text);
	free(r->body);
	free(r->path);
	free(r);
}

/* Per source address, before anything is read or parsed. */
static int addr_limited(struct app *a, struct req *r)
{
	r->retry_after = ratelimit_take(a->rate_addr, r->addr, app_now());
	if (!r->retry_after)
		return 0;
	req_fail(r, TQ_ERATE, "too many requests from this address; retry in %d s", r->retry_after);
	return 1;
}

/* ---- request-line limits --------------------------------------------------- */

static enum MHD_Result add_query_len(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	size_t *n = cls;
	(void)kind;
	*n += 2 + strlen(k) + (v ? strlen(v) : 0); /* "&k=v" */
	return MHD_YES;
}

/* The length of the target: the path plus its query arguments (decoded, so
 * never longer than what the client sent). */
static size_t target_length(struct MHD_Connection *conn, const char *url)
{
	size_t n = strlen(url);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_query_len, &n);
	return n;
}

/* 414 for a request target over TQ_MAX_URL_BYTES, as problem+json. A target
 * too long for the connection's memory never reaches here: libmicrohttpd
 * answers those 414 itself. */
static enum MHD_Result answer_uri_too_long(struct MHD_Connection *conn)
{
	char text[256];
	int n = snprintf(text, sizeof text,
			 "{\"type\":\"urn:tansiq:problem:uri_too_long\",\"title\":\"URI Too Long\",\"status\":414,"
			 "\"detail\":\"the request target is longer than %d bytes\"}",
			 TQ_MAX_URL_BYTES);
	struct MHD_Response *resp = MHD_create_response_from_buffer((size_t)n, text, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/problem+json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ok = MHD_queue_response(conn, MHD_HTTP_URI_TOO_LONG, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* ---- write workers ------------------------------------------------------- */

/* Enough for a full group of concurrent writers to share one transaction
 * (commit.h): each waits on its own worker. */
#define HTTP_WRITE_WORKERS 64

struct job {
	struct req *r;
	struct job *next;
};

struct workers {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct job *head, **tail;
	int stop;
	unsigned n;
	pthread_t th[HTTP_WRITE_WORKERS];
};

static void *worker_main(void *arg)
{
	struct workers *w = arg;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (!w->head && !w->stop)
			pthread_cond_wait(&w->cond, &w->mu);
		struct job *j = w->head;
		if (j && !(w->head = j->next))
			w->tail = &w->head;
		pthread_mutex_unlock(&w->mu);
		if (!j)
			return NULL; /* stopping, and nothing left to run */
		struct req *r = j->r;
		free(j);
		router_dispatch(r);
		r->handed = 2;
		MHD_resume_connection(r->conn); /* on_request answers it */
	}
}

static void workers_stop(struct workers *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->mu);
	for (unsigned i = 0; i < w->n; i++)
		pthread_join(w->th[i], NULL); /* each runs what is queued first */
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

static struct workers *workers_start(void)
{
	struct workers *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->tail = &w->head;
	for (; w->n < HTTP_WRITE_WORKERS; w->n++)
		if (pthread_create(&w->th[w->n], NULL, worker_main, w))
			break;
	if (!w->n) {
		workers_stop(w);
		return NULL;
	}
	return w;
}

/* Hands r to a worker, its connection suspended: 0, or -1 when it must run
 * here (no workers, stopping, out of memory). */
static int workers_submit(struct workers *w, struct req *r)
{
	struct job *j;
	if (!w || !(j = calloc(1, sizeof *j)))
		return -1;
	j->r = r;
	pthread_mutex_lock(&w->mu);
	if (w->stop) {
		pthread_mutex_unlock(&w->mu);
		free(j);
		return -1;
	}
	/* Suspended before a worker can resume it. */
	r->handed = 1;
	MHD_suspend_connection(r->conn);
	*w->tail = j;
	w->tail = &j->next;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct app *a = cls;
	struct req *r = *con_cls;
	(void)version;

	if (!r) {
		connguard_headers_done(conn);
		if (target_length(conn, url) > TQ_MAX_URL_BYTES)
			return answer_uri_too_long(conn);
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		r->app = a;
		r->conn = conn;
		r->method = method;
		r->path = strdup(url);
		if (!r->path) {
			free(r);
			return MHD_NO;
		}
		*con_cls = r;
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		connguard_address(ci ? ci->client_addr : NULL, r->addr);
		if (a->rate_addr && addr_limited(a, r)) {
			struct MHD_Response *resp = problem_response(r);
			enum MHD_Result ok = MHD_queue_response(conn, 429, resp);
			MHD_destroy_response(resp);
			return ok;
		}
		/* Refuse an announced oversized body before reading any of it. */
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > a->max_body)
			r->body_too_big = 1;
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (r->body_too_big || r->body_len + n > a->max_body) {
			r->body_too_big = 1;
			free(r->body);
			r->body = NULL;
			r->body_len = 0;
			return MHD_YES;
		}
		char *grown = realloc(r->body, r->body_len + n + 1);
		if (!grown)
			return MHD_NO;
		memcpy(grown + r->body_len, upload_data, n);
		r->body = grown;
		r->body_len += n;
		r->body[r->body_len] = '\0';
		return MHD_YES;
	}
	if (r->handed == 1)
		return MHD_YES; /* not answered yet (never called while suspended) */
	if (!r->handed) {
		if (!r->body) {
			r->body = strdup("");
			if (!r->body)
				return MHD_NO;
		}
		if (!strcmp(method, "GET") || !strcmp(method, "HEAD") || workers_submit(a->workers, r) != 0)
			router_dispatch(r);
		else
			return MHD_YES; /* answered when the worker resumes the connection */
	}
	struct MHD_Response *resp = answer(r);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	enum MHD_Result ok = MHD_queue_response(conn, (unsigned)(r->status ? r->status : 200), resp);
	MHD_destroy_response(resp);
	return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	(void)cls;
	(void)code;
	req_free(*con_cls);
	*con_cls = NULL;
	connguard_request_done(conn);
}

int http_local(struct app *a, const char *token, const char *method, const char *path, const char *body,
	       int *status, json_t **out)
{
	char auth[320];
	struct req *r = calloc(1, sizeof *r);
	int rc;
	*out = NULL;
	if (!r)
		return TQ_ENOMEM;
	snprintf(auth, sizeof auth, "Bearer %s", token ? token : "");
	r->app = a;
	r->method = method;
	r->local_auth = auth;
	r->path = strdup(path);
	r->body = strdup(body ? body : "");
	if (!r->path || !r->body) {
		req_free(r);
		return TQ_ENOMEM;
	}
	r->body_len = strlen(r->body);
	router_dispatch(r);
	rc = r->err;
	if (rc) {
		*status = req_status_of(rc);
		*out = json_pack("{s:i, s:s}", "status", *status, "detail", r->detail);
	} else {
		*status = r->status;
		*out = r->out;
		r->out = NULL;
	}
	req_free(r);
	return rc;
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM}, *res;
	if (!colon || (size_t)(colon - listen) >= sizeof host || colon == listen)
		return TQ_EINVALID;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	if (host[0] == '[') {
		size_t n = strlen(host);
		if (host[n - 1] != ']')
			return TQ_EINVALID;
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return TQ_EINVALID;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return TQ_OK;
}

/* Reads a whole PEM file (small: certificates and keys). Returns owned. */
static char *read_pem(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < 1024 * 1024 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = '\0';
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* Memory libmicrohttpd gives each connection for its request line, headers and
 * answer head; a request whose head does not fit is answered 431/414 by
 * libmicrohttpd. Every open event stream keeps this pool, so it is what an idle
 * subscriber costs (bench/fanout: about 55 KiB resident per stream with 64 KiB,
 * about 20 KiB with 16 KiB). 16 KiB holds a 4 KiB target (TQ_MAX_URL_BYTES)
 * and a browser's headers several times over. */
#define HTTP_CONNECTION_MEMORY (16 * 1024)

/* The daemon's connection limit: every request slot and every stream slot,
 * plus a margin for connections being refused. Raises the process's open-file
 * limit to fit (each connection is a descriptor), or warns when it cannot. */
static unsigned connection_limit(const struct http_options *o)
{
	unsigned requests = o->max_requests ? o->max_requests : CONNGUARD_DEFAULT_MAX_REQUESTS;
	unsigned streams = o->max_streams ? o->max_streams : HUB_DEFAULT_MAX_STREAMS;
	unsigned limit = requests + streams + 64;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rlim_t want = (rlim_t)limit + 256; /* the store, logs, the listening socket */
		if (rl.rlim_cur < want) {
			rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur < want) {
			limit = rl.rlim_cur > 512 ? (unsigned)(rl.rlim_cur - 256) : 256;
			fprintf(stderr,
				"tansiqd: the open-file limit (%llu) holds only %u connections; raise it (ulimit -n) "
				"for %u request and %u stream slots\n",
				(unsigned long long)rl.rlim_cur, limit, requests, streams);
		}
	}
	return limit;
}

int http_start(struct app *a, const struct http_options *o, struct MHD_Daemon **out)
{
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ERROR_LOG;
	char *cert = NULL, *key = NULL;
	/* TLS 1.2 and 1.3 only. */
	static const char priorities[] = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE";

	if (parse_listen(o->listen, &ss)) {
		fprintf(stderr, "tansiqd: bad --listen address '%s' (want ADDR:PORT)\n", o->listen);
		return TQ_EINVALID;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (!o->tls_cert != !o->tls_key) {
		fprintf(stderr, "tansiqd: --tls-cert and --tls-key go together\n");
		return TQ_EINVALID;
	}
	if (o->tls_cert) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			fprintf(stderr, "tansiqd: this libmicrohttpd has no TLS support\n");
			return TQ_EINVALID;
		}
		cert = read_pem(o->tls_cert);
		key = read_pem(o->tls_key);
		if (!cert || !key) {
			fprintf(stderr, "tansiqd: cannot read %s\n", cert ? o->tls_key : o->tls_cert);
			free(cert);
			if (key)
				sodium_memzero(key, strlen(key));
			free(key);
			return TQ_EINVALID;
		}
		flags |= MHD_USE_TLS;
	}
	if (o->rate_limit > 0) {
		a->rate_user = ratelimit_new(o->rate_limit, 2 * o->rate_limit);
		a->rate_addr = ratelimit_new(4 * o->rate_limit, 8 * o->rate_limit);
	}
	/* TLS options only when TLS is on: libmicrohttpd warns about them otherwise. */
	struct MHD_OptionItem tls[] = {
		{MHD_OPTION_HTTPS_MEM_CERT, 0, cert},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, key},
		{MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)priorities},
		{MHD_OPTION_END, 0, NULL},
	};
	struct connguard *guard = NULL;
	unsigned limit = connection_limit(o);
	struct connguard_options go = {
		.max_requests = o->max_requests ? o->max_requests : CONNGUARD_DEFAULT_MAX_REQUESTS,
		.per_address = o->max_requests_per_address ? o->max_requests_per_address : CONNGUARD_DEFAULT_PER_ADDRESS,
		.header_timeout_s = o->header_timeout_s ? o->header_timeout_s : CONNGUARD_DEFAULT_HEADER_TIMEOUT_S,
	};
	if (connguard_new(&go, &guard)) {
		*out = NULL;
	} else {
		*out = MHD_start_daemon(flags, 0, connguard_accept, guard, on_request, a,
					MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
					MHD_OPTION_ARRAY, cert ? tls : &tls[3],
					MHD_OPTION_THREAD_POOL_SIZE, o->threads ? o->threads : 4,
					MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
					MHD_OPTION_CONNECTION_LIMIT, limit,
					MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
					MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
					MHD_OPTION_NOTIFY_CONNECTION, connguard_notify, guard,
					MHD_OPTION_END);
	}
	if (*out) {
		a->connguard = guard;
		a->workers = workers_start(); /* NULL: writes run on libmicrohttpd's threads */
	} else {
		connguard_free(guard);
	}
	free(cert);
	if (key)
		sodium_memzero(key, strlen(key));
	free(key);
	if (!*out) {
		fprintf(stderr, "tansiqd: cannot listen on %s\n", o->listen);
		return TQ_EIO;
	}
	return TQ_OK;
}

void http_stop(struct app *a, struct MHD_Daemon *d)
{
	/* Workers finish what they hold and resume those connections: the
	 * daemon must not stop with suspended ones. Later writes run inline. */
	workers_stop(a->workers);
	a->workers = NULL;
	if (d)
		MHD_stop_daemon(d);
	connguard_free(a->connguard);
	a->connguard = NULL;
	ratelimit_free(a->rate_user);
	ratelimit_free(a->rate_addr);
	a->rate_user = a->rate_addr = NULL;
}
