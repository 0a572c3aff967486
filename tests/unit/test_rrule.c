/* Unit tests for core/rrule: expected dates are computed by hand from the calendar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/rrule.h"

static tq_time at(const char *rfc3339)
{
	tq_time t = 0;
	assert_int_equal(tqtime_parse(rfc3339, &t), TQ_OK);
	return t;
}

/*
 * Parses rule, expands it from dtstart over [from, to) (NULL = open end) and
 * checks the result against the expected RFC 3339 instants, in order.
 */
static void check_expand(const char *rule, const char *dtstart, const char *from, const char *to,
			 const char *const *expected, size_t nexpected)
{
	struct rrule r;
	char err[RRULE_ERRBUF_SZ];
	tq_time out[64];
	size_t n = 99;
	int rc = rrule_parse(rule, &r, err, sizeof err);
	if (rc != TQ_OK)
		fail_msg("rrule_parse(%s): %s", rule, err);
	assert_int_equal(rrule_expand(&r, at(dtstart), from ? at(from) : TQ_TIME_MIN, to ? at(to) : TQ_TIME_MAX,
				      out, 64, &n),
			 TQ_OK);
	for (size_t i = 0; i < n && i < nexpected; i++) {
		char got[TQTIME_BUFSZ];
		tqtime_format(out[i], got);
		assert_string_equal(got, expected[i]);
	}
	assert_int_equal(n, nexpected);
}

#define EXPECT(rule, dtstart, from, to, ...)                                                         \
	do {                                                                                         \
		static const char *const exp_[] = {__VA_ARGS__};                                     \
		check_expand(rule, dtstart, from, to, exp_, sizeof exp_ / sizeof exp_[0]);           \
	} while (0)

static void check_error(const char *rule, const char *needle)
{
	struct rrule r;
	char err[RRULE_ERRBUF_SZ] = "";
	assert_int_equal(rrule_parse(rule, &r, err, sizeof err), TQ_EINVALID);
	if (!strstr(err, needle))
		fail_msg("rrule_parse(%s): message \"%s\" does not name \"%s\"", rule, err, needle);
}

static void check_format(const char *rule, const char *canonical)
{
	struct rrule r, again;
	char err[RRULE_ERRBUF_SZ] = "", buf[RRULE_FORMAT_BUFSZ];
	if (rrule_parse(rule, &r, err, sizeof err) != TQ_OK)
		fail_msg("rrule_parse(%s): %s", rule, err);
	assert_int_equal(rrule_format(&r, buf, sizeof buf), TQ_OK);
	assert_string_equal(buf, canonical);
	/* The canonical text parses back to the same rule. */
	assert_int_equal(rrule_parse(buf, &again, err, sizeof err), TQ_OK);
	assert_memory_equal(&again, &r, sizeof r);
}

/* ---- expansion ---- */

static void test_daily_count_starts_at_dtstart(void **state)
{
	(void)state;
	EXPECT("FREQ=DAILY;COUNT=3", "2026-01-06T09:00:00Z", NULL, NULL, "2026-01-06T09:00:00Z",
	       "2026-01-07T09:00:00Z", "2026-01-08T09:00:00Z");
}

static void test_daily_interval_crosses_month_end(void **state)
{
	(void)state;
	EXPECT("FREQ=DAILY;INTERVAL=10;COUNT=4", "2026-01-25T07:15:00Z", NULL, NULL, "2026-01-25T07:15:00Z",
	       "2026-02-04T07:15:00Z", "2026-02-14T07:15:00Z", "2026-02-24T07:15:00Z");
}

static void test_daily_byday_filters_days(void **state)
{
	(void)state;
	/* 2026-01-05 is a Monday. */
	EXPECT("FREQ=DAILY;BYDAY=MO,FR;COUNT=4", "2026-01-05T09:00:00Z", NULL, NULL, "2026-01-05T09:00:00Z",
	       "2026-01-09T09:00:00Z", "2026-01-12T09:00:00Z", "2026-01-16T09:00:00Z");
}

static void test_daily_through_leap_day(void **state)
{
	(void)state;
	EXPECT("FREQ=DAILY;COUNT=3", "2028-02-27T09:00:00Z", NULL, NULL, "2028-02-27T09:00:00Z",
	       "2028-02-28T09:00:00Z", "2028-02-29T09:00:00Z");
}

