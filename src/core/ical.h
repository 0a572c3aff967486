/*
 * ical — RFC 5545 iCalendar text for a track's meeting series.
 *
 * One VCALENDAR (VERSION 2.0, PRODID "-//tansiq//tansiq 0.1//EN", CALSCALE
 * GREGORIAN) with one VEVENT per series: UID, DTSTAMP, DTSTART, DTEND (all UTC
 * basic form, whole seconds), RRULE (canonical, from rrule_format), SUMMARY,
 * LOCATION and DESCRIPTION when given. The text is libical's
 * (icalcomponent_as_ical_string_r): TEXT values are escaped (\\ \; \, \n),
 * lines end in CRLF and are folded at 75 octets without splitting a UTF-8
 * sequence; RRULE is libical's rendering of our canonical rule (WKST=MO, the
 * RFC default, is left out). Here: control characters other than newline
 * become spaces, and all text must be valid UTF-8 (TQ_EINVALID otherwise).
 */
#ifndef TQ_ICAL_H
#define TQ_ICAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/rrule.h"
#include "core/tqerr.h"
#include "core/tqtime.h"

/* Whole calendar text; larger output gives TQ_ETOOBIG. */
#define ICAL_MAX_BYTES (16 * 1024 * 1024)

/* One meeting series. Every pointer is borrowed for the duration of the call. */
struct ical_event {
	const char *uid;          /* required, non-empty, globally unique (e.g. "<series id>@<cell>") */
	tq_time dtstart;          /* first occurrence (should match the rule, see rrule.h) */
	int64_t duration_ms;      /* >= 0; written as DTEND = DTSTART + duration */
	const struct rrule *rrule; /* NULL: a single event */
	const char *summary;      /* required: the series title */
	const char *location;     /* the venue; NULL or "" leaves LOCATION out */
	const char *description;  /* NULL or "" leaves DESCRIPTION out */
};

/*
 * Builds the calendar of events[0..n) (n may be 0) with DTSTAMP = now.
 * Returns owned NUL-terminated text in *out; free with free(). *out is NULL on error.
 */
TQ_MUST_USE int ical_calendar(const struct ical_event *events, size_t n, tq_time now, char **out);

#endif
