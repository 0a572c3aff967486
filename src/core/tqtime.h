/*
 * tqtime — UTC instants and ISO 8601 durations, with no clock reads.
 *
 * An instant is milliseconds since 1970-01-01T00:00:00Z (tq_time). Open ends of
 * windows are TQ_TIME_MIN / TQ_TIME_MAX. Parsing accepts RFC 3339 with any
 * offset ("Z", "+03:00"); formatting always writes UTC with "Z", and writes
 * milliseconds only when they are not zero. Years are limited to 1970..9999.
 * Durations accept PnW, PnD, PTnH, PTnM, PTnS (fractions of seconds allowed)
 * and their combinations, up to TQTIME_MAX_DURATION_MS; years and months are
 * refused because their length depends on the calendar.
 */
#ifndef TQ_TQTIME_H
#define TQ_TQTIME_H

#include <stdint.h>
#include <stddef.h>
#include "core/tqerr.h"

typedef int64_t tq_time;

#define TQ_TIME_MIN INT64_MIN
#define TQ_TIME_MAX INT64_MAX
#define TQTIME_BUFSZ 32
/* 10000-01-01T00:00:00Z: instants are within [1970, 9999]. */
#define TQTIME_END 253402300800000LL
/* Durations are at most 100 years (36,525 days), so that every parsed duration
 * formats and parses back. */
#define TQTIME_MAX_DURATION_MS (36525LL * 86400000)

/* RFC 3339 date-time → instant. TQ_EINVALID on any deviation. */
TQ_MUST_USE int tqtime_parse(const char *s, tq_time *out);
/* Writes "YYYY-MM-DDTHH:MM:SS[.mmm]Z" into buf (at least TQTIME_BUFSZ bytes). */
void tqtime_format(tq_time t, char *buf);
/* RFC 5545 UTC basic form "YYYYMMDDTHHMMSSZ" (seconds precision). */
void tqtime_format_basic(tq_time t, char *buf);

/* ISO 8601 duration → milliseconds (> 0 or == 0). */
TQ_MUST_USE int tqtime_duration_parse(const char *s, int64_t *out_ms);
/* Canonical form, e.g. "PT5M", "P1D", "PT1.5S", "PT0S". buf >= TQTIME_BUFSZ. */
void tqtime_duration_format(int64_t ms, char *buf);

/* Proleptic Gregorian calendar helpers (UTC). */
struct tq_civil {
	int year, month, day;          /* month 1..12, day 1..31 */
	int hour, minute, second, ms;
	int weekday;                   /* 0 = Monday .. 6 = Sunday (output only) */
};
tq_time tqtime_from_civil(const struct tq_civil *c);
void tqtime_to_civil(tq_time t, struct tq_civil *out);
int tqtime_days_in_month(int year, int month);

#endif