static void test_daily_2100_has_no_leap_day(void **state)
{
	(void)state;
	EXPECT("FREQ=DAILY;COUNT=2", "2100-02-28T09:00:00Z", NULL, NULL, "2100-02-28T09:00:00Z",
	       "2100-03-01T09:00:00Z");
}

static void test_weekly_without_byday_uses_dtstart_weekday(void **state)
{
	(void)state;
	/* 2026-01-07 is a Wednesday. */
	EXPECT("FREQ=WEEKLY;COUNT=3", "2026-01-07T14:00:00Z", NULL, NULL, "2026-01-07T14:00:00Z",
	       "2026-01-14T14:00:00Z", "2026-01-21T14:00:00Z");
}

static void test_weekly_interval2_byday_mo_th(void **state)
{
	(void)state;
	/* Weeks of 5 Jan, 19 Jan and 2 Feb 2026 (every other Monday-based week). */
	EXPECT("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=6", "2026-01-05T09:00:00Z", NULL, NULL,
	       "2026-01-05T09:00:00Z", "2026-01-08T09:00:00Z", "2026-01-19T09:00:00Z", "2026-01-22T09:00:00Z",
	       "2026-02-02T09:00:00Z", "2026-02-05T09:00:00Z");
}

static void test_weekly_interval2_weeks_anchor_on_dtstart_week(void **state)
{
	(void)state;
	/* DTSTART Wednesday 7 Jan: Monday 5 Jan precedes it and is no occurrence; COUNT starts at 8 Jan. */
	EXPECT("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=4", "2026-01-07T09:00:00Z", NULL, NULL,
	       "2026-01-08T09:00:00Z", "2026-01-19T09:00:00Z", "2026-01-22T09:00:00Z", "2026-02-02T09:00:00Z");
}

static void test_weekly_sunday_belongs_to_week_starting_monday(void **state)
{
	(void)state;
	/* DTSTART Sunday 11 Jan 2026; with WKST=MO its week began on 5 Jan, so the next is 19 Jan. */
	EXPECT("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU;COUNT=3", "2026-01-11T18:00:00Z", NULL, NULL,
	       "2026-01-11T18:00:00Z", "2026-01-19T18:00:00Z", "2026-01-25T18:00:00Z");
}

static void test_monthly_on_31st_skips_short_months(void **state)
{
	(void)state;
	EXPECT("FREQ=MONTHLY;COUNT=7", "2026-01-31T10:00:00Z", NULL, NULL, "2026-01-31T10:00:00Z",
	       "2026-03-31T10:00:00Z", "2026-05-31T10:00:00Z", "2026-07-31T10:00:00Z", "2026-08-31T10:00:00Z",
	       "2026-10-31T10:00:00Z", "2026-12-31T10:00:00Z");
}

static void test_monthly_on_30th_skips_february_only(void **state)
{
	(void)state;
	EXPECT("FREQ=MONTHLY;UNTIL=20260430T235959Z", "2026-01-30T10:00:00Z", NULL, NULL,
	       "2026-01-30T10:00:00Z", "2026-03-30T10:00:00Z", "2026-04-30T10:00:00Z");
}

static void test_monthly_on_29th_in_leap_and_common_year(void **state)
{
	(void)state;
	EXPECT("FREQ=MONTHLY;COUNT=3", "2024-01-29T08:00:00Z", NULL, NULL, "2024-01-29T08:00:00Z",
	       "2024-02-29T08:00:00Z", "2024-03-29T08:00:00Z");
	EXPECT("FREQ=MONTHLY;COUNT=3", "2023-01-29T08:00:00Z", NULL, NULL, "2023-01-29T08:00:00Z",
	       "2023-03-29T08:00:00Z", "2023-04-29T08:00:00Z");
}

static void test_monthly_interval12_on_leap_day_skips_common_years(void **state)
{
	(void)state;
	EXPECT("FREQ=MONTHLY;INTERVAL=12;COUNT=3", "2024-02-29T12:00:00Z", NULL, NULL, "2024-02-29T12:00:00Z",
	       "2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z");
}

