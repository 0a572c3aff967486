#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/activity.h"

#define T0 1767690000000LL /* 2026-01-06T09:00:00Z */
#define MIN 60000LL
#define HOUR (60 * MIN)

static void notified(struct activity *a, tq_time start, tq_time end)
{
	struct change ch;
	assert_int_equal(activity_notify(a, "IL", &ch), 0);
	assert_int_equal(activity_schedule(a, start, end, HOUR, T0, &ch), 0);
}

static void notify_schedules_start_and_end(void **state)
{
	(void)state;
	struct activity a;
	struct change ch;
	assert_int_equal(activity_notify(&a, "IL", &ch), 0);
	assert_int_equal(a.status, ACTIVITY_NOTIFIED);
	assert_int_equal(a.version, 1);
	assert_int_equal(a.acks.n, 0);
	assert_string_equal(ch.event, "activity.notified");
	assert_int_equal(ch.index, CHANGE_INDEX_UPSERT);
	assert_int_equal(activity_schedule(&a, T0 + 2 * HOUR, T0 + 3 * HOUR, HOUR, T0, &ch), 0);
	assert_false(a.short_notice);
	assert_int_equal(ch.nset, 2);
	assert_string_equal(ch.set[0].kind, ACTIVITY_KIND_START);
	assert_true(ch.set[0].due == T0 + 2 * HOUR);
	assert_string_equal(ch.set[1].kind, ACTIVITY_KIND_END);
	assert_true(ch.set[1].due == T0 + 3 * HOUR);
}

static void short_notice_below_min_notice(void **state)
{
	(void)state;
	struct activity a;
	struct change ch;
	assert_int_equal(activity_notify(&a, "IL", &ch), 0);
	assert_int_equal(activity_schedule(&a, T0 + 59 * MIN, T0 + 2 * HOUR, HOUR, T0, &ch), 0);
	assert_true(a.short_notice);
	assert_int_equal(activity_schedule(&a, T0 + HOUR, T0 + 2 * HOUR, HOUR, T0, &ch), 0);
	assert_false(a.short_notice);
	assert_int_equal(activity_schedule(&a, T0 - HOUR, T0 + 2 * HOUR, HOUR, T0, &ch), 0);
	assert_true(a.short_notice);
	assert_int_equal(activity_schedule(&a, TQ_TIME_MIN, T0 + 2 * HOUR, HOUR, T0, &ch), 0);
	assert_true(a.short_notice);
}

static void a_window_that_has_ended_is_refused(void **state)
{
	(void)state;
	struct activity a;
	struct change ch;
	assert_int_equal(activity_notify(&a, "IL", &ch), 0);
	assert_int_equal(activity_schedule(&a, T0 - 2 * HOUR, T0, HOUR, T0, &ch), TQ_EINVALID);
	assert_string_equal(ch.field, "window.end");
	assert_string_equal(ch.refusal, "lies in the past");
}

static void modify_by_the_declarer_reschedules(void **state)
{
	(void)state;
	struct activity a;
	struct change ch;
	notified(&a, T0 + 2 * HOUR, T0 + 3 * HOUR);
	assert_int_equal(activity_modify(&a, "IL", T0, &ch), 0);
	assert_int_equal(a.version, 2);
	assert_string_equal(ch.event, "activity.modified");
	assert_int_equal(ch.index, CHANGE_INDEX_UPSERT);
	assert_int_equal(activity_schedule(&a, T0 + 4 * HOUR, T0 + 5 * HOUR, HOUR, T0, &ch), 0);
	assert_int_equal(ch.nset, 2);
}

static void an_active_activity_reschedules_only_its_end(void **state)
{
	(void)state;
	struct activity a;
	struct change ch;
	notified(&a, T0 + 2 * HOUR, T0 + 3 * HOUR);
	assert_int_equal(activity_start(&a, T0 + 2 * HOUR, &ch), 0);
	assert_int_equal(activity_modify(&a, "IL", T0 + 2 * HOUR, &ch), 0);
	assert_int_equal(activity_schedule(&a, T0 + 2 * HOUR, T0 + 5 * HOUR, HOUR, T0 + 2 * HOUR, &ch), 0);
	assert_int_equal(ch.nset, 1);
	assert_string_equal(ch.set[0].kind, ACTIVITY_KIND_END);
}

static void change_refusals(void **state)
{
	(void)state;
	struct activity a;
	struct change ch;
	notified(&a, T0 + 2 * HOUR, T0 + 3 * HOUR);
	assert_int_equal(activity_modify(&a, "SY", T0, &ch), TQ_EFORBIDDEN);
	assert_string_equal(ch.refusal, "only the declaring party changes or cancels an activity");
	assert_int_equal(activity_cancel(&a, "SY", T0, &ch), TQ_EFORBIDDEN);
	assert_int_equal(activity_cancel(&a, "IL", T0, &ch), 0);
	assert_int_equal(activity_modify(&a, "IL", T0, &ch), TQ_ECONFLICT);
	assert_string_equal(ch.refusal, "the activity is cancelled");
	assert_int_equal(activity_cancel(&a, "IL", T0, &ch), TQ_ECONFLICT);
	assert_int_equal(a.version, 2);
}

