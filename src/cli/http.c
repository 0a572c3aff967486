/*
 * http — libcurl wrapper. See http.h for the promises.
 */
#include "cli/http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <sodium.h>

#include "cli/table.h"

#define USER_AGENT "tansiq-cli/0.1"
#define CONNECT_TIMEOUT_S 10L

struct sink {
	char *buf;
	size_t len, cap;
	int toobig;
	/* streaming: 2xx bodies go to on_chunk instead of buf */
	http_chunk_fn on_chunk;
	void *arg;
	int stopped;
	CURL *curl;
};

struct hdrs {
	char ctype[128];
};

/* One connection cache for the whole run: `tansiq verify` makes a request
 * per entry, and reusing the connection makes that several times faster.
 * The CLI is single-threaded, so the share needs no lock callbacks. */
static CURLSH *conn_share;

void http_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	conn_share = curl_share_init();
	if (conn_share && curl_share_setopt(conn_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK) {
		curl_share_cleanup(conn_share);
		conn_share = NULL;
	}
}

void http_global_cleanup(void)
{
	if (conn_share)
		curl_share_cleanup(conn_share);
	conn_share = NULL;
	curl_global_cleanup();
}

void http_resp_free(struct http_resp *r)
{
	if (!r)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

static int sink_append(struct sink *s, const char *data, size_t n)
{
	/* curl's dynbuf pattern: a hard cap checked before growing. */
	if (n > HTTP_MAX_RESPONSE - s->len) {
		s->toobig = 1;
		return -1;
	}
	if (s->len + n + 1 > s->cap) {
		size_t ncap = s->cap ? s->cap : 4096;
		while (ncap < s->len + n + 1)
			ncap *= 2;
		if (ncap > HTTP_MAX_RESPONSE + 1)
			ncap = HTTP_MAX_RESPONSE + 1;
		char *nb = realloc(s->buf, ncap);
		if (!nb)
			return -1;
		s->buf = nb;
		s->cap = ncap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct sink *s = userp;
	size_t n = size * nmemb;
	if (s->on_chunk) {
		long status = 0;
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300) {
			if (s->on_chunk(data, n, s->arg)) {
				s->stopped = 1;
				return 0;
			}
			return n;
		}
	}
	if (sink_append(s, data, n))
		return 0;
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct hdrs *h = userp;
	size_t n = size * nmemb;
	static const char name[] = "content-type:";
	if (n > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
		size_t i = sizeof(name) - 1, o = 0;
		while (i < n && (data[i] == ' ' || data[i] == '\t'))
			i++;
		while (i < n && data[i] != '\r' && data[i] != '\n' && o + 1 < sizeof(h->ctype))
			h->ctype[o++] = (char)tolower((unsigned char)data[i++]);
		h->ctype[o] = '\0';
	}
	return n;
}

int http_append_escaped(char *buf, size_t cap, const char *s, int seg)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = strlen(buf);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int keep = isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~' ||
			   (seg && (*p == ':' || *p == '@'));
		size_t need = keep ? 1 : 3;
		if (o + need + 1 > cap)
			return TQ_ETOOBIG;
		if (keep) {
			buf[o++] = (char)*p;
		} else {
			buf[o++] = '%';
			buf[o++] = hex[*p >> 4];
			buf[o++] = hex[*p & 15];
		}
	}
	buf[o] = '\0';
	return 0;
}

static const char *reason_phrase(long status)
{
	const char *t = status >= 100 && status <= 599 ? tq_status_title((int)status) : NULL;
	return t ? t : "HTTP error";
}

