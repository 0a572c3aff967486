#include "server/testhooks.h"

#include <stdio.h>
#include "core/tqtime.h"
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

const struct route testhooks_routes[] = {
	{"POST", "/v1/test/clock", clock_advance, ROUTE_ADMIN},
	{"POST", "/v1/test/deadline-faults", deadline_faults, ROUTE_ADMIN},
	{NULL, NULL, NULL, 0},
};