static void test_monthly_byday_first_monday(void **state)
{
	(void)state;
	/* 1 Feb and 1 Mar 2026 are Sundays, 1 Apr a Wednesday. */
	EXPECT("FREQ=MONTHLY;BYDAY=1MO;COUNT=4", "2026-01-05T09:00:00Z", NULL, NULL, "2026-01-05T09:00:00Z",
	       "2026-02-02T09:00:00Z", "2026-03-02T09:00:00Z", "2026-04-06T09:00:00Z");
}

static void test_monthly_byday_last_friday(void **state)
{
	(void)state;
	EXPECT("FREQ=MONTHLY;BYDAY=-1FR;COUNT=4", "2026-01-30T12:00:00Z", NULL, NULL, "2026-01-30T12:00:00Z",
	       "2026-02-27T12:00:00Z", "2026-03-27T12:00:00Z", "2026-04-24T12:00:00Z");
}

static void test_monthly_byday_fifth_monday_skips_months_without_one(void **state)
{
	(void)state;
	/* Fifth Mondays in 2026: 29 Jun, 31 Aug, 30 Nov (none in Jul, Sep, Oct). */
	EXPECT("FREQ=MONTHLY;BYDAY=5MO;COUNT=3", "2026-06-01T09:00:00Z", NULL, NULL, "2026-06-29T09:00:00Z",
	       "2026-08-31T09:00:00Z", "2026-11-30T09:00:00Z");
}

static void test_monthly_byday_plain_weekday_means_every_one(void **state)
{
	(void)state;
	/* Every Friday of February 2026 plus the first Monday. */
	EXPECT("FREQ=MONTHLY;BYDAY=FR,1MO;UNTIL=20260228", "2026-02-01T09:00:00Z", NULL, NULL,
	       "2026-02-02T09:00:00Z", "2026-02-06T09:00:00Z", "2026-02-13T09:00:00Z", "2026-02-20T09:00:00Z",
	       "2026-02-27T09:00:00Z");
}

static void test_until_is_inclusive(void **state)
{
	(void)state;
	EXPECT("FREQ=WEEKLY;UNTIL=20260119T090000Z", "2026-01-05T09:00:00Z", NULL, NULL, "2026-01-05T09:00:00Z",
	       "2026-01-12T09:00:00Z", "2026-01-19T09:00:00Z");
	EXPECT("FREQ=WEEKLY;UNTIL=20260119T085959Z", "2026-01-05T09:00:00Z", NULL, NULL, "2026-01-05T09:00:00Z",
	       "2026-01-12T09:00:00Z");
}

static void test_until_date_includes_that_whole_day(void **state)
{
	(void)state;
	EXPECT("FREQ=WEEKLY;UNTIL=20260119", "2026-01-05T21:00:00Z", NULL, NULL, "2026-01-05T21:00:00Z",
	       "2026-01-12T21:00:00Z", "2026-01-19T21:00:00Z");
}

static void test_count_and_until_select_the_same_series(void **state)
{
	(void)state;
	EXPECT("FREQ=DAILY;COUNT=2", "2026-03-01T09:00:00Z", NULL, NULL, "2026-03-01T09:00:00Z",
	       "2026-03-02T09:00:00Z");
	EXPECT("FREQ=DAILY;UNTIL=20260302T090000Z", "2026-03-01T09:00:00Z", NULL, NULL, "2026-03-01T09:00:00Z",
	       "2026-03-02T09:00:00Z");
}

static void test_until_before_dtstart_gives_nothing(void **state)
{
	struct rrule r;
	tq_time out[4];
	size_t n = 99;
	(void)state;
	assert_int_equal(rrule_parse("FREQ=DAILY;UNTIL=20251231T235959Z", &r, NULL, 0), TQ_OK);
	assert_int_equal(rrule_expand(&r, at("2026-01-01T00:00:00Z"), TQ_TIME_MIN, TQ_TIME_MAX, out, 4, &n), TQ_OK);
	assert_int_equal(n, 0);
}