void http_print_error(const struct http_resp *r)
{
	json_t *p = NULL;
	if (r->body && r->len && (strstr(r->ctype, "json") != NULL))
		p = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(p)) {
		const char *title = json_string_value(json_object_get(p, "title"));
		const char *detail = json_string_value(json_object_get(p, "detail"));
		fprintf(stderr, "error: %ld ", r->status);
		out_safe(stderr, title ? title : reason_phrase(r->status));
		if (detail) {
			fputs(": ", stderr);
			out_safe(stderr, detail);
		}
		fputc('\n', stderr);
		json_t *errs = json_object_get(p, "errors");
		size_t i;
		json_t *e;
		json_array_foreach(errs, i, e) {
			const char *f = json_string_value(json_object_get(e, "field"));
			const char *m = json_string_value(json_object_get(e, "message"));
			fputs("  ", stderr);
			out_safe(stderr, f ? f : "?");
			fputs(": ", stderr);
			out_safe(stderr, m ? m : "");
			fputc('\n', stderr);
		}
	} else {
		fprintf(stderr, "error: %ld %s", r->status, reason_phrase(r->status));
		if (r->body && r->len) {
			/* First line of a non-problem body, shortened: it may be anything. */
			char line[201];
			size_t n = 0;
			while (n < r->len && n < sizeof(line) - 1 && r->body[n] != '\n' && r->body[n] != '\0') {
				line[n] = r->body[n];
				n++;
			}
			line[n] = '\0';
			if (n) {
				fputs(": ", stderr);
				out_safe(stderr, line);
			}
		}
		fputc('\n', stderr);
	}
	json_decref(p);
}

json_t *http_resp_json(const struct http_resp *r)
{
	json_error_t jerr;
	json_t *j = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		fprintf(stderr, "error: server sent invalid JSON: ");
		out_safe(stderr, jerr.text);
		fputc('\n', stderr);
	}
	return j;
}

/* Sets up everything common to plain requests and streams. headers is extended (owned by caller). */
static int setup(CURL *c, const struct cli_ctx *ctx, const char *path, struct curl_slist **headers)
{
	char url[HTTP_MAX_PATH + 512];
	if (strncmp(ctx->url, "http://", 7) != 0 && strncmp(ctx->url, "https://", 8) != 0) {
		fprintf(stderr, "error: the server URL must start with http:// or https://\n");
		return CLI_EUSAGE;
	}
	if (strlen(ctx->url) + strlen(path) + 1 > sizeof(url)) {
		fprintf(stderr, "error: URL too long\n");
		return CLI_EUSAGE;
	}
	size_t base = strlen(ctx->url);
	while (base > 8 && ctx->url[base - 1] == '/')
		base--;   /* "http://host:port/" + "/v1/..." must not give "//v1" */
	int n = snprintf(url, sizeof(url), "%.*s%s", (int)base, ctx->url, path);
	if (n < 0 || (size_t)n >= sizeof(url)) {
		fprintf(stderr, "error: URL too long\n");
		return CLI_EUSAGE;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (conn_share)
		curl_easy_setopt(c, CURLOPT_SHARE, conn_share);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ctx->cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, ctx->cacert);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_MAX_RESPONSE);
	if (ctx->verbose)
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	if (ctx->token) {
		char auth[1024];
		if (strlen(ctx->token) > sizeof(auth) - 32 || strpbrk(ctx->token, "\r\n")) {
			fprintf(stderr, "error: the token is too long or contains a line break\n");
			return CLI_EUSAGE;
		}
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", ctx->token);
		*headers = curl_slist_append(*headers, auth);
		sodium_memzero(auth, sizeof(auth));
	}
	return CLI_OK;
}

/* Maps a finished transfer to an exit code, printing the error if any. */
static int finish(CURLcode rc, char *errbuf, struct sink *s, struct http_resp *out)
{
	if (rc != CURLE_OK && !(s->stopped && rc == CURLE_WRITE_ERROR)) {
		if (s->toobig || rc == CURLE_FILESIZE_EXCEEDED) {
			fprintf(stderr, "error: the server's answer exceeds %zu bytes\n", HTTP_MAX_RESPONSE);
		} else {
			fprintf(stderr, "error: network: ");
			out_safe(stderr, errbuf[0] ? errbuf : curl_easy_strerror(rc));
			fputc('\n', stderr);
		}
		return CLI_ESERVER;
	}
	if (out->status >= 200 && out->status < 300)
		return CLI_OK;
	http_print_error(out);
	if (out->status >= 400 && out->status < 500)
		return CLI_ECLIENT;
	return CLI_ESERVER;
}

