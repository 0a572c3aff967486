#include "server/testhooks.h"

#include "server/group.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/tqtime.h"
#include "server/authn.h"
#include "server/holdpoint.h"
#include "server/input.h"
#include "server/sweeper.h"

#define TESTHOOKS_MAX_FAILURES 1000000

static int hooks_on(struct req *r)
{
	return r->app->test_clock ? TQ_OK : req_fail(r, TQ_ENOTFOUND, "no such resource");
}

static int clock_advance(struct req *r)
{
	json_t *body;
	const char *text = NULL;
	int64_t ms;
	char now[TQTIME_BUFSZ], offset[TQTIME_BUFSZ];
	int rc;

	if ((rc = hooks_on(r)) || (rc = req_object(r, &body)) ||
	    (rc = in_string(r, body, "advance", 1, 64, &text)))
		return rc;
	if (tqtime_duration_parse(text, &ms) != TQ_OK || ms <= 0) {
		struct tq_field_error fe = {.field = "advance", .message = "must be an ISO 8601 duration above zero"};
		return req_fail_field(r, TQ_EINVALID, &fe);
	}
	app_clock_advance(ms);
	sweeper_run_due(r->app);
	tqtime_format(app_now(), now);
	tqtime_duration_format(app_clock_offset(), offset);
	req_json(r, 200, json_pack("{s:s, s:s}", "now", now, "offset", offset));
	return TQ_OK;
}

static int deadline_faults(struct req *r)
{
	json_t *body, *n;
	const char *kind = NULL;
	int rc;

	if ((rc = hooks_on(r)) || (rc = req_object(r, &body)) || (rc = in_string(r, body, "kind", 1, 31, &kind)))
		return rc;
	n = json_object_get(body, "failures");
	if (!json_is_integer(n) || json_integer_value(n) < 0 || json_integer_value(n) > TESTHOOKS_MAX_FAILURES) {
		struct tq_field_error fe = {.field = "failures", .message = "must be an integer in [0, 1000000]"};
		return req_fail_field(r, json_is_integer(n) ? TQ_EINVALID : TQ_EMALFORMED, &fe);
	}
	sweeper_test_fail(r->app, kind, (unsigned)json_integer_value(n));
	req_json(r, 200, json_pack("{s:s, s:I}", "kind", kind, "failures", json_integer_value(n)));
	return TQ_OK;
}

/* ---- a long write transaction (hold-write / release-write) ---------------- */

/* Longest hold: the holder lets go by itself after this, if never released. */
#define TESTHOOKS_HOLD_MAX_MS 60000

enum hold_state { HOLD_NONE, HOLD_STARTING, HOLD_HELD, HOLD_RELEASING, HOLD_DONE };

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	enum hold_state state;
	int released; /* release-write came while the transaction was held */
	int rc;
	pthread_t thread;
	struct app *app;
	char track[64];
	char id[APP_ID_BUFSZ];
} hold = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static int last_audience(void *ctx, const struct store_event *e)
{
	snprintf(ctx, 256, "%s", e->audience);
	return 0;
}

static int last_body(void *ctx, json_t *body)
{
	json_t **out = ctx;
	json_decref(*out);
	*out = json_incref(body);
	return 0;
}

/* Half a write, never committed: through the commit path's open batch
 * (commit_open, app_emit), the message.created event of a copy of the track's
 * last message under a new id and the next seq, with the audience of the
 * log's last event: what a reader must not see. */
static const struct who hook_actor = {.user = "test-hook", .role = "server"};

static int hold_write_rows(struct app *a, struct commit *c)
{
	json_t *copy = NULL, *mine = NULL;
	char audience[256] = "";
	int64_t seq;
	uint64_t size, index;
	int rc;
	if ((rc = store_obj_max_seq(a->store, hold.track, "message", &seq)) || seq < 1 ||
	    (rc = store_obj_scan(a->store, hold.track, "message", NULL, 1, seq - 1, last_body, &copy)) || !copy ||
	    (rc = store_log_size(a->store, &size)) || size < 1 ||
	    (rc = store_event_scan(a->store, size - 1, size, last_audience, audience)))
		goto done;
	if (!(mine = json_deep_copy(copy)) || !audience[0]) {
		rc = mine ? TQ_ENOTFOUND : TQ_ENOMEM;
		goto done;
	}
	app_new_id("msg", app_now(), hold.id);
	json_object_set_new(mine, "id", json_string(hold.id));
	json_object_set_new(mine, "seq", json_integer(seq + 1));
	json_object_set_new(mine, "subject", json_string("held, never committed"));
	if ((rc = commit_open(c)) == TQ_OK)
		rc = app_emit(a, &hook_actor, app_now(), "message.created", hold.track, audience, mine, &index);
done:
	if (rc == TQ_OK && !copy)
		rc = TQ_ENOTFOUND;
	json_decref(copy);
	json_decref(mine);
	return rc;
}