static void test_window_after_dtstart_still_counts_from_dtstart(void **state)
{
	(void)state;
	/* COUNT=5 is 6..10 Jan; a window from 9 Jan sees only the last two. */
	EXPECT("FREQ=DAILY;COUNT=5", "2026-01-06T09:00:00Z", "2026-01-09T00:00:00Z", "2026-02-01T00:00:00Z",
	       "2026-01-09T09:00:00Z", "2026-01-10T09:00:00Z");
	/* Monthly on the 31st, COUNT=3 is Jan, Mar, May: a window over April-June sees May only. */
	EXPECT("FREQ=MONTHLY;COUNT=3", "2026-01-31T10:00:00Z", "2026-04-01T00:00:00Z", "2026-07-01T00:00:00Z",
	       "2026-05-31T10:00:00Z");
}

static void test_window_is_from_inclusive_to_exclusive(void **state)
{
	(void)state;
	EXPECT("FREQ=DAILY", "2026-01-06T09:00:00Z", "2026-01-07T09:00:00Z", "2026-01-09T09:00:00Z",
	       "2026-01-07T09:00:00Z", "2026-01-08T09:00:00Z");
}

static void test_window_far_after_dtstart_keeps_the_interval_grid(void **state)
{
	(void)state;
	/* 2026-01-01 to 2030-01-01 is 1461 days, a multiple of 3. */
	EXPECT("FREQ=DAILY;INTERVAL=3", "2026-01-01T08:00:00Z", "2030-01-01T00:00:00Z", "2030-01-08T00:00:00Z",
	       "2030-01-01T08:00:00Z", "2030-01-04T08:00:00Z", "2030-01-07T08:00:00Z");
	/* 4 Jan 2027 is 52 weeks after 5 Jan 2026: an "on" week of INTERVAL=2. */
	EXPECT("FREQ=WEEKLY;INTERVAL=2", "2026-01-05T09:00:00Z", "2027-01-01T00:00:00Z", "2027-01-31T00:00:00Z",
	       "2027-01-04T09:00:00Z", "2027-01-18T09:00:00Z");
	EXPECT("FREQ=MONTHLY", "2026-01-31T10:00:00Z", "2030-04-01T00:00:00Z", "2030-09-01T00:00:00Z",
	       "2030-05-31T10:00:00Z", "2030-07-31T10:00:00Z", "2030-08-31T10:00:00Z");
	/* Months since Jan 2026 to Mar 2030: 50, even, so INTERVAL=2 meets March and May. */
	EXPECT("FREQ=MONTHLY;INTERVAL=2", "2026-01-15T10:00:00Z", "2030-02-20T00:00:00Z", "2030-06-01T00:00:00Z",
	       "2030-03-15T10:00:00Z", "2030-05-15T10:00:00Z");
}

static void test_window_late_in_day_keeps_occurrence_after_from(void **state)
{
	(void)state;
	/* from falls between midnight and the 23:30 occurrence of the same day. */
	EXPECT("FREQ=DAILY;INTERVAL=2", "2026-01-01T23:30:00Z", "2026-01-03T12:00:00Z", "2026-01-06T00:00:00Z",
	       "2026-01-03T23:30:00Z", "2026-01-05T23:30:00Z");
}

static void test_expand_fills_at_most_max_and_resumes(void **state)
{
	struct rrule r;
	tq_time out[2];
	size_t n = 0;
	char got[TQTIME_BUFSZ];
	(void)state;
	assert_int_equal(rrule_parse("FREQ=DAILY", &r, NULL, 0), TQ_OK);
	assert_int_equal(rrule_expand(&r, at("2026-01-06T09:00:00Z"), TQ_TIME_MIN, TQ_TIME_MAX, out, 2, &n), TQ_OK);
	assert_int_equal(n, 2);
	tqtime_format(out[1], got);
	assert_string_equal(got, "2026-01-07T09:00:00Z");
	assert_int_equal(rrule_expand(&r, at("2026-01-06T09:00:00Z"), out[1] + 1, TQ_TIME_MAX, out, 2, &n), TQ_OK);
	assert_int_equal(n, 2);
	tqtime_format(out[0], got);
	assert_string_equal(got, "2026-01-08T09:00:00Z");
}

