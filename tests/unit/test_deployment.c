#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/deployment.h"

#define T0 1767690000000LL /* 2026-01-06T09:00:00Z */

static void declared_deployment_is_active(void **state)
{
	(void)state;
	struct deployment d;
	struct change ch;
	assert_int_equal(deployment_declare(&d, "SY", &ch), 0);
	assert_int_equal(d.status, DEPLOYMENT_ACTIVE);
	assert_string_equal(d.declared_by, "SY");
	assert_int_equal(d.version, 1);
	assert_string_equal(ch.event, "deployment.declared");
	assert_int_equal(ch.index, CHANGE_INDEX_UPSERT);
}

static void declarer_modifies_and_it_is_rechecked(void **state)
{
	(void)state;
	struct deployment d;
	struct change ch;
	assert_int_equal(deployment_declare(&d, "SY", &ch), 0);
	assert_int_equal(deployment_modify(&d, "SY", T0, &ch), 0);
	assert_int_equal(d.version, 2);
	assert_true(d.updated_at == T0);
	assert_string_equal(ch.event, "deployment.modified");
	assert_int_equal(ch.index, CHANGE_INDEX_UPSERT);
	assert_string_equal(ch.why, "modified");
}

static void withdrawal_resolves_its_conflicts_as_withdrawn(void **state)
{
	(void)state;
	struct deployment d;
	struct change ch;
	assert_int_equal(deployment_declare(&d, "SY", &ch), 0);
	assert_int_equal(deployment_withdraw(&d, "SY", T0, &ch), 0);
	assert_int_equal(d.status, DEPLOYMENT_WITHDRAWN);
	assert_true(d.withdrawn_at == T0);
	assert_string_equal(ch.event, "deployment.withdrawn");
	assert_int_equal(ch.index, CHANGE_INDEX_REMOVE);
	assert_string_equal(ch.why, "withdrawn");
}

static void only_the_declarer_changes_it(void **state)
{
	(void)state;
	struct deployment d;
	struct change ch;
	assert_int_equal(deployment_declare(&d, "SY", &ch), 0);
	assert_int_equal(deployment_modify(&d, "IL", T0, &ch), TQ_EFORBIDDEN);
	assert_string_equal(ch.refusal, "only the declaring party changes a deployment");
	assert_int_equal(deployment_withdraw(&d, "IL", T0, &ch), TQ_EFORBIDDEN);
	assert_int_equal(d.version, 1);
}

static void a_withdrawn_deployment_is_final(void **state)
{
	(void)state;
	struct deployment d;
	struct change ch;
	assert_int_equal(deployment_declare(&d, "SY", &ch), 0);
	assert_int_equal(deployment_withdraw(&d, "SY", T0, &ch), 0);
	assert_int_equal(deployment_modify(&d, "SY", T0, &ch), TQ_ECONFLICT);
	assert_string_equal(ch.refusal, "the deployment is withdrawn");
	assert_int_equal(deployment_withdraw(&d, "SY", T0, &ch), TQ_ECONFLICT);
	assert_null(ch.event);
}

static void json_round_trip(void **state)
{
	(void)state;
	struct deployment d;
	struct change ch;
	json_t *obj = json_loads("{\"id\":\"dep_1\",\"status\":\"active\",\"declared_by\":\"SY\",\"version\":2,"
				 "\"unit\":\"5th\"}",
				 0, NULL);
	assert_int_equal(deployment_from_json(obj, &d), 0);
	assert_int_equal(deployment_withdraw(&d, "SY", T0, &ch), 0);
	assert_int_equal(deployment_to_json(&d, obj), 0);
	char *text = json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(text, "{\"declared_by\":\"SY\",\"id\":\"dep_1\",\"status\":\"withdrawn\",\"unit\":\"5th\","
				  "\"updated_at\":\"2026-01-06T09:00:00Z\",\"version\":3,"
				  "\"withdrawn_at\":\"2026-01-06T09:00:00Z\"}");
	free(text);
	json_object_del(obj, "version");
	assert_int_equal(deployment_from_json(obj, &d), TQ_EINVALID);
	json_decref(obj);
}

static void status_names_round_trip(void **state)
{
	(void)state;
	assert_string_equal(deployment_status_name(DEPLOYMENT_WITHDRAWN), "withdrawn");
	assert_int_equal(deployment_status_parse("active"), DEPLOYMENT_ACTIVE);
	assert_int_equal(deployment_status_parse("Active"), -1);
	assert_int_equal(deployment_status_parse(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(declared_deployment_is_active),
		cmocka_unit_test(declarer_modifies_and_it_is_rechecked),
		cmocka_unit_test(withdrawal_resolves_its_conflicts_as_withdrawn),
		cmocka_unit_test(only_the_declarer_changes_it),
		cmocka_unit_test(a_withdrawn_deployment_is_final),
		cmocka_unit_test(json_round_trip),
		cmocka_unit_test(status_names_round_trip),
	};
	return cmocka_run_group_tests_name("deployment", tests, NULL, NULL);
}
