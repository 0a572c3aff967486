#include "core/ical.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* 10000-01-01T00:00:00Z: the basic form has four year digits. */
#define ICAL_TIME_END 253402300800000LL
/* RFC 5545 §3.1: lines SHOULD NOT be longer than 75 octets, excluding the line break. */
#define ICAL_FOLD_OCTETS 75

/* Growable output with a sticky error, so callers check once at the end. */
struct icbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void put(struct icbuf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (n > ICAL_MAX_BYTES - b->len) {
		b->err = TQ_ETOOBIG;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->err = TQ_ENOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct icbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Length of the UTF-8 sequence led by c (input is validated before use). */
static size_t seq_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		unsigned char c = *s;
		size_t n;
		unsigned lo = 0x80, hi = 0xbf;
		if (c < 0x80) {
			s++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0;
			if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90;
			if (c == 0xf4)
				hi = 0x8f;
		} else {
			return false;
		}
		if (s[1] < lo || s[1] > hi)
			return false;
		for (size_t i = 2; i <= n; i++)
			if (s[i] < 0x80 || s[i] > 0xbf)
				return false;
		s += n + 1;
	}
	return true;
}

/*
 * Appends one content line, folded (RFC 5545 §3.1): a line break plus one
 * space is inserted before any octet that would make the line exceed 75
 * octets, but never inside a UTF-8 sequence.
 */
static void put_folded(struct icbuf *b, const char *line, size_t len)
{
	size_t used = 0, i = 0;
	while (i < len) {
		size_t n = seq_len((unsigned char)line[i]);
		if (n > len - i)
			n = len - i;
		if (used + n > ICAL_FOLD_OCTETS) {
			put(b, "\r\n ", 3);
			used = 1;
		}
		put(b, line + i, n);
		used += n;
		i += n;
	}
	put(b, "\r\n", 2);
}

/* RFC 5545 §3.3.11 TEXT escaping into b. */
static void put_text(struct icbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\':
			put(b, "\\\\", 2);
			break;
		case ';':
			put(b, "\\;", 2);
			break;
		case ',':
			put(b, "\\,", 2);
			break;
		case '\r':
			if (s[1] == '\n')
				s++;
			put(b, "\\n", 2);
			break;
		case '\n':
			put(b, "\\n", 2);
			break;
		default:
			/* TEXT admits no control characters but HTAB; keep words apart with a space. */
			if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
				put(b, " ", 1);
			else
				put(b, s, 1);
		}
	}
}

/* "NAME:value" built unfolded in line, then folded into out. */
static void property(struct icbuf *out, struct icbuf *line, const char *name, const char *value, bool text)
{
	line->len = 0;
	puts_(line, name);
	put(line, ":", 1);
	if (text)
		put_text(line, value);
	else
		puts_(line, value);
	if (line->err) {
		if (!out->err)
			out->err = line->err;
		return;
	}
	put_folded(out, line->p, line->len);
}

static bool time_ok(tq_time t)
{
	return t >= 0 && t < ICAL_TIME_END;
}

static int check_event(const struct ical_event *e)
{
	if (!e->uid || !*e->uid || !e->summary || e->duration_ms < 0 || !time_ok(e->dtstart) ||
	    e->duration_ms >= ICAL_TIME_END || !time_ok(e->dtstart + e->duration_ms))
		return TQ_EINVALID;
	if (!utf8_valid(e->uid) || !utf8_valid(e->summary) || (e->location && !utf8_valid(e->location)) ||
	    (e->description && !utf8_valid(e->description)))
		return TQ_EINVALID;
	return TQ_OK;
}

int ical_calendar(const struct ical_event *events, size_t n, tq_time now, char **out)
{
	struct icbuf b = {0}, line = {0};
	char tbuf[TQTIME_BUFSZ], stamp[TQTIME_BUFSZ], rbuf[RRULE_FORMAT_BUFSZ];
	int rc;

	if (!out)
		return TQ_EINVALID;
	*out = NULL;
	rc = TQ_EINVALID;
	if ((n && !events) || !time_ok(now))
		goto fail;
	for (size_t i = 0; i < n; i++)
		if ((rc = check_event(&events[i])) != TQ_OK)
			goto fail;

	tqtime_format_basic(now, stamp);
	property(&b, &line, "BEGIN", "VCALENDAR", false);
	property(&b, &line, "VERSION", "2.0", false);
	property(&b, &line, "PRODID", "-//tansiq//tansiq 0.1//EN", false);
	property(&b, &line, "CALSCALE", "GREGORIAN", false);
	for (size_t i = 0; i < n; i++) {
		const struct ical_event *e = &events[i];
		property(&b, &line, "BEGIN", "VEVENT", false);
		property(&b, &line, "UID", e->uid, true);
		property(&b, &line, "DTSTAMP", stamp, false);
		tqtime_format_basic(e->dtstart, tbuf);
		property(&b, &line, "DTSTART", tbuf, false);
		tqtime_format_basic(e->dtstart + e->duration_ms, tbuf);
		property(&b, &line, "DTEND", tbuf, false);
		if (e->rrule) {
			if ((rc = rrule_format(e->rrule, rbuf, sizeof rbuf)) != TQ_OK)
				goto fail;
			property(&b, &line, "RRULE", rbuf, false);
		}
		property(&b, &line, "SUMMARY", e->summary, true);
		if (e->location && *e->location)
			property(&b, &line, "LOCATION", e->location, true);
		if (e->description && *e->description)
			property(&b, &line, "DESCRIPTION", e->description, true);
		property(&b, &line, "END", "VEVENT", false);
	}
	property(&b, &line, "END", "VCALENDAR", false);
	if ((rc = b.err) != TQ_OK)
		goto fail;
	free(line.p);
	*out = b.p;
	return TQ_OK;
fail:
	free(line.p);
	free(b.p);
	return rc;
}
