/*
 * test_event_types — the one list of event types (src/core/event_types.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/event_types.h"

static void known_types_and_nothing_else(void **state)
{
	(void)state;
	assert_true(event_type_known("zone.declared"));
	assert_true(event_type_known("message.escalated"));
	assert_true(event_type_known("user.deleted"));
	/* Names the console once listed but the server never emits. */
	assert_false(event_type_known("zone.created"));
	assert_false(event_type_known("zone.in_force"));
	assert_false(event_type_known("activity.created"));
	/* Deadline kinds are not event types. */
	assert_false(event_type_known("threat.respond"));
	assert_false(event_type_known("message.ack"));
	assert_false(event_type_known(""));
	assert_false(event_type_known(NULL));
	assert_false(event_type_known("zone.declared "));
}

static void sorted_unique_and_well_formed(void **state)
{
	(void)state;
	size_t n = 0;
	for (const char *const *t = event_types; *t; t++, n++) {
		const char *dot = strchr(*t, '.');
		assert_non_null(dot);
		assert_true(dot > *t && dot[1] != '\0' && !strchr(dot + 1, '.'));
		for (const char *c = *t; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || *c == '.' || *c == '_');
		if (n)
			assert_true(strcmp(t[-1], *t) < 0);
	}
	assert_int_equal(n, 38); /* 37 + user.certificate_issued (TAK gateway) */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_types_and_nothing_else),
		cmocka_unit_test(sorted_unique_and_well_formed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