int http_request(const struct cli_ctx *ctx, const char *method, const char *path,
		 const json_t *body, struct http_resp *out)
{
	struct sink s = {0};
	struct hdrs h = {{0}};
	struct curl_slist *headers = NULL;
	char *payload = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	int ret = CLI_ELOCAL;
	CURL *c = curl_easy_init();

	memset(out, 0, sizeof(*out));
	if (!c)
		goto fail;
	ret = setup(c, ctx, path, &headers);
	if (ret != CLI_OK)
		goto fail;
	ret = CLI_ELOCAL;
	headers = curl_slist_append(headers, "Accept: application/json, application/problem+json, */*");
	if (body) {
		payload = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!payload)
			goto fail;
		headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(payload));
	}
	if (ctx->idem_key && strcmp(method, "POST") == 0) {
		char hv[300];
		if (strlen(ctx->idem_key) > 255 || strpbrk(ctx->idem_key, "\r\n")) {
			fprintf(stderr, "error: bad --idempotency-key\n");
			ret = CLI_EUSAGE;
			goto fail;
		}
		snprintf(hv, sizeof(hv), "Idempotency-Key: %s", ctx->idem_key);
		headers = curl_slist_append(headers, hv);
	}
	if (ctx->if_match && strcmp(method, "GET") != 0) {
		char hv[64];
		snprintf(hv, sizeof(hv), "If-Match: %s", ctx->if_match);
		headers = curl_slist_append(headers, hv);
	}
	if (!headers)
		goto fail;
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (ctx->timeout_s > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT, ctx->timeout_s);

	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	if (!s.buf && sink_append(&s, "", 0) != 0)
		goto fail;
	out->body = s.buf;
	out->len = s.len;
	s.buf = NULL;
	memcpy(out->ctype, h.ctype, sizeof(out->ctype));
	ret = finish(rc, errbuf, &s, out);
fail:
	if (ret == CLI_ELOCAL)
		fprintf(stderr, "error: out of memory\n");
	free(s.buf);
	free(payload);
	curl_slist_free_all(headers);
	if (c)
		curl_easy_cleanup(c);
	return ret;
}

int http_stream(const struct cli_ctx *ctx, const char *path, const char *last_event_id,
		http_chunk_fn on_chunk, void *arg, long *status, int *stopped)
{
	struct sink s = {0};
	struct hdrs h = {{0}};
	struct http_resp resp = {0};
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	int ret = CLI_ELOCAL;
	CURL *c = curl_easy_init();

	*status = 0;
	*stopped = 0;
	if (!c)
		goto fail;
	ret = setup(c, ctx, path, &headers);
	if (ret != CLI_OK)
		goto fail;
	ret = CLI_ELOCAL;
	headers = curl_slist_append(headers, "Accept: text/event-stream");
	headers = curl_slist_append(headers, "Cache-Control: no-cache");
	if (last_event_id && *last_event_id) {
		char hv[128];
		if (strlen(last_event_id) > 64 || strpbrk(last_event_id, "\r\n"))
			goto fail;
		snprintf(hv, sizeof(hv), "Last-Event-ID: %s", last_event_id);
		headers = curl_slist_append(headers, hv);
	}
	if (!headers)
		goto fail;
	s.on_chunk = on_chunk;
	s.arg = arg;
	s.curl = c;
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	/* A silent server is noticed by TCP keepalive, not by an overall timeout. */
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)0);

	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
	*status = resp.status;
	*stopped = s.stopped;
	resp.body = s.buf;
	resp.len = s.len;
	memcpy(resp.ctype, h.ctype, sizeof(resp.ctype));
	s.buf = NULL;
	ret = finish(rc, errbuf, &s, &resp);
fail:
	if (ret == CLI_ELOCAL)
		fprintf(stderr, "error: out of memory or bad Last-Event-ID\n");
	http_resp_free(&resp);
	free(s.buf);
	curl_slist_free_all(headers);
	if (c)
		curl_easy_cleanup(c);
	return ret;
}
