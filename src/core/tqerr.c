#include "core/tqerr.h"

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
