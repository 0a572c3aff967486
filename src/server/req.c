/*
 * req — see req.h.
 */
#include "server/req.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/limits.h"
#include "core/tqerr.h"

int req_status_of(int err)
{
	switch (err) {
	case TQ_OK: return 200;
	case TQ_EMALFORMED: return 400;
	case TQ_EAUTH: return 401;
	case TQ_EFORBIDDEN: return 403;
	case TQ_ENOTFOUND: return 404;
	case TQ_EMETHOD: return 405;
	case TQ_ECONFLICT: return 409;
	case TQ_ETOOBIG: return 413;
	case TQ_EMEDIA: return 415;
	case TQ_EINVALID: return 422;
	case TQ_ERATE: return 429;
	case TQ_EUNAVAIL: return 503;
	default: return 500;
	}
}

const char *req_status_title(int status)
{
	const char *t = tq_status_title(status);
	return t ? t : tq_status_title(500);
}

void req_json(struct req *r, int status, json_t *body)
{
	json_decref(r->out);
	r->status = status;
	r->out = body;
}

void req_text(struct req *r, int status, const char *type, char *text, size_t len)
{
	free(r->out_text);
	r->status = status;
	r->out_text = text;
	r->out_len = len;
	r->out_type = type;
}

/* Cuts s at its first byte that does not start a complete UTF-8 sequence.
 * Problem details quote input (jansson's error text, field names) and are cut
 * to fixed sizes; either can split a character, and JSON needs valid UTF-8
 * (found by fuzzing: the problem body came out empty). */
static void utf8_cut(char *s)
{
	unsigned char *p = (unsigned char *)s;
	while (*p) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		size_t i;
		if (n == 0)
			break;
		for (i = 1; i < n && (p[i] & 0xc0) == 0x80; i++)
			;
		if (i < n || (n == 2 && *p < 0xc2))
			break;
		p += n;
	}
	*p = '\0';
}

int req_fail(struct req *r, int err, const char *fmt, ...)
{
	va_list ap;
	r->err = err;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof r->detail, fmt, ap);
	va_end(ap);
	utf8_cut(r->detail);
	return err;
}

int req_fail_field(struct req *r, int err, const struct tq_field_error *fe)
{
	if (r->nerrors < REQ_MAX_ERRORS) {
		struct tq_field_error *copy = &r->errors[r->nerrors++];
		*copy = *fe;
		utf8_cut(copy->field);
		utf8_cut(copy->message);
	}
	r->err = err;
	if (!r->detail[0]) {
		snprintf(r->detail, sizeof r->detail, "%s: %s", fe->field, fe->message);
		utf8_cut(r->detail);
	}
	return err;
}

const char *req_query(struct req *r, const char *name)
{
	if (!r->conn)
		return NULL;
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_cookie(struct req *r, const char *name)
{
	return r->conn ? MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name) : NULL;
}

const char *req_header(struct req *r, const char *name)
{
	if (!r->conn) {
		/* In-process request: only what http_local sets. */
		if (strcasecmp(name, MHD_HTTP_HEADER_AUTHORIZATION) == 0)
			return r->local_auth;
		if (strcasecmp(name, MHD_HTTP_HEADER_CONTENT_TYPE) == 0)
			return "application/json";
		return NULL;
	}
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int req_limit(struct req *r, size_t *out)
{
	const char *s = req_query(r, "limit");
	char *end;
	*out = TQ_DEFAULT_LIST_LIMIT;
	if (!s)
		return TQ_OK;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 1 || v > TQ_MAX_LIST_LIMIT) {
		struct tq_field_error fe;
		TQ_FIELD_ERROR(&fe, "limit", "must be an integer from 1 to %d", TQ_MAX_LIST_LIMIT);
		return req_fail_field(r, TQ_EMALFORMED, &fe);
	}
	*out = (size_t)v;
	return TQ_OK;
}

int req_object(struct req *r, json_t **out)
{
	if (!r->json) {
		r->json = json_object();
		if (!r->json)
			return req_fail(r, TQ_ENOMEM, "out of memory");
	}
	if (!json_is_object(r->json))
		return req_fail(r, TQ_EMALFORMED, "the body must be a JSON object");
	*out = r->json;
	return TQ_OK;
}

void req_reset(struct req *r)
{
	json_decref(r->out);
	free(r->out_text);
	r->out = NULL;
	r->out_text = NULL;
	r->out_len = 0;
	r->out_type = NULL;
	r->status = 0;
	r->location[0] = r->set_cookie[0] = '\0';
	r->err = 0;
	r->retry_after = 0;
	r->detail[0] = '\0';
	r->nerrors = 0;
}