static void test_rule_that_never_matches_terminates_empty(void **state)
{
	struct rrule r;
	tq_time out[4];
	size_t n = 99;
	(void)state;
	/* Every 7th day from a Tuesday is always a Tuesday: no Monday ever. */
	assert_int_equal(rrule_parse("FREQ=DAILY;INTERVAL=7;BYDAY=MO", &r, NULL, 0), TQ_OK);
	assert_int_equal(rrule_expand(&r, at("2026-01-06T09:00:00Z"), TQ_TIME_MIN, TQ_TIME_MAX, out, 4, &n), TQ_OK);
	assert_int_equal(n, 0);
}

static void test_open_series_stops_at_the_last_year_libical_expands(void **state)
{
	struct rrule r;
	tq_time out[4];
	size_t n = 99;
	char got[TQTIME_BUFSZ];
	(void)state;
	/* Every 1000 months from 2400: 2483-05, 2566-09, then 2650-01 lies beyond RRULE_LAST_YEAR. */
	assert_int_equal(rrule_parse("FREQ=MONTHLY;INTERVAL=1000", &r, NULL, 0), TQ_OK);
	assert_int_equal(rrule_expand(&r, at("2400-01-01T00:00:00Z"), at("2450-01-01T00:00:00Z"), TQ_TIME_MAX, out,
				      4, &n),
			 TQ_OK);
	assert_int_equal(n, 2);
	tqtime_format(out[0], got);
	assert_string_equal(got, "2483-05-01T00:00:00Z");
	tqtime_format(out[1], got);
	assert_string_equal(got, "2566-09-01T00:00:00Z");
	/* A window past the last year holds nothing; a DTSTART past it is refused. */
	assert_int_equal(rrule_parse("FREQ=DAILY", &r, NULL, 0), TQ_OK);
	assert_int_equal(rrule_expand(&r, at("2026-01-01T00:00:00Z"), at("2600-01-01T00:00:00Z"), TQ_TIME_MAX, out,
				      4, &n),
			 TQ_OK);
	assert_int_equal(n, 0);
	assert_int_equal(rrule_expand(&r, at("2582-12-31T00:00:00Z"), TQ_TIME_MIN, TQ_TIME_MAX, out, 4, &n), TQ_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rrule_expand(&r, at("2583-01-01T00:00:00Z"), TQ_TIME_MIN, TQ_TIME_MAX, out, 4, &n),
			 TQ_EINVALID);
	assert_int_equal(n, 0);
}

static void test_time_of_day_and_millis_come_from_dtstart(void **state)
{
	(void)state;
	EXPECT("FREQ=WEEKLY;COUNT=2", "2026-01-06T06:07:08.250Z", NULL, NULL, "2026-01-06T06:07:08.250Z",
	       "2026-01-13T06:07:08.250Z");
}

static void test_expand_refuses_bad_arguments(void **state)
{
	struct rrule r;
	tq_time out[1];
	size_t n = 99;
	(void)state;
	assert_int_equal(rrule_parse("FREQ=DAILY", &r, NULL, 0), TQ_OK);
	assert_int_equal(rrule_expand(&r, -1, TQ_TIME_MIN, TQ_TIME_MAX, out, 1, &n), TQ_EINVALID);
	assert_int_equal(n, 0);
	assert_int_equal(rrule_expand(&r, 0, TQ_TIME_MIN, TQ_TIME_MAX, NULL, 1, &n), TQ_EINVALID);
	r.interval = 0;
	assert_int_equal(rrule_expand(&r, 0, TQ_TIME_MIN, TQ_TIME_MAX, out, 1, &n), TQ_EINVALID);
}

/* ---- parsing and formatting ---- */

static void test_parse_fields(void **state)
{
	struct rrule r;
	(void)state;
	assert_int_equal(rrule_parse("RRULE:FREQ=MONTHLY;INTERVAL=3;COUNT=12;BYDAY=1MO,-1FR,WE", &r, NULL, 0),
			 TQ_OK);
	assert_int_equal(r.freq, RRULE_MONTHLY);
	assert_int_equal(r.interval, 3);
	assert_int_equal(r.count, 12);
	assert_true(r.until == TQ_TIME_MAX);
	assert_int_equal(r.byday, 1 << 2);
	assert_int_equal(r.byday_nth[0], 1 << 0);
	assert_int_equal(r.byday_nth[4], 1 << 5);
}

