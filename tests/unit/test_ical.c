/* Unit tests for core/ical, our use of libical: the calendar's structure is
 * compared octet for octet; folding (libical's) is checked by its RFC 5545
 * promises: no line over 75 octets, no UTF-8 sequence split, and unfolding
 * gives the text back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ical.h"

static tq_time at(const char *rfc3339)
{
	tq_time t = 0;
	assert_int_equal(tqtime_parse(rfc3339, &t), TQ_OK);
	return t;
}

static struct ical_event plain_event(void)
{
	struct ical_event e = {
		.uid = "mtg_01JABC@tansiq",
		.dtstart = at("2026-01-06T09:00:00Z"),
		.duration_ms = 90 * 60 * 1000,
		.summary = "TR-IL coordination",
		.location = "Baku",
	};
	return e;
}

/* Builds a one-event calendar and returns the text (owned). */
static char *calendar_of(const struct ical_event *e)
{
	char *text = NULL;
	assert_int_equal(ical_calendar(e, 1, at("2026-01-01T12:00:00Z"), &text), TQ_OK);
	assert_non_null(text);
	return text;
}

/* The single content line starting with prefix, unfolded (CRLF + space removed). */
static void unfolded_line(const char *text, const char *prefix, char *out, size_t outlen)
{
	const char *p = strstr(text, prefix);
	size_t n = 0;
	if (!p)
		fail_msg("no line starting with %s", prefix);
	while (*p) {
		if (p[0] == '\r' && p[1] == '\n') {
			if (p[2] != ' ')
				break;
			p += 3;
			continue;
		}
		assert_true(n + 1 < outlen);
		out[n++] = *p++;
	}
	out[n] = '\0';
}

static void test_calendar_structure_is_exact(void **state)
{
	struct rrule r;
	(void)state;
	assert_int_equal(rrule_parse("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", &r, NULL, 0), TQ_OK);
	struct ical_event e = plain_event();
	e.rrule = &r;
	char *text = calendar_of(&e);
	assert_string_equal(text, "BEGIN:VCALENDAR\r\n"
				  "VERSION:2.0\r\n"
				  "PRODID:-//tansiq//tansiq 0.1//EN\r\n"
				  "CALSCALE:GREGORIAN\r\n"
				  "BEGIN:VEVENT\r\n"
				  "UID:mtg_01JABC@tansiq\r\n"
				  "DTSTAMP:20260101T120000Z\r\n"
				  "DTSTART:20260106T090000Z\r\n"
				  "DTEND:20260106T103000Z\r\n"
				  /* WKST=MO is RFC 5545's default: libical leaves it out */
				  "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU\r\n"
				  "SUMMARY:TR-IL coordination\r\n"
				  "LOCATION:Baku\r\n"
				  "END:VEVENT\r\n"
				  "END:VCALENDAR\r\n");
	free(text);
}

static void test_one_vevent_per_series(void **state)
{
	struct rrule daily, monthly;
	char *text = NULL;
	(void)state;
	assert_int_equal(rrule_parse("FREQ=DAILY;COUNT=3", &daily, NULL, 0), TQ_OK);
	assert_int_equal(rrule_parse("FREQ=MONTHLY;BYDAY=-1FR", &monthly, NULL, 0), TQ_OK);
	struct ical_event ev[2] = {plain_event(), plain_event()};
	ev[0].rrule = &daily;
	ev[1].uid = "mtg_02@tansiq";
	ev[1].rrule = &monthly;
	assert_int_equal(ical_calendar(ev, 2, at("2026-01-01T12:00:00Z"), &text), TQ_OK);
	const char *first = strstr(text, "BEGIN:VEVENT\r\nUID:mtg_01JABC@tansiq\r\n");
	const char *second = strstr(text, "BEGIN:VEVENT\r\nUID:mtg_02@tansiq\r\n");
	assert_non_null(first);
	assert_non_null(second);
	assert_true(first < second);
	assert_non_null(strstr(first, "RRULE:FREQ=DAILY;COUNT=3\r\n"));
	assert_non_null(strstr(second, "RRULE:FREQ=MONTHLY;BYDAY=-1FR\r\n"));
	assert_null(strstr(second + 1, "BEGIN:VEVENT"));
	free(text);
}

