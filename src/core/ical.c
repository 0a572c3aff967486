#include "core/ical.h"

#include <libical/ical.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 10000-01-01T00:00:00Z: the basic form has four year digits. */
#define ICAL_TIME_END 253402300800000LL

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
 * RFC 5545 §3.3.11: TEXT admits no control characters but HTAB. A line break
 * (CRLF, CR or LF) stays a line break (libical writes it as \n); any other
 * control character becomes a space, which keeps words apart. Returns owned.
 */
static char *text_clean(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\r') {
			if (s[1] == '\n')
				s++;
			*o++ = '\n';
		} else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			*o++ = ' ';
		} else {
			*o++ = (char)c;
		}
	}
	*o = '\0';
	return out;
}

/* Adds a TEXT property made by make() from the cleaned value. */
static int add_text(icalcomponent *c, icalproperty *(*make)(const char *), const char *value)
{
	char *clean = text_clean(value);
	icalproperty *p = clean ? make(clean) : NULL;
	free(clean);
	if (!p)
		return TQ_ENOMEM;
	icalcomponent_add_property(c, p);
	return TQ_OK;
}

/*
 * libical 3.0 folds a line whose content ends exactly at the 75th octet
 * between its CR and LF ("...\r" "\r\n " "\n"), leaving a bare CR and a
 * bare LF. TEXT values are escaped, so CR and LF only ever appear in line
 * ends and folds: that sequence can only be this fold, and it is put back to
 * one CRLF in place. (Found by tests/fuzz/fuzz_ical.)
 */
static void repair_folds(char *text)
{
	static const char bad[] = "\r\r\n \n";
	char *w = text;
	for (const char *r = text; *r;) {
		if (strncmp(r, bad, sizeof bad - 1) == 0) {
			memcpy(w, "\r\n", 2);
			w += 2;
			r += sizeof bad - 1;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

static struct icaltimetype utc(tq_time t)
{
	return icaltime_from_timet_with_zone((time_t)(t / 1000), 0, icaltimezone_get_utc_timezone());
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

static int add_event(icalcomponent *cal, const struct ical_event *e, tq_time now)
{
	char rbuf[RRULE_FORMAT_BUFSZ];
	icalcomponent *ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
	int rc;
	if (!ev)
		return TQ_ENOMEM;
	icalcomponent_add_component(cal, ev); /* cal owns it from here */
	if ((rc = add_text(ev, icalproperty_new_uid, e->uid)))
		return rc;
	icalcomponent_add_property(ev, icalproperty_new_dtstamp(utc(now)));
	icalcomponent_add_property(ev, icalproperty_new_dtstart(utc(e->dtstart)));
	icalcomponent_add_property(ev, icalproperty_new_dtend(utc(e->dtstart + e->duration_ms)));
	if (e->rrule) {
		if ((rc = rrule_format(e->rrule, rbuf, sizeof rbuf)) != TQ_OK)
			return rc;
		icalcomponent_add_property(ev, icalproperty_new_rrule(icalrecurrencetype_from_string(rbuf)));
	}
	if ((rc = add_text(ev, icalproperty_new_summary, e->summary)) ||
	    (e->location && *e->location && (rc = add_text(ev, icalproperty_new_location, e->location))) ||
	    (e->description && *e->description && (rc = add_text(ev, icalproperty_new_description, e->description))))
		return rc;
	return TQ_OK;
}

int ical_calendar(const struct ical_event *events, size_t n, tq_time now, char **out)
{
	icalcomponent *cal = NULL;
	char *text = NULL;
	int rc;

	if (!out)
		return TQ_EINVALID;
	*out = NULL;
	if ((n && !events) || !time_ok(now))
		return TQ_EINVALID;
	for (size_t i = 0; i < n; i++)
		if ((rc = check_event(&events[i])) != TQ_OK)
			return rc;
	if (!(cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT)))
		return TQ_ENOMEM;
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_prodid("-//tansiq//tansiq 0.1//EN"));
	icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
	for (size_t i = 0; i < n; i++)
		if ((rc = add_event(cal, &events[i], now)) != TQ_OK)
			goto fail;
	/* libical escapes TEXT, folds lines at 75 octets between UTF-8 characters, ends them in CRLF. */
	text = icalcomponent_as_ical_string_r(cal);
	/* libical keeps per-thread scratch buffers; give them back on every call. */
	icalmemory_free_ring();
	rc = !text ? TQ_ENOMEM : strlen(text) > ICAL_MAX_BYTES ? TQ_ETOOBIG : TQ_OK;
	if (rc)
		goto fail;
	repair_folds(text);
	icalcomponent_free(cal);
	*out = text;
	return TQ_OK;
fail:
	free(text);
	icalcomponent_free(cal);
	icalmemory_free_ring();
	return rc;
}