static void test_parse_limits_are_inclusive(void **state)
{
	struct rrule r;
	(void)state;
	assert_int_equal(rrule_parse("FREQ=DAILY;COUNT=10000;INTERVAL=1000", &r, NULL, 0), TQ_OK);
	assert_int_equal(r.count, 10000);
	assert_int_equal(r.interval, 1000);
}

static void test_parse_accepts_256_bytes_refuses_257(void **state)
{
	char s[300];
	struct rrule r;
	(void)state;
	strcpy(s, "RRULE:FREQ=DAILY;INTERVAL=");
	size_t len = strlen(s);
	memset(s + len, '0', 256 - len - 1);
	strcpy(s + 255, "2");
	assert_int_equal(strlen(s), 256);
	assert_int_equal(rrule_parse(s, &r, NULL, 0), TQ_OK);
	assert_int_equal(r.interval, 2);
	s[255] = '0';
	strcpy(s + 256, "2");
	check_error(s, "longer than 256 bytes");
}

static void test_format_is_canonical(void **state)
{
	(void)state;
	check_format("rrule:freq=weekly;byday=th,mo;interval=2", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=MO");
	check_format("FREQ=DAILY;INTERVAL=1;COUNT=005", "FREQ=DAILY;COUNT=5");
	check_format("FREQ=DAILY;UNTIL=20260131", "FREQ=DAILY;UNTIL=20260131T235959Z");
	check_format("FREQ=WEEKLY;WKST=MO;UNTIL=20260131T090000Z;BYDAY=SU", "FREQ=WEEKLY;UNTIL=20260131T090000Z;BYDAY=SU");
	check_format("FREQ=MONTHLY;BYDAY=-1FR,+1MO,FR,-5FR", "FREQ=MONTHLY;BYDAY=1MO,FR,-1FR,-5FR");
	check_format("FREQ=MONTHLY", "FREQ=MONTHLY");
}

static void test_format_reports_small_buffer(void **state)
{
	struct rrule r;
	char buf[8];
	(void)state;
	assert_int_equal(rrule_parse("FREQ=MONTHLY;COUNT=3", &r, NULL, 0), TQ_OK);
	assert_int_equal(rrule_format(&r, buf, sizeof buf), TQ_ETOOBIG);
	assert_string_equal(buf, "");
}

static void test_unsupported_parts_are_named(void **state)
{
	(void)state;
	check_error("FREQ=MONTHLY;BYMONTHDAY=15", "RRULE part BYMONTHDAY is not supported");
	check_error("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=-1", "RRULE part BYSETPOS is not supported");
	check_error("FREQ=DAILY;BYHOUR=9", "RRULE part BYHOUR is not supported");
	check_error("FREQ=MONTHLY;bymonth=3", "RRULE part BYMONTH is not supported");
	check_error("FREQ=YEARLY", "RRULE part FREQ=YEARLY is not supported");
	check_error("FREQ=HOURLY", "FREQ=HOURLY");
	check_error("FREQ=WEEKLY;WKST=SU", "RRULE part WKST=SU is not supported");
}

static void test_count_and_until_together_are_refused(void **state)
{
	(void)state;
	check_error("FREQ=DAILY;COUNT=3;UNTIL=20260101T000000Z", "COUNT and UNTIL");
}

static void test_duplicate_parts_are_refused(void **state)
{
	(void)state;
	check_error("FREQ=DAILY;COUNT=3;COUNT=4", "RRULE part COUNT appears twice");
	check_error("FREQ=DAILY;freq=WEEKLY", "RRULE part FREQ appears twice");
	check_error("FREQ=WEEKLY;BYDAY=MO,mo", "BYDAY lists \"MO\" twice");
}

static void test_bad_values_name_their_part(void **state)
{
	(void)state;
	check_error("FREQ=DAILY;COUNT=0", "COUNT=0");
	check_error("FREQ=DAILY;COUNT=10001", "COUNT=10001");
	check_error("FREQ=DAILY;COUNT=-1", "COUNT");
	check_error("FREQ=DAILY;INTERVAL=0", "INTERVAL=0");
	check_error("FREQ=DAILY;INTERVAL=1001", "INTERVAL=1001");
	check_error("FREQ=DAILY;INTERVAL=2x", "INTERVAL");
	check_error("FREQ=DAILY;UNTIL=20260101T000000", "UNTIL");
	check_error("FREQ=DAILY;UNTIL=20260230", "UNTIL=20260230");
	check_error("FREQ=DAILY;UNTIL=2026-01-01", "UNTIL");
	check_error("FREQ=MONTHLY;BYDAY=6MO", "BYDAY");
	check_error("FREQ=MONTHLY;BYDAY=0MO", "BYDAY");
	check_error("FREQ=MONTHLY;BYDAY=XX", "BYDAY");
	check_error("FREQ=MONTHLY;BYDAY=MO,", "BYDAY");
	check_error("FREQ=WEEKLY;BYDAY=1MO", "BYDAY with an ordinal");
	check_error("FREQ=DAILY;BYDAY=-1FR", "BYDAY with an ordinal");
	check_error("FREQ", "RRULE part FREQ has no value");
	check_error("FREQ=", "RRULE part FREQ has no value");
}

static void test_malformed_rules_are_refused(void **state)
{
	(void)state;
	check_error("", "RRULE is empty");
	check_error("RRULE:", "RRULE is empty");
	check_error("COUNT=3", "RRULE part FREQ is missing");
	check_error("FREQ=DAILY;", "empty part");
	check_error("FREQ=DAILY;;COUNT=2", "empty part");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_daily_count_starts_at_dtstart),
		cmocka_unit_test(test_daily_interval_crosses_month_end),
		cmocka_unit_test(test_daily_byday_filters_days),
		cmocka_unit_test(test_daily_through_leap_day),
		cmocka_unit_test(test_daily_2100_has_no_leap_day),
		cmocka_unit_test(test_weekly_without_byday_uses_dtstart_weekday),
		cmocka_unit_test(test_weekly_interval2_byday_mo_th),
		cmocka_unit_test(test_weekly_interval2_weeks_anchor_on_dtstart_week),
		cmocka_unit_test(test_weekly_sunday_belongs_to_week_starting_monday),
		cmocka_unit_test(test_monthly_on_31st_skips_short_months),
		cmocka_unit_test(test_monthly_on_30th_skips_february_only),
		cmocka_unit_test(test_monthly_on_29th_in_leap_and_common_year),
		cmocka_unit_test(test_monthly_interval12_on_leap_day_skips_common_years),
		cmocka_unit_test(test_monthly_byday_first_monday),
		cmocka_unit_test(test_monthly_byday_last_friday),
		cmocka_unit_test(test_monthly_byday_fifth_monday_skips_months_without_one),
		cmocka_unit_test(test_monthly_byday_plain_weekday_means_every_one),
		cmocka_unit_test(test_until_is_inclusive),
		cmocka_unit_test(test_until_date_includes_that_whole_day),
		cmocka_unit_test(test_count_and_until_select_the_same_series),
		cmocka_unit_test(test_until_before_dtstart_gives_nothing),
		cmocka_unit_test(test_window_after_dtstart_still_counts_from_dtstart),
		cmocka_unit_test(test_window_is_from_inclusive_to_exclusive),
		cmocka_unit_test(test_window_far_after_dtstart_keeps_the_interval_grid),
		cmocka_unit_test(test_window_late_in_day_keeps_occurrence_after_from),
		cmocka_unit_test(test_expand_fills_at_most_max_and_resumes),
		cmocka_unit_test(test_rule_that_never_matches_terminates_empty),
		cmocka_unit_test(test_open_series_stops_at_the_last_year_libical_expands),
		cmocka_unit_test(test_time_of_day_and_millis_come_from_dtstart),
		cmocka_unit_test(test_expand_refuses_bad_arguments),
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_limits_are_inclusive),
		cmocka_unit_test(test_parse_accepts_256_bytes_refuses_257),
		cmocka_unit_test(test_format_is_canonical),
		cmocka_unit_test(test_format_reports_small_buffer),
		cmocka_unit_test(test_unsupported_parts_are_named),
		cmocka_unit_test(test_count_and_until_together_are_refused),
		cmocka_unit_test(test_duplicate_parts_are_refused),
		cmocka_unit_test(test_bad_values_name_their_part),
		cmocka_unit_test(test_malformed_rules_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