static void test_empty_calendar_has_header_only(void **state)
{
	char *text = NULL;
	(void)state;
	assert_int_equal(ical_calendar(NULL, 0, at("2026-01-01T12:00:00Z"), &text), TQ_OK);
	assert_string_equal(text, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tansiq//tansiq 0.1//EN\r\n"
				  "CALSCALE:GREGORIAN\r\nEND:VCALENDAR\r\n");
	free(text);
}

static void test_single_event_without_rule_or_location(void **state)
{
	(void)state;
	struct ical_event e = plain_event();
	e.location = "";
	e.description = "Agenda: see tansiq";
	char *text = calendar_of(&e);
	assert_null(strstr(text, "RRULE"));
	assert_null(strstr(text, "LOCATION"));
	assert_non_null(strstr(text, "\r\nDESCRIPTION:Agenda: see tansiq\r\nEND:VEVENT\r\n"));
	free(text);
}

static void test_text_is_escaped(void **state)
{
	(void)state;
	struct ical_event e = plain_event();
	e.summary = "Talks; Baku, round 2\\3\nday two";
	e.location = "Hotel \"Fairmont\", Baku";
	e.description = "line one\r\nline two\x01x";
	char *text = calendar_of(&e);
	assert_non_null(strstr(text, "\r\nSUMMARY:Talks\\; Baku\\, round 2\\\\3\\nday two\r\n"));
	assert_non_null(strstr(text, "\r\nLOCATION:Hotel \"Fairmont\"\\, Baku\r\n"));
	assert_non_null(strstr(text, "\r\nDESCRIPTION:line one\\nline two x\r\n"));
	free(text);
}

static void test_every_line_ends_in_crlf(void **state)
{
	(void)state;
	struct ical_event e = plain_event();
	e.description = "a\nb\rc";
	char *text = calendar_of(&e);
	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			assert_true(p > text && p[-1] == '\r');
		if (*p == '\r')
			assert_int_equal(p[1], '\n');
	}
	free(text);
}

/*
 * RFC 5545 §3.1 on the content line starting with prefix: every physical line
 * is at most 75 octets, every continuation starts with one space and not
 * inside a UTF-8 sequence, and unfolding gives back prefix + value.
 */
static void check_folded(const char *text, const char *prefix, const char *value, size_t min_lines)
{
	const char *p = strstr(text, prefix);
	size_t lines = 0;
	char line[2048];
	assert_non_null(p);
	for (const char *l = p;;) {
		const char *end = strstr(l, "\r\n");
		assert_non_null(end);
		assert_true(end - l <= 75);
		lines++;
		if (l != p) {
			assert_int_equal(l[0], ' ');
			assert_true(((unsigned char)l[1] & 0xc0) != 0x80);
		}
		if (end[2] != ' ')
			break;
		l = end + 2;
	}
	assert_true(lines >= min_lines);
	unfolded_line(text, prefix, line, sizeof line);
	assert_string_equal(line + strlen(prefix), value);
}

static void test_long_ascii_line_folds_at_75_octets(void **state)
{
	char title[101];
	(void)state;
	memset(title, 'x', 100);
	title[100] = '\0';
	struct ical_event e = plain_event();
	e.summary = title;
	char *text = calendar_of(&e);
	/* "SUMMARY:" + 100 octets cannot fit two lines of 75. */
	check_folded(text, "SUMMARY:", title, 2);
	free(text);
}

static void test_arabic_title_folds_between_characters(void **state)
{
	/* "Coordination committee meeting in Baku": Arabic letters are 2 octets, spaces 1. */
	static const char phrase[] = "اجتماع لجنة التنسيق في باكو ";
	char title[512] = "";
	(void)state;
	for (int i = 0; i < 4; i++)
		strcat(title, phrase);
	struct ical_event e = plain_event();
	e.summary = title;
	char *text = calendar_of(&e);
	check_folded(text, "SUMMARY:", title, 3);
	free(text);
}

