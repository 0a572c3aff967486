#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/conflict.h"

#define T0 1767690000000LL /* 2026-01-06T09:00:00Z */

/* An open conflict of kind between IL and SY; subjects[0] (the zone) is SY's. */
static struct conflict opened(const char *kind)
{
	struct conflict c;
	struct change ch;
	char text[512];
	snprintf(text, sizeof text,
		 "{\"kind\":\"%s\",\"status\":\"open\",\"parties\":[\"IL\",\"SY\"],\"acks\":[],\"version\":1,"
		 "\"subjects\":[{\"type\":\"zone\",\"id\":\"zon_1\",\"party\":\"SY\"},"
		 "{\"type\":\"activity\",\"id\":\"act_1\",\"party\":\"IL\"}]}",
		 kind);
	json_t *obj = json_loads(text, 0, NULL);
	assert_non_null(obj);
	assert_int_equal(conflict_from_json(obj, &c), 0);
	json_decref(obj);
	assert_int_equal(conflict_open(&c, &ch), 0);
	assert_string_equal(ch.event, "conflict.opened");
	return c;
}

static void open_conflict_starts_without_acks(void **state)
{
	(void)state;
	struct conflict c = opened("activity_overlap");
	assert_int_equal(c.status, CONFLICT_OPEN);
	assert_int_equal(c.acks.n, 0);
	assert_int_equal(c.version, 1);
	assert_string_equal(c.zone_party, "SY");
}

static void acknowledged_when_every_party_has(void **state)
{
	(void)state;
	struct conflict c = opened("activity_overlap");
	struct change ch;
	assert_int_equal(conflict_acknowledge(&c, "IL", T0, &ch), 0);
	assert_int_equal(c.status, CONFLICT_OPEN);
	assert_string_equal(ch.event, "conflict.acknowledged");
	assert_false(ch.settles);
	assert_int_equal(conflict_acknowledge(&c, "SY", T0, &ch), 0);
	assert_int_equal(c.status, CONFLICT_ACKNOWLEDGED);
	assert_int_equal(c.version, 3);
}

static void acknowledge_refusals(void **state)
{
	(void)state;
	struct conflict c = opened("activity_overlap");
	struct change ch;
	assert_int_equal(conflict_acknowledge(&c, "US", T0, &ch), TQ_EFORBIDDEN);
	assert_string_equal(ch.refusal, "only an affected party acknowledges a conflict");
	assert_int_equal(conflict_acknowledge(&c, "IL", T0, &ch), 0);
	assert_int_equal(conflict_acknowledge(&c, "IL", T0, &ch), TQ_ECONFLICT);
	assert_string_equal(ch.refusal, "IL has already acknowledged this conflict");
	assert_int_equal(conflict_waive(&c, "US", T0, &ch), 0);
	assert_int_equal(conflict_acknowledge(&c, "SY", T0, &ch), TQ_ECONFLICT);
	assert_string_equal(ch.refusal, "the conflict is already resolved (waived)");
}

static void the_zone_owner_consents_to_an_influence_entry(void **state)
{
	(void)state;
	struct conflict c = opened("influence_entry");
	struct change ch;
	assert_int_equal(conflict_consent(&c, "IL", T0, &ch), TQ_EFORBIDDEN);
	assert_string_equal(ch.refusal, "only the owner of the influence zone (SY) consents");
	assert_int_equal(conflict_consent(&c, "SY", T0, &ch), 0);
	assert_int_equal(c.status, CONFLICT_RESOLVED);
	assert_string_equal(c.resolution, "consented");
	assert_string_equal(c.resolved_by, "SY");
	assert_true(c.resolved_at == T0);
	assert_string_equal(ch.event, "conflict.resolved");
	assert_true(ch.settles);
	assert_int_equal(conflict_consent(&c, "SY", T0, &ch), TQ_ECONFLICT);
	assert_string_equal(ch.refusal, "the conflict is already resolved (consented)");
}

static void consent_is_only_for_influence_entries(void **state)
{
	(void)state;
	struct conflict c = opened("demilitarized_breach");
	struct change ch;
	assert_int_equal(conflict_consent(&c, "SY", T0, &ch), TQ_ECONFLICT);
	assert_string_equal(ch.refusal, "only an influence_entry conflict takes the zone owner's consent");
	assert_int_equal(c.status, CONFLICT_OPEN);
}

static void waiver_settles_the_key(void **state)
{
	(void)state;
	struct conflict c = opened("activity_overlap");
	struct change ch;
	assert_int_equal(conflict_waive(&c, "RU", T0, &ch), 0);
	assert_string_equal(c.resolution, "waived");
	assert_string_equal(c.resolved_by, "RU");
	assert_true(ch.settles);
	assert_int_equal(conflict_waive(&c, "RU", T0, &ch), TQ_ECONFLICT);
}

static void lapse_resolves_without_settling(void **state)
{
	(void)state;
	struct conflict c = opened("activity_overlap");
	struct change ch;
	assert_int_equal(conflict_lapse(&c, "cancelled", T0, &ch), 0);
	assert_int_equal(c.status, CONFLICT_RESOLVED);
	assert_string_equal(c.resolution, "cancelled");
	assert_string_equal(c.resolved_by, "");
	assert_false(ch.settles);
	assert_string_equal(ch.event, "conflict.resolved");
	assert_int_equal(c.version, 2);
}

static void json_round_trip(void **state)
{
	(void)state;
	struct conflict c = opened("activity_overlap");
	struct change ch;
	json_t *obj = json_object();
	assert_int_equal(conflict_lapse(&c, "modified", T0, &ch), 0);
	assert_int_equal(conflict_to_json(&c, obj), 0);
	char *text = json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(text, "{\"acks\":[],\"resolution\":\"modified\",\"resolved_at\":\"2026-01-06T09:00:00Z\","
				  "\"status\":\"resolved\",\"updated_at\":\"2026-01-06T09:00:00Z\",\"version\":2}");
	free(text);
	json_decref(obj);
	obj = json_loads("{\"kind\":\"activity_overlap\",\"status\":\"open\",\"parties\":\"IL\",\"version\":1}", 0, NULL);
	assert_int_equal(conflict_from_json(obj, &c), TQ_EINVALID);
	json_decref(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_conflict_starts_without_acks),
		cmocka_unit_test(acknowledged_when_every_party_has),
		cmocka_unit_test(acknowledge_refusals),
		cmocka_unit_test(the_zone_owner_consents_to_an_influence_entry),
		cmocka_unit_test(consent_is_only_for_influence_entries),
		cmocka_unit_test(waiver_settles_the_key),
		cmocka_unit_test(lapse_resolves_without_settling),
		cmocka_unit_test(json_round_trip),
	};
	return cmocka_run_group_tests_name("conflict", tests, NULL, NULL);
}
