#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/tqtime.h"

static void parses_utc_and_offsets_to_the_same_instant(void **state)
{
	(void)state;
	tq_time a, b, c;
	assert_int_equal(tqtime_parse("2026-01-06T09:00:00Z", &a), 0);
	assert_int_equal(tqtime_parse("2026-01-06T12:00:00+03:00", &b), 0);
	assert_int_equal(tqtime_parse("2026-01-06T04:30:00-04:30", &c), 0);
	assert_int_equal(a, 1767690000000LL);
	assert_int_equal(a, b);
	assert_int_equal(a, c);
}

static void parses_fractions_to_milliseconds(void **state)
{
	(void)state;
	tq_time t;
	assert_int_equal(tqtime_parse("1970-01-01T00:00:01.5Z", &t), 0);
	assert_int_equal(t, 1500);
	assert_int_equal(tqtime_parse("1970-01-01T00:00:00.123456789Z", &t), 0);
	assert_int_equal(t, 123);
}

static void rejects_malformed_times(void **state)
{
	(void)state;
	tq_time t;
	const char *bad[] = {"", "2026-01-06", "2026-01-06T09:00:00", "2026-02-30T00:00:00Z",
			     "2026-13-01T00:00:00Z", "2026-01-06T24:00:00Z", "2026-01-06T09:00:00+3:00",
			     "2026-01-06T09:00:00Zjunk", "1969-12-31T23:59:59Z", "2026-01-06 09:00:00Z", NULL};
	for (int i = 0; bad[i]; i++)
		assert_int_equal(tqtime_parse(bad[i], &t), TQ_EINVALID);
}

static void range_applies_to_the_instant_after_the_offset(void **state)
{
	(void)state;
	tq_time t;
	assert_int_equal(tqtime_parse("1970-01-01T00:30:00+01:00", &t), TQ_EINVALID);
	assert_int_equal(tqtime_parse("9999-12-31T23:00:00-01:30", &t), TQ_EINVALID);
	assert_int_equal(tqtime_parse("1970-01-01T01:00:00+01:00", &t), 0);
	assert_int_equal(t, 0);
}

static void every_parsed_duration_formats_and_parses_back(void **state)
{
	(void)state;
	int64_t ms, back;
	char buf[TQTIME_BUFSZ];
	assert_int_equal(tqtime_duration_parse("P200000000W", &ms), TQ_EINVALID);
	assert_int_equal(tqtime_duration_parse("P5217W", &ms), 0);
	tqtime_duration_format(ms, buf);
	assert_string_equal(buf, "P36519D");
	assert_int_equal(tqtime_duration_parse(buf, &back), 0);
	assert_int_equal(back, ms);
}

static void formats_utc_with_z_and_millis_only_when_present(void **state)
{
	(void)state;
	char buf[TQTIME_BUFSZ];
	tqtime_format(1767690000000LL, buf);
	assert_string_equal(buf, "2026-01-06T09:00:00Z");
	tqtime_format(1767690000250LL, buf);
	assert_string_equal(buf, "2026-01-06T09:00:00.250Z");
	tqtime_format_basic(1767690000000LL, buf);
	assert_string_equal(buf, "20260106T090000Z");
}

static void parses_durations(void **state)
{
	(void)state;
	int64_t ms;
	assert_int_equal(tqtime_duration_parse("PT5M", &ms), 0);
	assert_int_equal(ms, 300000);
	assert_int_equal(tqtime_duration_parse("P1D", &ms), 0);
	assert_int_equal(ms, 86400000);
	assert_int_equal(tqtime_duration_parse("P2W", &ms), 0);
	assert_int_equal(ms, 14 * 86400000LL);
	assert_int_equal(tqtime_duration_parse("P1DT2H3M4.5S", &ms), 0);
	assert_int_equal(ms, 86400000 + 2 * 3600000 + 3 * 60000 + 4500);
	assert_int_equal(tqtime_duration_parse("PT2S", &ms), 0);
	assert_int_equal(ms, 2000);
}

static void rejects_bad_durations(void **state)
{
	(void)state;
	int64_t ms;
	const char *bad[] = {"", "P", "PT", "5M", "P1M", "P1Y", "PT1H1H", "PT1M1H", "P1.5D", "PT-1S", "PT1S ", NULL};
	for (int i = 0; bad[i]; i++)
		assert_int_equal(tqtime_duration_parse(bad[i], &ms), TQ_EINVALID);
}

static void formats_durations_canonically(void **state)
{
	(void)state;
	char buf[TQTIME_BUFSZ];
	tqtime_duration_format(300000, buf);
	assert_string_equal(buf, "PT5M");
	tqtime_duration_format(14 * 86400000LL, buf);
	assert_string_equal(buf, "P14D");
	tqtime_duration_format(86400000 + 3600000, buf);
	assert_string_equal(buf, "P1DT1H");
	tqtime_duration_format(1500, buf);
	assert_string_equal(buf, "PT1.500S");
	tqtime_duration_format(0, buf);
	assert_string_equal(buf, "PT0S");
}

static void civil_round_trip_and_weekday(void **state)
{
	(void)state;
	struct tq_civil c = {.year = 2028, .month = 2, .day = 29, .hour = 23, .minute = 59, .second = 59};
	struct tq_civil back;
	tqtime_to_civil(tqtime_from_civil(&c), &back);
	assert_int_equal(back.year, 2028);
	assert_int_equal(back.month, 2);
	assert_int_equal(back.day, 29);
	assert_int_equal(back.second, 59);
	assert_int_equal(back.weekday, 1); /* 2028-02-29 is a Tuesday */
	assert_int_equal(tqtime_days_in_month(2100, 2), 28);
	assert_int_equal(tqtime_days_in_month(2000, 2), 29);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_utc_and_offsets_to_the_same_instant),
		cmocka_unit_test(parses_fractions_to_milliseconds),
		cmocka_unit_test(rejects_malformed_times),
		cmocka_unit_test(range_applies_to_the_instant_after_the_offset),
		cmocka_unit_test(every_parsed_duration_formats_and_parses_back),
		cmocka_unit_test(formats_utc_with_z_and_millis_only_when_present),
		cmocka_unit_test(parses_durations),
		cmocka_unit_test(rejects_bad_durations),
		cmocka_unit_test(formats_durations_canonically),
		cmocka_unit_test(civil_round_trip_and_weekday),
	};
	return cmocka_run_group_tests_name("tqtime", tests, NULL, NULL);
}
