#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/zone.h"

#define T0 1767690000000LL /* 2026-01-06T09:00:00Z */

static struct party_set principals(const char *a, const char *b)
{
	struct party_set s = {.n = 0};
	assert_int_equal(party_set_add(&s, a), 0);
	if (b)
		assert_int_equal(party_set_add(&s, b), 0);
	return s;
}

static void agreement_zone_is_proposed_with_the_declarer_accepting(void **state)
{
	(void)state;
	struct party_set p = principals("IL", "SY");
	struct zone z;
	struct change ch;
	assert_int_equal(zone_declare(&z, ZONE_DEMILITARIZED, "IL", NULL, &p, &ch), 0);
	assert_int_equal(z.status, ZONE_PROPOSED);
	assert_string_equal(z.owner, "IL");
	assert_int_equal(z.accepted_by.n, 1);
	assert_string_equal(z.accepted_by.v[0], "IL");
	assert_int_equal(z.version, 1);
	assert_string_equal(ch.event, "zone.declared");
	assert_int_equal(ch.index, CHANGE_INDEX_UPSERT);
	assert_int_equal(ch.nset, 0);
}

static void other_kinds_and_lone_principals_are_in_force_at_once(void **state)
{
	(void)state;
	struct party_set two = principals("IL", "SY"), one = principals("IL", NULL);
	struct zone z;
	struct change ch;
	assert_int_equal(zone_declare(&z, ZONE_BASE, "IL", "IL", &two, &ch), 0);
	assert_int_equal(z.status, ZONE_IN_FORCE);
	assert_int_equal(zone_declare(&z, ZONE_LIMITATION, "IL", "IL", &one, &ch), 0);
	assert_int_equal(z.status, ZONE_IN_FORCE);
	assert_int_equal(zone_declare(&z, ZONE_INFLUENCE, "IL", "SY", &two, &ch), 0);
	assert_string_equal(z.owner, "SY");
}

static void last_acceptance_puts_the_zone_in_force(void **state)
{
	(void)state;
	struct party_set p = principals("IL", "SY");
	struct zone z;
	struct change ch;
	assert_int_equal(zone_declare(&z, ZONE_DEMILITARIZED, "IL", NULL, &p, &ch), 0);
	assert_int_equal(zone_accept(&z, "SY", &p, T0, &ch), 0);
	assert_int_equal(z.status, ZONE_IN_FORCE);
	assert_true(z.in_force_at == T0);
	assert_true(z.updated_at == T0);
	assert_int_equal(z.version, 2);
	assert_string_equal(ch.event, "zone.accepted");
	assert_int_equal(ch.index, CHANGE_INDEX_UPSERT);
}

static void acceptance_short_of_all_keeps_it_proposed(void **state)
{
	(void)state;
	struct party_set p = {.n = 0};
	assert_int_equal(party_set_add(&p, "IL"), 0);
	assert_int_equal(party_set_add(&p, "SY"), 0);
	assert_int_equal(party_set_add(&p, "TR"), 0);
	struct zone z;
	struct change ch;
	assert_int_equal(zone_declare(&z, ZONE_LIMITATION, "IL", NULL, &p, &ch), 0);
	assert_int_equal(zone_accept(&z, "SY", &p, T0, &ch), 0);
	assert_int_equal(z.status, ZONE_PROPOSED);
	assert_true(z.in_force_at == TQ_TIME_MIN);
}

static void accept_refusals(void **state)
{
	(void)state;
	struct party_set p = principals("IL", "SY");
	struct zone z;
	struct change ch;
	assert_int_equal(zone_declare(&z, ZONE_DEMILITARIZED, "IL", NULL, &p, &ch), 0);
	assert_int_equal(zone_accept(&z, "IL", &p, T0, &ch), TQ_ECONFLICT);
	assert_string_equal(ch.refusal, "IL has already accepted this zone");
	assert_null(ch.event);
	assert_int_equal(z.version, 1);
	assert_int_equal(zone_accept(&z, "SY", &p, T0, &ch), 0);
	assert_int_equal(zone_accept(&z, "SY", &p, T0, &ch), TQ_ECONFLICT);
	assert_string_equal(ch.refusal, "the zone is in_force; only a proposed zone is accepted");
}

