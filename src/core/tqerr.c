#include "core/tqerr.h"
#include <stddef.h>

const char *tq_err_name(int err)
{
	switch (err) {
	case TQ_OK: return "ok";
	case TQ_EMALFORMED: return "malformed";
	case TQ_EAUTH: return "unauthorized";
	case TQ_EFORBIDDEN: return "forbidden";
	case TQ_ENOTFOUND: return "not-found";
	case TQ_ECONFLICT: return "conflict";
	case TQ_ETOOBIG: return "too-large";
	case TQ_EINVALID: return "invalid";
	case TQ_ENOMEM: return "out-of-memory";
	case TQ_EIO: return "io";
	case TQ_EINTERNAL: return "internal";
	case TQ_ERATE: return "rate-limited";
	case TQ_EMETHOD: return "method-not-allowed";
	case TQ_EMEDIA: return "unsupported-media-type";
	case TQ_EUNAVAIL: return "unavailable";
	}
	return "unknown";
}

const char *tq_status_title(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return NULL;
	}
}
