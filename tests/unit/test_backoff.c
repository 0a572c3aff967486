/*
 * test_backoff — the retry schedule of failing deadlines (src/core/backoff.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/backoff.h"

static void first_retry_after_one_second_then_doubling(void **state)
{
	(void)state;
	assert_int_equal(backoff_delay_ms(1), 1000);
	assert_int_equal(backoff_delay_ms(2), 2000);
	assert_int_equal(backoff_delay_ms(3), 4000);
	assert_int_equal(backoff_delay_ms(4), 8000);
	assert_int_equal(backoff_delay_ms(9), 256000);
}

static void capped_at_five_minutes(void **state)
{
	(void)state;
	assert_int_equal(backoff_delay_ms(10), 300000);
	assert_int_equal(backoff_delay_ms(11), 300000);
	assert_int_equal(backoff_delay_ms(1000000), 300000);
	assert_int_equal(backoff_delay_ms(UINT32_MAX), 300000);
}

static void never_shrinks_and_never_zero(void **state)
{
	(void)state;
	assert_int_equal(backoff_delay_ms(0), 1000);
	for (unsigned n = 1; n < 100; n++) {
		assert_true(backoff_delay_ms(n) > 0);
		assert_true(backoff_delay_ms(n + 1) >= backoff_delay_ms(n));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_retry_after_one_second_then_doubling),
		cmocka_unit_test(capped_at_five_minutes),
		cmocka_unit_test(never_shrinks_and_never_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
