/* volume: the engine's spatio-temporal index against a brute-force filter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/volume.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define MIN 60000LL
#define DAY (24 * 60 * MIN)

static struct subject *mk(const char *id, double x, double y, double size, tq_time start, tq_time end)
{
	struct subject *s = calloc(1, sizeof *s);
	assert_non_null(s);
	s->id = strdup(id);
	s->bbox[0] = x;
	s->bbox[1] = y;
	s->bbox[2] = x + size;
	s->bbox[3] = y + size;
	s->start = start;
	s->end = end;
	s->alt_min = 0;
	s->alt_max = 1000;
	return s;
}

static void rm(struct subject *s)
{
	free(s->id);
	free(s);
}

static size_t query(struct volume_index *x, double x0, double y0, double x1, double y1, tq_time start, tq_time end,
		    struct subject ***out)
{
	struct volume_query q = {{x0, y0, x1, y1}, start, end, 0, 1000};
	size_t n;
	assert_int_equal(volume_index_query(x, &q, out, &n), 0);
	return n;
}

static int found(struct subject **v, size_t n, const struct subject *s)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == s)
			return 1;
	return 0;
}

static void test_query_finds_short_long_and_open_windows_in_one_cell(void **state)
{
	(void)state;
	struct volume_index *x = volume_index_new();
	struct subject *shorter = mk("a", 36.0, 33.0, 0.01, T0 + 10 * MIN, T0 + 70 * MIN);
	struct subject *longer = mk("b", 36.0, 33.0, 0.01, T0 - 30 * DAY, T0 + 30 * DAY);
	struct subject *open = mk("c", 36.0, 33.0, 0.01, TQ_TIME_MIN, TQ_TIME_MAX);
	struct subject *later = mk("d", 36.0, 33.0, 0.01, T0 + 2 * DAY, T0 + 2 * DAY + 60 * MIN);
	struct subject **v;
	assert_int_equal(volume_index_insert(x, shorter), 0);
	assert_int_equal(volume_index_insert(x, longer), 0);
	assert_int_equal(volume_index_insert(x, open), 0);
	assert_int_equal(volume_index_insert(x, later), 0);
	size_t n = query(x, 36.0, 33.0, 36.001, 33.001, T0 + 60 * MIN, T0 + 61 * MIN, &v);
	assert_int_equal(n, 3);
	assert_true(found(v, n, shorter) && found(v, n, longer) && found(v, n, open));
	volume_index_free(x);
	rm(shorter);
	rm(longer);
	rm(open);
	rm(later);
}

static void test_query_window_ends_are_closed(void **state)
{
	(void)state;
	struct volume_index *x = volume_index_new();
	struct subject *s = mk("a", 36.0, 33.0, 0.01, T0, T0 + 60 * MIN);
	struct subject **v;
	assert_int_equal(volume_index_insert(x, s), 0);
	assert_int_equal(query(x, 36.0, 33.0, 36.01, 33.01, T0 + 60 * MIN, T0 + 90 * MIN, &v), 1);
	assert_int_equal(query(x, 36.0, 33.0, 36.01, 33.01, T0 - 30 * MIN, T0, &v), 1);
	assert_int_equal(query(x, 36.0, 33.0, 36.01, 33.01, T0 + 60 * MIN + 1, T0 + 90 * MIN, &v), 0);
	volume_index_free(x);
	rm(s);
}

static double rnd(uint64_t *r)
{
	*r = *r * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*r >> 11) / 9007199254740992.0;
}

/* Every query answers exactly what a scan of the live subjects answers. */
static void check_against_scan(struct volume_index *x, struct subject **s, const int *live, int n, uint64_t *r)
{
	for (int k = 0; k < 300; k++) {
		double qx = 36.0 + rnd(r) * 0.2, qy = 33.0 + rnd(r) * 0.2, qs = rnd(r) * 0.05;
		tq_time start = T0 + (tq_time)(rnd(r) * 30 * DAY), end = start + (tq_time)(rnd(r) * 600 * MIN);
		struct subject **v;
		size_t got = query(x, qx, qy, qx + qs, qy + qs, start, end, &v), want = 0;
		for (int i = 0; i < n; i++) {
			int meets = live[i] && s[i]->start <= end && start <= s[i]->end && s[i]->bbox[0] <= qx + qs &&
				    qx <= s[i]->bbox[2] && s[i]->bbox[1] <= qy + qs && qy <= s[i]->bbox[3];
			want += (size_t)meets;
			if (meets)
				assert_true(found(v, got, s[i]));
		}
		assert_int_equal(got, want);
	}
}

/* Many subjects in few cells (short, long and open windows), inserted,
 * removed (most of them, so that cells compact) and inserted again. */
static void test_queries_after_inserts_and_removals_match_a_scan(void **state)
{
	(void)state;
	enum { N = 3000 };
	struct volume_index *x = volume_index_new();
	struct subject *s[N];
	int live[N] = {0};
	char id[16];
	uint64_t r = 42;
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof id, "v%d", i);
		tq_time start = T0 + (tq_time)(rnd(&r) * 30 * DAY);
		tq_time end = start + (tq_time)(rnd(&r) * (i % 10 == 0 ? 20 * DAY : 240 * MIN));
		if (i % 97 == 0)
			end = TQ_TIME_MAX;
		double sx = 36.0 + rnd(&r) * 0.2, sy = 33.0 + rnd(&r) * 0.2, size = rnd(&r) * 0.05;
		s[i] = mk(id, sx, sy, size, start, end);
		assert_int_equal(volume_index_insert(x, s[i]), 0);
		live[i] = 1;
	}
	check_against_scan(x, s, live, N, &r);
	for (int i = 0; i < N; i += 3) {
		volume_index_remove(x, s[i]);
		live[i] = 0;
	}
	assert_int_equal(volume_index_count(x), N - (N + 2) / 3);
	check_against_scan(x, s, live, N, &r);
	for (int i = 0; i < N; i++) {
		if (i % 10 != 9 && live[i]) {
			volume_index_remove(x, s[i]);
			live[i] = 0;
		}
	}
	check_against_scan(x, s, live, N, &r);
	for (int i = 0; i < N; i += 2) {
		if (!live[i]) {
			assert_int_equal(volume_index_insert(x, s[i]), 0);
			live[i] = 1;
		}
	}
	check_against_scan(x, s, live, N, &r);
	volume_index_free(x);
	for (int i = 0; i < N; i++)
		rm(s[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_finds_short_long_and_open_windows_in_one_cell),
		cmocka_unit_test(test_query_window_ends_are_closed),
		cmocka_unit_test(test_queries_after_inserts_and_removals_match_a_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
