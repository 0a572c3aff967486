/* hub_caps (src/server/hub_caps.h): the cell-wide, per-user and per-address stream caps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "server/hub_caps.h"

static void each_cap_refuses_and_names_itself_and_a_refusal_takes_nothing(void **state)
{
	(void)state;
	struct hub_caps *c = hub_caps_new(4, 2, 3);
	const char *detail = NULL;
	assert_non_null(c);
	assert_int_equal(hub_caps_take(c, "u1", "a1", &detail), TQ_OK);
	assert_int_equal(hub_caps_take(c, "u1", "a1", &detail), TQ_OK);
	assert_int_equal(hub_caps_take(c, "u1", "a2", &detail), TQ_ERATE); /* per user */
	assert_non_null(strstr(detail, "user"));
	assert_int_equal(hub_caps_take(c, "u2", "a1", &detail), TQ_OK);
	assert_int_equal(hub_caps_take(c, "u3", "a1", &detail), TQ_ERATE); /* per address */
	assert_non_null(strstr(detail, "address"));
	assert_int_equal(hub_caps_open(c), 3);
	assert_int_equal(hub_caps_take(c, "u3", "a2", &detail), TQ_OK);
	assert_int_equal(hub_caps_take(c, "u4", "a3", &detail), TQ_ERATE); /* the cell */
	assert_non_null(strstr(detail, "server"));
	assert_int_equal(hub_caps_open(c), 4);
	hub_caps_give(c, "u1", "a1");
	assert_int_equal(hub_caps_take(c, "u4", "a3", &detail), TQ_OK); /* a slot given back is taken again */
	/* The refused per-address take above did not keep u3's user slot: u3 has one stream. */
	assert_int_equal(hub_caps_take(c, "u3", "a3", &detail), TQ_ERATE); /* now the cell is full */
	hub_caps_give(c, "u4", "a3");
	assert_int_equal(hub_caps_take(c, "u3", "a3", &detail), TQ_OK);
	assert_int_equal(hub_caps_take(c, "u3", "a4", &detail), TQ_ERATE); /* the cell is full again */
	hub_caps_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_cap_refuses_and_names_itself_and_a_refusal_takes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