static void reject_by_another_principal(void **state)
{
	(void)state;
	struct party_set p = principals("IL", "SY");
	struct zone z;
	struct change ch;
	assert_int_equal(zone_declare(&z, ZONE_DEMILITARIZED, "IL", NULL, &p, &ch), 0);
	assert_int_equal(zone_reject(&z, "IL", T0, &ch), TQ_EFORBIDDEN);
	assert_int_equal(zone_reject(&z, "SY", T0, &ch), 0);
	assert_int_equal(z.status, ZONE_REJECTED);
	assert_string_equal(z.rejected_by, "SY");
	assert_string_equal(ch.event, "zone.rejected");
	assert_int_equal(ch.index, CHANGE_INDEX_REMOVE);
	assert_string_equal(ch.why, "rejected");
	assert_int_equal(zone_reject(&z, "SY", T0, &ch), TQ_ECONFLICT);
	assert_string_equal(ch.refusal, "the zone is rejected; only a proposed zone is rejected");
}

static void withdraw_by_the_declarer_only(void **state)
{
	(void)state;
	struct party_set p = principals("IL", "SY");
	struct zone z;
	struct change ch;
	assert_int_equal(zone_declare(&z, ZONE_BASE, "IL", NULL, &p, &ch), 0);
	assert_int_equal(zone_withdraw(&z, "SY", T0, &ch), TQ_EFORBIDDEN);
	assert_string_equal(ch.refusal, "only the declaring party withdraws a zone");
	assert_int_equal(zone_withdraw(&z, "IL", T0, &ch), 0);
	assert_int_equal(z.status, ZONE_WITHDRAWN);
	assert_true(z.withdrawn_at == T0);
	assert_string_equal(ch.why, "withdrawn");
	assert_int_equal(ch.index, CHANGE_INDEX_REMOVE);
	assert_int_equal(zone_withdraw(&z, "IL", T0, &ch), TQ_ECONFLICT);
	assert_string_equal(ch.refusal, "the zone is already withdrawn");
}

static void json_round_trip_keeps_other_fields(void **state)
{
	(void)state;
	json_t *obj = json_loads("{\"id\":\"zon_1\",\"kind\":\"limitation\",\"status\":\"proposed\",\"declared_by\":\"IL\","
				 "\"owner\":\"IL\",\"accepted_by\":[\"IL\"],\"version\":3,\"name\":\"Golan\"}",
				 0, NULL);
	struct party_set p = principals("IL", "SY");
	struct zone z;
	struct change ch;
	assert_int_equal(zone_from_json(obj, &z), 0);
	assert_int_equal(z.kind, ZONE_LIMITATION);
	assert_int_equal(z.version, 3);
	assert_int_equal(zone_accept(&z, "SY", &p, T0, &ch), 0);
	assert_int_equal(zone_to_json(&z, obj), 0);
	char *text = json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(text, "{\"accepted_by\":[\"IL\",\"SY\"],\"declared_by\":\"IL\",\"id\":\"zon_1\","
				  "\"in_force_at\":\"2026-01-06T09:00:00Z\",\"kind\":\"limitation\",\"name\":\"Golan\","
				  "\"owner\":\"IL\",\"status\":\"in_force\",\"updated_at\":\"2026-01-06T09:00:00Z\","
				  "\"version\":4}");
	free(text);
	json_decref(obj);
}

static void damaged_stored_zone_is_refused(void **state)
{
	(void)state;
	struct zone z;
	json_t *obj = json_loads("{\"kind\":\"limitation\",\"status\":\"maybe\",\"declared_by\":\"IL\",\"owner\":\"IL\","
				 "\"accepted_by\":[],\"version\":1}",
				 0, NULL);
	assert_int_equal(zone_from_json(obj, &z), TQ_EINVALID);
	json_object_set_new(obj, "status", json_string("proposed"));
	assert_int_equal(zone_from_json(obj, &z), 0);
	json_object_set_new(obj, "accepted_by", json_pack("[i]", 3));
	assert_int_equal(zone_from_json(obj, &z), TQ_EINVALID);
	json_decref(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(agreement_zone_is_proposed_with_the_declarer_accepting),
		cmocka_unit_test(other_kinds_and_lone_principals_are_in_force_at_once),
		cmocka_unit_test(last_acceptance_puts_the_zone_in_force),
		cmocka_unit_test(acceptance_short_of_all_keeps_it_proposed),
		cmocka_unit_test(accept_refusals),
		cmocka_unit_test(reject_by_another_principal),
		cmocka_unit_test(withdraw_by_the_declarer_only),
		cmocka_unit_test(json_round_trip_keeps_other_fields),
		cmocka_unit_test(damaged_stored_zone_is_refused),
	};
	return cmocka_run_group_tests_name("zone", tests, NULL, NULL);
}
