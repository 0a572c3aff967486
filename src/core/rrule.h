/*
 * rrule — the RFC 5545 recurrence-rule subset used by meeting series.
 *
 * Supported: FREQ=DAILY|WEEKLY|MONTHLY, INTERVAL (1..1000), COUNT (1..10000)
 * or UNTIL (UTC "YYYYMMDDTHHMMSSZ" or date "YYYYMMDD", which means the end of
 * that day, 23:59:59Z), BYDAY (MO..SU; with FREQ=MONTHLY also 1MO..5MO and
 * -1MO..-5MO), WKST=MO. Anything else is refused with TQ_EINVALID and a
 * message naming the offending part; nothing is silently ignored.
 *
 * Parsing, the subset and the canonical text are ours (the contract); the
 * expansion is libical's recurrence iterator, fed the canonical text.
 * Expansion follows RFC 5545 §3.3.10 in UTC: the time of day comes from
 * DTSTART; MONTHLY without BYDAY keeps DTSTART's day of month and skips months
 * that lack it; WEEKLY weeks start on Monday; DAILY BYDAY filters days.
 * Occurrences are the rule's instances at or after DTSTART, so DTSTART is the
 * first occurrence when it matches the rule (an unsynchronised DTSTART is not
 * an occurrence; callers that want it to be should store the first expanded
 * instance as DTSTART). COUNT counts from DTSTART, whatever window is asked.
 */
#ifndef TQ_RRULE_H
#define TQ_RRULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tqerr.h"
#include "core/tqtime.h"

enum rrule_freq { RRULE_DAILY = 1, RRULE_WEEKLY, RRULE_MONTHLY };

/* The last year libical's recurrence iterator expands (libical 3.0). */
#define RRULE_LAST_YEAR 2582

/* Room for the longest canonical rule (every BYDAY combination, UNTIL, INTERVAL). */
#define RRULE_FORMAT_BUFSZ 512
/* Enough for any message rrule_parse writes. */
#define RRULE_ERRBUF_SZ 128

/* Parsed rule; plain data, may be copied. Weekdays are 0 = Monday .. 6 = Sunday. */
struct rrule {
	enum rrule_freq freq;
	int interval;          /* 1.. */
	int count;             /* 0 = no COUNT */
	tq_time until;         /* inclusive; TQ_TIME_MAX = no UNTIL */
	uint8_t byday;         /* bit w: every weekday w of the period */
	uint16_t byday_nth[7]; /* MONTHLY only: bit k-1 = k-th (1..5), bit 4+k = k-th from the end */
};

/*
 * Parses an RRULE value, with or without a leading "RRULE:"; names and values
 * are case-insensitive. On TQ_EINVALID writes a NUL-terminated English message
 * into errbuf (may be NULL when errlen is 0); *out is only written on success.
 */
TQ_MUST_USE int rrule_parse(const char *s, struct rrule *out, char *errbuf, size_t errlen);

/*
 * Writes the occurrences whose start lies in [from, to), ascending, into
 * out[0..max) and their number into *n. When *n == max there may be more: ask
 * again with from = out[max - 1] + 1. dtstart must lie in years
 * 1970..RRULE_LAST_YEAR (TQ_EINVALID otherwise); no occurrence lies after that
 * year. Work is bounded: libical gives up on a rule that can never match
 * again, a window after DTSTART is reached directly unless COUNT is given
 * (then at most TQ_MAX_RRULE_COUNT instances are walked).
 */
TQ_MUST_USE int rrule_expand(const struct rrule *r, tq_time dtstart, tq_time from, tq_time to,
			     tq_time *out, size_t max, size_t *n);

/*
 * Canonical value text without "RRULE:", e.g. "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=MO".
 * Parts in the order FREQ, INTERVAL (when > 1), COUNT or UNTIL, BYDAY (Monday
 * first; per weekday plain, then 1..5, then -1..-5), WKST (only WEEKLY with
 * INTERVAL > 1, where it matters). TQ_ETOOBIG if len is too small
 * (RRULE_FORMAT_BUFSZ always suffices).
 */
TQ_MUST_USE int rrule_format(const struct rrule *r, char *buf, size_t len);

#endif