static void test_four_octet_characters_are_not_split(void **state)
{
	char title[200] = "";
	(void)state;
	/* "a" then U+1F91D (4 octets) x 20: 89 octets after "SUMMARY:". */
	strcat(title, "a");
	for (int i = 0; i < 20; i++)
		strcat(title, "\xf0\x9f\xa4\x9d");
	struct ical_event e = plain_event();
	e.summary = title;
	char *text = calendar_of(&e);
	check_folded(text, "SUMMARY:", title, 2);
	free(text);
}

/* No bare CR or LF anywhere: every line, folded or not, ends in CRLF. */
static void assert_crlf_only(const char *text)
{
	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			assert_true(p > text && p[-1] == '\r');
		if (*p == '\r')
			assert_int_equal(p[1], '\n');
	}
}

/* libical folds a line that ends exactly at octet 75 between its CR and LF;
 * ical.c puts the CRLF back together (found by fuzz_ical). */
static void test_line_ending_at_the_fold_keeps_its_crlf(void **state)
{
	char title[200] = "a";
	(void)state;
	for (int i = 0; i < 18; i++)
		strcat(title, "\xf0\x9f\xa4\x9d");
	struct ical_event e = plain_event();
	e.summary = title;
	char *text = calendar_of(&e);
	assert_crlf_only(text);
	check_folded(text, "SUMMARY:", title, 1);
	assert_non_null(strstr(text, "\r\nLOCATION:Baku\r\n"));
	free(text);
	/* The same at every length around the fold, in ASCII. */
	for (size_t n = 60; n < 80; n++) {
		char ascii[100];
		memset(ascii, 'y', n);
		ascii[n] = '\0';
		e.summary = ascii;
		text = calendar_of(&e);
		assert_crlf_only(text);
		check_folded(text, "SUMMARY:", ascii, 1);
		free(text);
	}
}

static void test_invalid_utf8_is_refused(void **state)
{
	char *text = (char *)1;
	(void)state;
	struct ical_event e = plain_event();
	e.summary = "bad \xd8 truncated";
	assert_int_equal(ical_calendar(&e, 1, at("2026-01-01T12:00:00Z"), &text), TQ_EINVALID);
	assert_null(text);
	e.summary = "overlong \xc0\xaf";
	assert_int_equal(ical_calendar(&e, 1, at("2026-01-01T12:00:00Z"), &text), TQ_EINVALID);
	e.summary = "surrogate \xed\xa0\x80";
	assert_int_equal(ical_calendar(&e, 1, at("2026-01-01T12:00:00Z"), &text), TQ_EINVALID);
}

static void test_missing_uid_or_summary_is_refused(void **state)
{
	char *text = NULL;
	(void)state;
	struct ical_event e = plain_event();
	e.uid = "";
	assert_int_equal(ical_calendar(&e, 1, at("2026-01-01T12:00:00Z"), &text), TQ_EINVALID);
	e = plain_event();
	e.summary = NULL;
	assert_int_equal(ical_calendar(&e, 1, at("2026-01-01T12:00:00Z"), &text), TQ_EINVALID);
	e = plain_event();
	e.duration_ms = -1;
	assert_int_equal(ical_calendar(&e, 1, at("2026-01-01T12:00:00Z"), &text), TQ_EINVALID);
	assert_null(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calendar_structure_is_exact),
		cmocka_unit_test(test_one_vevent_per_series),
		cmocka_unit_test(test_empty_calendar_has_header_only),
		cmocka_unit_test(test_single_event_without_rule_or_location),
		cmocka_unit_test(test_text_is_escaped),
		cmocka_unit_test(test_every_line_ends_in_crlf),
		cmocka_unit_test(test_long_ascii_line_folds_at_75_octets),
		cmocka_unit_test(test_arabic_title_folds_between_characters),
		cmocka_unit_test(test_four_octet_characters_are_not_split),
		cmocka_unit_test(test_line_ending_at_the_fold_keeps_its_crlf),
		cmocka_unit_test(test_invalid_utf8_is_refused),
		cmocka_unit_test(test_missing_uid_or_summary_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
