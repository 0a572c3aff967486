/* tally (src/server/tally.h): counts per key, caps, forgetting keys at zero, growth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "server/tally.h"

static void counts_per_key_up_to_the_cap(void **state)
{
	(void)state;
	struct tally *t = tally_new();
	assert_non_null(t);
	assert_int_equal(tally_take(t, "127.0.0.1", 2), 0);
	assert_int_equal(tally_take(t, "127.0.0.1", 2), 0);
	assert_int_equal(tally_take(t, "127.0.0.1", 2), 1); /* at the cap: not counted */
	assert_int_equal(tally_get(t, "127.0.0.1"), 2);
	assert_int_equal(tally_take(t, "127.0.0.2", 2), 0); /* another key has its own count */
	assert_int_equal(tally_get(t, "127.0.0.2"), 1);
	tally_give(t, "127.0.0.1");
	assert_int_equal(tally_take(t, "127.0.0.1", 2), 0); /* a slot given back is taken again */
	tally_free(t);
}

static void cap_zero_means_no_cap(void **state)
{
	(void)state;
	struct tally *t = tally_new();
	for (int i = 0; i < 1000; i++)
		assert_int_equal(tally_take(t, "u", 0), 0);
	assert_int_equal(tally_get(t, "u"), 1000);
	tally_free(t);
}

static void keys_at_zero_are_forgotten_and_giving_an_absent_key_is_harmless(void **state)
{
	(void)state;
	struct tally *t = tally_new();
	assert_int_equal(tally_take(t, "k", 1), 0);
	tally_give(t, "k");
	assert_int_equal(tally_get(t, "k"), 0);
	tally_give(t, "k"); /* never below zero */
	tally_give(t, "never-seen");
	assert_int_equal(tally_get(t, "k"), 0);
	assert_int_equal(tally_take(t, "k", 1), 0);
	tally_free(t);
}

static void many_keys_survive_growth(void **state)
{
	(void)state;
	struct tally *t = tally_new();
	char key[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "user-%d", i);
		assert_int_equal(tally_take(t, key, 3), 0);
		assert_int_equal(tally_take(t, key, 3), 0);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "user-%d", i);
		assert_int_equal(tally_get(t, key), 2);
	}
	tally_free(t);
}

static void long_keys_are_cut_consistently(void **state)
{
	(void)state;
	struct tally *t = tally_new();
	char a[200], b[200];
	memset(a, 'x', sizeof a - 1);
	a[sizeof a - 1] = '\0';
	memcpy(b, a, sizeof b);
	b[150] = 'y'; /* differs only beyond TALLY_KEY_MAX: the same key */
	assert_int_equal(tally_take(t, a, 1), 0);
	assert_int_equal(tally_take(t, b, 1), 1);
	tally_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counts_per_key_up_to_the_cap),
		cmocka_unit_test(cap_zero_means_no_cap),
		cmocka_unit_test(keys_at_zero_are_forgotten_and_giving_an_absent_key_is_harmless),
		cmocka_unit_test(many_keys_survive_growth),
		cmocka_unit_test(long_keys_are_cut_consistently),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