static void cancel_clears_the_clock_and_resolves_conflicts(void **state)
{
	(void)state;
	struct activity a;
	struct change ch;
	notified(&a, T0 + 2 * HOUR, T0 + 3 * HOUR);
	assert_int_equal(activity_cancel(&a, "IL", T0, &ch), 0);
	assert_int_equal(a.status, ACTIVITY_CANCELLED);
	assert_true(a.cancelled_at == T0);
	assert_string_equal(ch.event, "activity.cancelled");
	assert_int_equal(ch.index, CHANGE_INDEX_REMOVE);
	assert_string_equal(ch.why, "cancelled");
	assert_true(ch.clear_deadlines);
	assert_int_equal(ch.nset, 0);
}

static void another_principal_acknowledges_once(void **state)
{
	(void)state;
	struct activity a;
	struct change ch;
	notified(&a, T0 + 2 * HOUR, T0 + 3 * HOUR);
	assert_int_equal(activity_acknowledge(&a, "IL", T0, &ch), TQ_EFORBIDDEN);
	assert_string_equal(ch.refusal, "another principal acknowledges an activity, not the one that notified it");
	assert_int_equal(activity_acknowledge(&a, "SY", T0, &ch), 0);
	assert_int_equal(a.acks.n, 1);
	assert_string_equal(a.acks.v[0], "SY");
	assert_string_equal(ch.event, "activity.acknowledged");
	assert_int_equal(ch.index, CHANGE_INDEX_KEEP);
	assert_int_equal(activity_acknowledge(&a, "SY", T0, &ch), TQ_ECONFLICT);
	assert_string_equal(ch.refusal, "SY has already acknowledged this activity");
	assert_int_equal(activity_end(&a, T0 + 3 * HOUR, &ch), 0);
	assert_int_equal(activity_acknowledge(&a, "TR", T0, &ch), TQ_ECONFLICT);
	assert_string_equal(ch.refusal, "the activity is completed");
}

static void clock_moves_notified_to_active_to_completed(void **state)
{
	(void)state;
	struct activity a;
	struct change ch;
	notified(&a, T0 + 2 * HOUR, T0 + 3 * HOUR);
	assert_int_equal(activity_start(&a, T0 + 2 * HOUR, &ch), 0);
	assert_int_equal(a.status, ACTIVITY_ACTIVE);
	assert_true(a.active_at == T0 + 2 * HOUR);
	assert_string_equal(ch.event, "activity.active");
	assert_int_equal(ch.index, CHANGE_INDEX_KEEP);
	assert_int_equal(activity_start(&a, T0 + 2 * HOUR, &ch), 0);
	assert_null(ch.event); /* already active: nothing happens */
	assert_int_equal(activity_end(&a, T0 + 3 * HOUR, &ch), 0);
	assert_int_equal(a.status, ACTIVITY_COMPLETED);
	assert_string_equal(ch.event, "activity.completed");
	assert_int_equal(ch.index, CHANGE_INDEX_RETIRE);
	assert_int_equal(a.version, 3);
	assert_int_equal(activity_end(&a, T0 + 3 * HOUR, &ch), 0);
	assert_null(ch.event);
}

static void clock_leaves_a_cancelled_activity_alone(void **state)
{
	(void)state;
	struct activity a;
	struct change ch;
	notified(&a, T0 + 2 * HOUR, T0 + 3 * HOUR);
	assert_int_equal(activity_cancel(&a, "IL", T0, &ch), 0);
	assert_int_equal(activity_start(&a, T0 + 2 * HOUR, &ch), 0);
	assert_null(ch.event);
	assert_int_equal(activity_end(&a, T0 + 3 * HOUR, &ch), 0);
	assert_null(ch.event);
	assert_int_equal(a.status, ACTIVITY_CANCELLED);
}

static void json_round_trip(void **state)
{
	(void)state;
	struct activity a;
	struct change ch;
	json_t *obj = json_loads("{\"id\":\"act_1\",\"kind\":\"uav\",\"status\":\"notified\",\"declared_by\":\"IL\","
				 "\"acks\":[],\"short_notice\":true,\"version\":1}",
				 0, NULL);
	assert_int_equal(activity_from_json(obj, &a), 0);
	assert_true(a.short_notice);
	assert_int_equal(activity_acknowledge(&a, "SY", T0, &ch), 0);
	assert_int_equal(activity_to_json(&a, obj), 0);
	char *text = json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(text, "{\"acks\":[\"SY\"],\"declared_by\":\"IL\",\"id\":\"act_1\",\"kind\":\"uav\","
				  "\"short_notice\":true,\"status\":\"notified\","
				  "\"updated_at\":\"2026-01-06T09:00:00Z\",\"version\":2}");
	free(text);
	json_object_set_new(obj, "status", json_string("done"));
	assert_int_equal(activity_from_json(obj, &a), TQ_EINVALID);
	json_decref(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(notify_schedules_start_and_end),
		cmocka_unit_test(short_notice_below_min_notice),
		cmocka_unit_test(a_window_that_has_ended_is_refused),
		cmocka_unit_test(modify_by_the_declarer_reschedules),
		cmocka_unit_test(an_active_activity_reschedules_only_its_end),
		cmocka_unit_test(change_refusals),
		cmocka_unit_test(cancel_clears_the_clock_and_resolves_conflicts),
		cmocka_unit_test(another_principal_acknowledges_once),
		cmocka_unit_test(clock_moves_notified_to_active_to_completed),
		cmocka_unit_test(clock_leaves_a_cancelled_activity_alone),
		cmocka_unit_test(json_round_trip),
	};
	return cmocka_run_group_tests_name("activity", tests, NULL, NULL);
}
