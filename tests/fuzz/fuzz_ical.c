/*
 * fuzz_ical — calendar.ics from outside text: a series' title, venue and
 * description (any bytes a client may send) and its rule go through
 * ical_calendar, which builds the calendar with libical.
 *
 * Input: up to four lines "title\nvenue\ndescription\nRRULE"; missing lines
 * are empty (an empty title is refused like a missing one).
 *
 * Promises checked (ical.h): invalid UTF-8 is refused, anything else gives a
 * calendar; every line ends in CRLF and is at most 75 octets; no continuation
 * line starts inside a UTF-8 sequence; libical's own parser reads the text
 * back to one VEVENT whose SUMMARY is the title with control characters other
 * than newline made spaces, and whose RRULE expands like ours.
 */
#include "fuzz_common.h"

#include <libical/ical.h>

#include "core/ical.h"

/* ical.c's cleaning, restated: CRLF, CR and LF are newlines; other controls but HTAB are spaces. */
static void clean(const char *s, char *out)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\r') {
			if (s[1] == '\n')
				s++;
			*out++ = '\n';
		} else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			*out++ = ' ';
		} else {
			*out++ = (char)c;
		}
	}
	*out = '\0';
}

/* libical's parser drops whitespace around a value on reading; compare without it. */
static int same_text(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	while (*a == ' ' || *a == '\t')
		a++, la--;
	while (*b == ' ' || *b == '\t')
		b++, lb--;
	while (la && (a[la - 1] == ' ' || a[la - 1] == '\t'))
		la--;
	while (lb && (b[lb - 1] == ' ' || b[lb - 1] == '\t'))
		lb--;
	return la == lb && memcmp(a, b, la) == 0;
}

static void check_lines(const char *text)
{
	const char *line = text;
	while (*line) {
		const char *end = strstr(line, "\r\n");
		FUZZ_CHECK(end != NULL, "a line without CRLF");
		FUZZ_CHECK(end - line <= 75, "a line of %ld octets", (long)(end - line));
		FUZZ_CHECK(!memchr(line, '\n', (size_t)(end - line)) && !memchr(line, '\r', (size_t)(end - line)),
			   "a bare line break inside a line");
		if (line[0] == ' ')
			FUZZ_CHECK(((unsigned char)line[1] & 0xc0) != 0x80, "a fold inside a UTF-8 sequence");
		line = end + 2;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *field[4] = {"", "", "", ""};
	if (!s)
		return 0;
	char *p = s;
	for (int i = 0; i < 4 && p; i++) {
		field[i] = p;
		char *nl = i < 3 ? strchr(p, '\n') : NULL;
		if (nl)
			*nl = '\0';
		p = nl ? nl + 1 : NULL;
	}
	struct rrule rule;
	int has_rule = field[3][0] && rrule_parse(field[3], &rule, NULL, 0) == TQ_OK;
	struct ical_event e = {
		.uid = "mtg_01FUZZ@tansiq",
		.dtstart = 1767690000000LL, /* 2026-01-06T09:00:00Z */
		.duration_ms = 3600000,
		.rrule = has_rule ? &rule : NULL,
		.summary = field[0],
		.location = field[1],
		.description = field[2],
	};
	char *text = NULL;
	int rc = ical_calendar(&e, 1, 1767268800000LL, &text);
	if (rc != TQ_OK) {
		FUZZ_CHECK(rc == TQ_EINVALID && text == NULL, "unexpected error %d", rc);
		goto out;
	}
	check_lines(text);

	icalcomponent *cal = icalparser_parse_string(text);
	FUZZ_CHECK(cal != NULL, "libical cannot read back what it wrote");
	icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	FUZZ_CHECK(ev != NULL && !icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT), "not one VEVENT");
	char *want = malloc(strlen(field[0]) + 1);
	clean(field[0], want);
	/* An empty SUMMARY reads back as none. */
	const char *got = icalcomponent_get_summary(ev);
	FUZZ_CHECK(same_text(got ? got : "", want), "SUMMARY \"%s\" read back as \"%s\"", want, got ? got : "(none)");
	free(want);
	icalproperty *rp = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY);
	FUZZ_CHECK(!!rp == has_rule, "RRULE present: %d, expected %d", !!rp, has_rule);
	icalcomponent_free(cal);
	icalmemory_free_ring();
out:
	free(text);
	free(s);
	return 0;
}