static void *hold_main(void *arg)
{
	struct app *a = arg;
	struct commit *c = NULL;
	struct timespec until;
	int rc;
	group_lock_read(a); /* the writers' lock, with no shared transaction open */
	if ((rc = commit_new(a, &hook_actor, app_now(), &c)) == TQ_OK)
		rc = hold_write_rows(a, c);
	if (rc) {
		commit_free(c); /* rolls back what it opened */
		c = NULL;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += TESTHOOKS_HOLD_MAX_MS / 1000;
	pthread_mutex_lock(&hold.mu);
	hold.rc = rc;
	hold.state = rc ? HOLD_DONE : HOLD_HELD;
	pthread_cond_broadcast(&hold.cond);
	while (hold.state == HOLD_HELD && pthread_cond_timedwait(&hold.cond, &hold.mu, &until) != ETIMEDOUT)
		;
	hold.released = hold.state == HOLD_RELEASING;
	pthread_mutex_unlock(&hold.mu);
	commit_free(c); /* never applied: its savepoint and the transaction are rolled back */
	group_unlock(a);
	pthread_mutex_lock(&hold.mu);
	hold.state = HOLD_DONE;
	pthread_cond_broadcast(&hold.cond);
	pthread_mutex_unlock(&hold.mu);
	return NULL;
}

static int hold_active(void)
{
	pthread_mutex_lock(&hold.mu);
	int on = hold.state != HOLD_NONE;
	pthread_mutex_unlock(&hold.mu);
	return on;
}

/* Admin only, checked in a read snapshot (release-write comes while the
 * holder has the lock), or under the lock where there are none. */
static int hook_admin(struct req *r)
{
	int rc;
	if ((rc = hooks_on(r)))
		return rc;
	if (app_read_begin(r->app) == TQ_OK) {
		rc = authn_request(r, 1);
		(void)app_read_end(r->app);
	} else {
		group_lock_read(r->app);
		rc = authn_request(r, 1);
		group_unlock(r->app);
	}
	if (rc)
		return rc;
	return strcmp(r->who.role, "admin") ? req_fail(r, TQ_EFORBIDDEN, "only the cell admin may do this") : TQ_OK;
}

static int hold_write(struct req *r)
{
	json_t *body;
	const char *track = NULL;
	int rc;
	if ((rc = hook_admin(r)) || (rc = req_object(r, &body)) || (rc = in_string(r, body, "track", 1, 63, &track)))
		return rc;
	if (json_is_true(json_object_get(body, "next_write"))) {
		/* the next write of the track pauses before its COMMIT (holdpoint.h) */
		if (hold_active() || holdpoint_arm(track))
			return req_fail(r, TQ_ECONFLICT, "a write is held already: release it first");
		req_json(r, 200, json_pack("{s:s, s:b}", "track", track, "armed", 1));
		return TQ_OK;
	}
	if (holdpoint_active())
		return req_fail(r, TQ_ECONFLICT, "a write is held already: release it first");
	pthread_mutex_lock(&hold.mu);
	if (hold.state != HOLD_NONE) {
		pthread_mutex_unlock(&hold.mu);
		return req_fail(r, TQ_ECONFLICT, "a write is held already: release it first");
	}
	hold.state = HOLD_STARTING;
	hold.released = 0;
	hold.app = r->app;
	snprintf(hold.track, sizeof hold.track, "%s", track);
	if (pthread_create(&hold.thread, NULL, hold_main, r->app)) {
		hold.state = HOLD_NONE;
		pthread_mutex_unlock(&hold.mu);
		return req_fail(r, TQ_ENOMEM, "cannot start the holder");
	}
	while (hold.state == HOLD_STARTING)
		pthread_cond_wait(&hold.cond, &hold.mu);
	rc = hold.rc;
	pthread_mutex_unlock(&hold.mu);
	if (rc) {
		pthread_join(hold.thread, NULL);
		hold.state = HOLD_NONE;
		return req_fail(r, rc, "could not write in the held transaction (does the track have a message?)");
	}
	req_json(r, 200, json_pack("{s:s, s:s}", "track", hold.track, "id", hold.id));
	return TQ_OK;
}

/* POST /v1/test/held: waits (at most HELD_WAIT_MS) until the armed write is held. */
#define HELD_WAIT_MS 30000

static int held(struct req *r)
{
	char what[256];
	int rc;
	if ((rc = hook_admin(r)))
		return rc;
	if (holdpoint_wait(HELD_WAIT_MS, what, sizeof what))
		return req_fail(r, TQ_ECONFLICT, "no write was held within %d s (was one armed?)", HELD_WAIT_MS / 1000);
	req_json(r, 200, json_pack("{s:b, s:s}", "held", 1, "request", what));
	return TQ_OK;
}

static int release_write(struct req *r)
{
	int rc, released;
	if ((rc = hook_admin(r)))
		return rc;
	if (holdpoint_active()) {
		holdpoint_release(&released);
		req_json(r, 200, json_pack("{s:b}", "released", released));
		return TQ_OK;
	}
	pthread_mutex_lock(&hold.mu);
	if (hold.state == HOLD_NONE) {
		pthread_mutex_unlock(&hold.mu);
		return req_fail(r, TQ_ECONFLICT, "no write is held");
	}
	if (hold.state == HOLD_HELD)
		hold.state = HOLD_RELEASING;
	pthread_cond_broadcast(&hold.cond);
	while (hold.state != HOLD_DONE)
		pthread_cond_wait(&hold.cond, &hold.mu);
	released = hold.released;
	pthread_mutex_unlock(&hold.mu);
	pthread_join(hold.thread, NULL);
	hold.state = HOLD_NONE;
	req_json(r, 200, json_pack("{s:b}", "released", released));
	return TQ_OK;
}

const struct route testhooks_routes[] = {
	{"POST", "/v1/test/hold-write", hold_write, ROUTE_NOLOCK},
	{"POST", "/v1/test/release-write", release_write, ROUTE_NOLOCK},
	{"POST", "/v1/test/held", held, ROUTE_NOLOCK},
	{"POST", "/v1/test/clock", clock_advance, ROUTE_ADMIN},
	{"POST", "/v1/test/deadline-faults", deadline_faults, ROUTE_ADMIN},
	{NULL, NULL, NULL, 0},
};
