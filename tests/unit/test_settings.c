#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/settings.h"

static void defaults_are_the_contracts(void **state)
{
	(void)state;
	struct track_settings s;
	settings_defaults(&s);
	json_t *j = settings_to_json(&s);
	char *text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(text,
			    "{\"ack_deadline\":{\"flash\":\"PT5M\",\"immediate\":\"PT30M\",\"priority\":\"PT3H\","
			    "\"routine\":\"P1D\"},\"dispute_resolution\":\"P14D\",\"dispute_response\":\"P2D\","
			    "\"min_notice\":\"PT1H\",\"separation_m\":1000,\"threat_response\":\"PT2H\","
			    "\"time_margin\":\"PT10M\",\"vertical_separation_m\":300}");
	free(text);
	json_decref(j);
}

static void merge_changes_only_given_keys(void **state)
{
	(void)state;
	struct track_settings s;
	struct tq_field_error e;
	settings_defaults(&s);
	json_t *in = json_loads("{\"separation_m\": 250.5, \"ack_deadline\": {\"flash\": \"PT2S\"}}", 0, NULL);
	assert_int_equal(settings_merge_json(&s, in, &e), 0);
	assert_true(s.separation_m == 250.5);
	assert_int_equal(s.ack_deadline_ms[PREC_FLASH], 2000);
	assert_int_equal(s.ack_deadline_ms[PREC_ROUTINE], 86400000);
	assert_int_equal(s.time_margin_ms, 600000);
	json_decref(in);
}

static void bad_values_fail_and_change_nothing(void **state)
{
	(void)state;
	struct {
		const char *json, *field;
		int err;
	} cases[] = {
		{"{\"separation_m\": \"far\"}", "settings.separation_m", TQ_EMALFORMED},
		{"{\"separation_m\": -1}", "settings.separation_m", TQ_EINVALID},
		{"{\"time_margin\": \"10 minutes\"}", "settings.time_margin", TQ_EINVALID},
		{"{\"ack_deadline\": {\"urgent\": \"PT1M\"}}", "settings.ack_deadline.urgent", TQ_EINVALID},
		{"{\"colour\": \"red\"}", "settings.colour", TQ_EINVALID},
		{"{\"min_notice\": \"PT5M\", \"threat_response\": 7}", "settings.threat_response", TQ_EMALFORMED},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct track_settings s, before;
		struct tq_field_error e = {{0}, {0}};
		settings_defaults(&s);
		before = s;
		json_t *in = json_loads(cases[i].json, 0, NULL);
		assert_non_null(in);
		assert_int_equal(settings_merge_json(&s, in, &e), cases[i].err);
		assert_string_equal(e.field, cases[i].field);
		assert_memory_equal(&s, &before, sizeof s);
		json_decref(in);
	}
}

static void precedence_names_round_trip(void **state)
{
	(void)state;
	assert_int_equal(precedence_parse("flash"), PREC_FLASH);
	assert_int_equal(precedence_parse("routine"), PREC_ROUTINE);
	assert_int_equal(precedence_parse("FLASH"), -1);
	assert_string_equal(precedence_name(PREC_IMMEDIATE), "immediate");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_the_contracts),
		cmocka_unit_test(merge_changes_only_given_keys),
		cmocka_unit_test(bad_values_fail_and_change_nothing),
		cmocka_unit_test(precedence_names_round_trip),
	};
	return cmocka_run_group_tests_name("settings", tests, NULL, NULL);
}
