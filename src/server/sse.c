#include "server/sse.h"

#include <stdlib.h>
#include <string.h>
#include "server/api.h"
#include "server/auth.h"
#include "server/connguard.h"
#include "server/hub.h"

/* The resume point: Last-Event-ID, else ?after=. *have = 0 when neither is given.
 * Last-Event-ID wins because a browser's EventSource reconnects to the URL it
 * was opened with (?after= and all) and sends the newer position in the header. */
static int resume_point(struct req *r, int *have, uint64_t *after)
{
	const char *s = req_header(r, "Last-Event-ID");
	const char *what = "Last-Event-ID";
	char *end;
	*have = 0;
	if (!s) {
		s = req_query(r, "after");
		what = "after";
	}
	if (!s)
		return TQ_OK;
	if (*s < '0' || *s > '9' || strlen(s) > 19)
		return req_fail(r, TQ_EMALFORMED, "%s must be a log index (a non-negative integer)", what);
	*after = strtoull(s, &end, 10);
	if (*end)
		return req_fail(r, TQ_EMALFORMED, "%s must be a log index (a non-negative integer)", what);
	*have = 1;
	return TQ_OK;
}

static int stream(struct req *r, const char *track)
{
	struct hub *h = hub_of(r->app);
	uint64_t after = 0, size;
	int have, rc;

	/* Listeners change under the app lock only (hub.h): not in a snapshot. */
	if ((rc = app_need_lock(r->app)) || (rc = resume_point(r, &have, &after)))
		return rc;
	if (track) {
		json_t *t;
		const char *role;
		/* 404 for a non-member; the cell admin may follow a track's metadata events. */
		if ((rc = auth_track(r, track, &t, &role)))
			return rc;
		json_decref(t);
	}
	if (!r->conn || !h)
		return req_fail(r, TQ_EIO, "the event stream is not available");
	if ((rc = store_log_size(r->app->store, &size)))
		return req_fail(r, rc, "store failure");
	/* A resume point beyond the log names an event that does not exist (a
	 * client of another cell, or a log that was replaced): say so, rather
	 * than wait silently for indices that may never come (README, Live events). */
	if (have && after >= size)
		return req_fail(r, TQ_EMALFORMED,
				"%s %llu is beyond the log (its last index is %lld); resume from an index the log has",
				req_header(r, "Last-Event-ID") ? "Last-Event-ID" : "after", (unsigned long long)after,
				(long long)size - 1);
	/* Under the app lock: every event below size has been published already,
	 * so a live stream starting at size misses nothing committed later. */
	struct hub_stream p = {
		.who = &r->who,
		.session = r->by_cookie ? r->session : NULL,
		.address = r->addr,
		.track = track,
		.from = have ? after + 1 : size,
	};
	p.live = p.from >= size;
	const char *detail;
	rc = hub_subscribe(h, r->conn, &p, &r->response, &detail);
	if (rc) {
		if (rc == TQ_ERATE)
			r->retry_after = 5;
		return req_fail(r, rc, "%s", detail);
	}
	/* From now on the connection holds a stream slot, not a request slot. */
	connguard_to_stream(r->conn);
	r->status = 200;
	return TQ_OK;
}

static int events_all(struct req *r)
{
	return stream(r, NULL);
}

static int events_track(struct req *r)
{
	return stream(r, r->param[0]);
}

const struct route api_events_routes[] = {
	{"GET", "/v1/events", events_all, 0},
	{"GET", "/v1/tracks/:t/events", events_track, 0},
	{NULL, NULL, NULL, 0},
};
