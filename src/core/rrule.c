#include "core/rrule.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/limits.h"

#define MS_PER_DAY 86400000LL
/* 10000-01-01T00:00:00Z: tqtime's calendar ends with the year 9999. */
#define RRULE_TIME_END 253402300800000LL
/*
 * Dates and weekdays of the Gregorian calendar repeat every 400 years
 * (146097 days, a multiple of 7) = 4800 months. A rule that produced nothing in
 * that many consecutive periods can never produce anything again.
 */
#define RRULE_MAX_EMPTY_PERIODS 4800
/* Longest part name or value quoted back in an error message. */
#define QUOTE_MAX 24

static const char weekday_names[7][3] = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"};

enum part { P_FREQ, P_INTERVAL, P_COUNT, P_UNTIL, P_BYDAY, P_WKST, P_NPARTS };
static const char *const part_names[P_NPARTS] = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST"};

__attribute__((format(printf, 3, 4))) static void set_error(char *errbuf, size_t errlen, const char *fmt, ...)
{
	if (!errbuf || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

/* Copies outside text into a message: bounded, upper-cased, printable ASCII only. */
static void quote(const char *s, size_t len, char out[QUOTE_MAX + 4])
{
	size_t i;
	for (i = 0; i < len && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (len > QUOTE_MAX) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

static int ascii_upper(int c)
{
	return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c;
}

/* Case-insensitive (RFC 5545 §3.1: names and enumerated values) equality of s[0..len) and word. */
static bool word_is(const char *s, size_t len, const char *word)
{
	if (strlen(word) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (ascii_upper((unsigned char)s[i]) != word[i])
			return false;
	return true;
}

static int weekday_index(const char *s, size_t len)
{
	for (int w = 0; w < 7; w++)
		if (word_is(s, len, weekday_names[w]))
			return w;
	return -1;
}

/* Decimal digits only, 1..max. */
static int parse_bounded(const char *s, size_t len, int max, int *out)
{
	int v = 0;
	if (len == 0)
		return TQ_EINVALID;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return TQ_EINVALID;
		v = v * 10 + (s[i] - '0');
		if (v > max)
			return TQ_EINVALID;
	}
	if (v < 1)
		return TQ_EINVALID;
	*out = v;
	return TQ_OK;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return TQ_EINVALID;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return TQ_OK;
}

/*
 * UNTIL as UTC date-time "YYYYMMDDTHHMMSSZ" or date "YYYYMMDD". RFC 5545 wants
 * a UTC UNTIL when DTSTART is UTC; a bare date is taken to include that whole
 * day, so it becomes 23:59:59Z (and is written back in the UTC form).
 */
static int parse_until(const char *s, size_t len, tq_time *out)
{
	struct tq_civil c = {0};
	if (len != 8 && len != 16)
		return TQ_EINVALID;
	if (digits(s, 4, &c.year) || digits(s + 4, 2, &c.month) || digits(s + 6, 2, &c.day))
		return TQ_EINVALID;
	if (len == 16) {
		if ((s[8] != 'T' && s[8] != 't') || digits(s + 9, 2, &c.hour) || digits(s + 11, 2, &c.minute) ||
		    digits(s + 13, 2, &c.second) || (s[15] != 'Z' && s[15] != 'z'))
			return TQ_EINVALID;
	} else {
		c.hour = 23;
		c.minute = 59;
		c.second = 59;
	}
	if (c.year < 1970 || c.year > 9999 || c.month < 1 || c.month > 12 || c.day < 1 ||
	    c.day > tqtime_days_in_month(c.year, c.month) || c.hour > 23 || c.minute > 59 || c.second > 59)
		return TQ_EINVALID;
	*out = tqtime_from_civil(&c);
	return TQ_OK;
}

/* One BYDAY list; *has_ordinal tells whether any item carried one. */
static int parse_byday(const char *s, size_t len, struct rrule *r, bool *has_ordinal, char *errbuf,
		       size_t errlen)
{
	char q[QUOTE_MAX + 4];
	size_t i = 0;
	if (len == 0) {
		set_error(errbuf, errlen, "RRULE part BYDAY is empty");
		return TQ_EINVALID;
	}
	while (i <= len) {
		size_t start = i;
		while (i < len && s[i] != ',')
			i++;
		const char *item = s + start;
		size_t ilen = i - start;
		i++; /* past ',' or the end */
		quote(item, ilen, q);
		if (ilen < 2) {
			set_error(errbuf, errlen, "RRULE part BYDAY has a bad item \"%s\"", q);
			return TQ_EINVALID;
		}
		int w = weekday_index(item + ilen - 2, 2);
		size_t olen = ilen - 2;
		int sign = 1, ord = 0;
		if (w < 0) {
			set_error(errbuf, errlen, "RRULE part BYDAY has a bad weekday \"%s\" (MO..SU)", q);
			return TQ_EINVALID;
		}
		if (olen > 0) {
			const char *o = item;
			if (*o == '+' || *o == '-') {
				sign = *o == '-' ? -1 : 1;
				o++;
				olen--;
			}
			if (olen == 0 || olen > 2 || digits(o, (int)olen, &ord) || ord < 1 || ord > 5) {
				set_error(errbuf, errlen,
					  "RRULE part BYDAY item \"%s\" needs an ordinal in 1..5 or -1..-5", q);
				return TQ_EINVALID;
			}
		}
		bool dup;
		if (ord == 0) {
			dup = r->byday & (1u << w);
			r->byday |= (uint8_t)(1u << w);
		} else {
			unsigned bit = sign > 0 ? (unsigned)ord - 1 : 4u + (unsigned)ord;
			dup = r->byday_nth[w] & (1u << bit);
			r->byday_nth[w] |= (uint16_t)(1u << bit);
			*has_ordinal = true;
		}
		if (dup) {
			set_error(errbuf, errlen, "RRULE part BYDAY lists \"%s\" twice", q);
			return TQ_EINVALID;
		}
	}
	return TQ_OK;
}

int rrule_parse(const char *s, struct rrule *out, char *errbuf, size_t errlen)
{
	struct rrule r = {.interval = 1, .until = TQ_TIME_MAX};
	unsigned seen = 0;
	bool has_ordinal = false;
	char q[QUOTE_MAX + 4], qv[QUOTE_MAX + 4];

	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (!s || !out) {
		set_error(errbuf, errlen, "RRULE is missing");
		return TQ_EINVALID;
	}
	size_t total = strlen(s);
	if (total > TQ_MAX_RRULE_BYTES) {
		set_error(errbuf, errlen, "RRULE is longer than %d bytes", TQ_MAX_RRULE_BYTES);
		return TQ_EINVALID;
	}
	if (total >= 6 && word_is(s, 6, "RRULE:"))
		s += 6;
	if (*s == '\0') {
		set_error(errbuf, errlen, "RRULE is empty");
		return TQ_EINVALID;
	}

	const char *p = s;
	for (;;) {
		const char *end = strchr(p, ';');
		size_t plen = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', plen);
		size_t nlen = eq ? (size_t)(eq - p) : plen;
		const char *v = eq ? eq + 1 : p + plen;
		size_t vlen = eq ? plen - nlen - 1 : 0;
		int part = -1;

		quote(p, nlen, q);
		quote(v, vlen, qv);
		if (plen == 0) {
			set_error(errbuf, errlen, "RRULE has an empty part");
			return TQ_EINVALID;
		}
		for (int i = 0; i < P_NPARTS; i++)
			if (word_is(p, nlen, part_names[i]))
				part = i;
		if (part < 0) {
			set_error(errbuf, errlen, "RRULE part %s is not supported", q);
			return TQ_EINVALID;
		}
		if (!eq || vlen == 0) {
			set_error(errbuf, errlen, "RRULE part %s has no value", q);
			return TQ_EINVALID;
		}
		if (seen & (1u << part)) {
			set_error(errbuf, errlen, "RRULE part %s appears twice", q);
			return TQ_EINVALID;
		}
		seen |= 1u << part;

		switch (part) {
		case P_FREQ:
			if (word_is(v, vlen, "DAILY"))
				r.freq = RRULE_DAILY;
			else if (word_is(v, vlen, "WEEKLY"))
				r.freq = RRULE_WEEKLY;
			else if (word_is(v, vlen, "MONTHLY"))
				r.freq = RRULE_MONTHLY;
			else {
				set_error(errbuf, errlen,
					  "RRULE part FREQ=%s is not supported (DAILY, WEEKLY or MONTHLY)", qv);
				return TQ_EINVALID;
			}
			break;
		case P_INTERVAL:
			if (parse_bounded(v, vlen, TQ_MAX_RRULE_INTERVAL, &r.interval)) {
				set_error(errbuf, errlen, "RRULE part INTERVAL=%s is not an integer in 1..%d", qv,
					  TQ_MAX_RRULE_INTERVAL);
				return TQ_EINVALID;
			}
			break;
		case P_COUNT:
			if (parse_bounded(v, vlen, TQ_MAX_RRULE_COUNT, &r.count)) {
				set_error(errbuf, errlen, "RRULE part COUNT=%s is not an integer in 1..%d", qv,
					  TQ_MAX_RRULE_COUNT);
				return TQ_EINVALID;
			}
			break;
		case P_UNTIL:
			if (parse_until(v, vlen, &r.until)) {
				set_error(errbuf, errlen,
					  "RRULE part UNTIL=%s is not a UTC date-time YYYYMMDDTHHMMSSZ or a date "
					  "YYYYMMDD",
					  qv);
				return TQ_EINVALID;
			}
			break;
		case P_BYDAY:
			if (parse_byday(v, vlen, &r, &has_ordinal, errbuf, errlen))
				return TQ_EINVALID;
			break;
		case P_WKST:
			/* Weeks start on Monday everywhere in tansiq (ISO 8601), so only MO is meaningful. */
			if (!word_is(v, vlen, "MO")) {
				set_error(errbuf, errlen, "RRULE part WKST=%s is not supported (only MO)", qv);
				return TQ_EINVALID;
			}
			break;
		default:
			return TQ_EINTERNAL;
		}
		if (!end)
			break;
		p = end + 1;
	}

	if (!(seen & (1u << P_FREQ))) {
		set_error(errbuf, errlen, "RRULE part FREQ is missing");
		return TQ_EINVALID;
	}
	/* RFC 5545 §3.3.10: COUNT and UNTIL MUST NOT occur in the same rule. */
	if ((seen & (1u << P_COUNT)) && (seen & (1u << P_UNTIL))) {
		set_error(errbuf, errlen, "RRULE parts COUNT and UNTIL cannot be given together");
		return TQ_EINVALID;
	}
	if (has_ordinal && r.freq != RRULE_MONTHLY) {
		set_error(errbuf, errlen, "RRULE part BYDAY with an ordinal (like 1MO) needs FREQ=MONTHLY");
		return TQ_EINVALID;
	}
	*out = r;
	return TQ_OK;
}

/* Days since 1970-01-01 (floor) and the civil helpers' weekday of such a day. */
static int64_t day_number(tq_time t)
{
	int64_t d = t / MS_PER_DAY;
	return (t % MS_PER_DAY < 0) ? d - 1 : d;
}

static int weekday_of_day(int64_t day)
{
	struct tq_civil c;
	tqtime_to_civil(day * MS_PER_DAY, &c);
	return c.weekday;
}

/* What expansion needs to know about DTSTART. */
struct anchor {
	int64_t day;        /* day number of DTSTART */
	int64_t monday;     /* day number of the Monday of DTSTART's week (WKST=MO) */
	int64_t month;      /* year * 12 + month - 1 */
	int mday, weekday;  /* DTSTART's day of month, weekday */
};

/*
 * Candidate days of period k (RFC 5545: the FREQ/INTERVAL set, then BYDAY
 * expanding for WEEKLY/MONTHLY and limiting for DAILY), ascending, into
 * days[31]. Returns how many, or -1 once the period lies past the year 9999.
 */
static int period_days(const struct rrule *r, const struct anchor *a, int64_t k, int64_t days[31])
{
	int nd = 0;
	int64_t step = k * r->interval;

	switch (r->freq) {
	case RRULE_DAILY: {
		int64_t d = a->day + step;
		if (d >= RRULE_TIME_END / MS_PER_DAY)
			return -1;
		if (!r->byday || (r->byday & (1u << weekday_of_day(d))))
			days[nd++] = d;
		break;
	}
	case RRULE_WEEKLY: {
		int64_t mon = a->monday + 7 * step;
		if (mon >= RRULE_TIME_END / MS_PER_DAY)
			return -1;
		unsigned mask = r->byday ? r->byday : 1u << a->weekday;
		for (int w = 0; w < 7; w++)
			if (mask & (1u << w))
				days[nd++] = mon + w;
		break;
	}
	case RRULE_MONTHLY: {
		int64_t mi = a->month + step;
		struct tq_civil c = {.year = (int)(mi / 12), .month = (int)(mi % 12) + 1, .day = 1};
		if (mi / 12 > 9999)
			return -1;
		int64_t first = day_number(tqtime_from_civil(&c));
		int dim = tqtime_days_in_month(c.year, c.month);
		bool any_byday = r->byday != 0;
		for (int w = 0; w < 7; w++)
			any_byday = any_byday || r->byday_nth[w];
		if (!any_byday) {
			/* RFC 5545 §3.3.10: invalid dates (e.g. 31 April) are ignored, not moved. */
			if (a->mday <= dim)
				days[nd++] = first + a->mday - 1;
			break;
		}
		int wd1 = weekday_of_day(first);
		for (int md = 1; md <= dim; md++) {
			int w = (wd1 + md - 1) % 7;
			unsigned nth = (unsigned)(md - 1) / 7;         /* 0 = first */
			unsigned from_end = (unsigned)(dim - md) / 7;  /* 0 = last */
			if ((r->byday & (1u << w)) || (r->byday_nth[w] & (1u << nth)) ||
			    (r->byday_nth[w] & (1u << (5 + from_end))))
				days[nd++] = first + md - 1;
		}
		break;
	}
	}
	return nd;
}

/* First period that can hold an instance >= from (only used without COUNT). */
static int64_t first_useful_period(const struct rrule *r, const struct anchor *a, tq_time from)
{
	int64_t fday = day_number(from), k = 0;
	switch (r->freq) {
	case RRULE_DAILY:
		k = (fday - a->day) / r->interval;
		break;
	case RRULE_WEEKLY:
		k = ((fday - weekday_of_day(fday) - a->monday) / 7) / r->interval;
		break;
	case RRULE_MONTHLY: {
		struct tq_civil c;
		tqtime_to_civil(from, &c);
		k = ((int64_t)c.year * 12 + c.month - 1 - a->month) / r->interval;
		break;
	}
	}
	/*
	 * Period k holds from's day and every earlier period ends before it, so k
	 * is exact; starting one period early costs a few candidates and keeps the
	 * result independent of how the division rounds at the edge of the grid.
	 */
	return k > 1 ? k - 1 : 0;
}

static bool rule_is_sane(const struct rrule *r)
{
	if (r->freq != RRULE_DAILY && r->freq != RRULE_WEEKLY && r->freq != RRULE_MONTHLY)
		return false;
	if (r->interval < 1 || r->interval > TQ_MAX_RRULE_INTERVAL)
		return false;
	if (r->count < 0 || r->count > TQ_MAX_RRULE_COUNT)
		return false;
	if (r->byday & 0x80)
		return false;
	for (int w = 0; w < 7; w++)
		if ((r->byday_nth[w] & ~0x3ffu) || (r->byday_nth[w] && r->freq != RRULE_MONTHLY))
			return false;
	return true;
}

int rrule_expand(const struct rrule *r, tq_time dtstart, tq_time from, tq_time to, tq_time *out, size_t max,
		 size_t *n)
{
	if (!n)
		return TQ_EINVALID;
	*n = 0;
	if (!r || (max && !out) || !rule_is_sane(r) || dtstart < 0 || dtstart >= RRULE_TIME_END)
		return TQ_EINVALID;
	if (from >= to || max == 0 || from >= RRULE_TIME_END)
		return TQ_OK;

	struct tq_civil c;
	tqtime_to_civil(dtstart, &c);
	struct anchor a = {
		.day = day_number(dtstart),
		.month = (int64_t)c.year * 12 + c.month - 1,
		.mday = c.day,
		.weekday = c.weekday,
	};
	a.monday = a.day - a.weekday;
	tq_time tod = dtstart - a.day * MS_PER_DAY;

	/* COUNT counts from DTSTART, so only a rule without COUNT may jump ahead. */
	int64_t k = (r->count == 0 && from > dtstart) ? first_useful_period(r, &a, from) : 0;
	int64_t seen = 0;
	int empty = 0;
	int64_t days[31];

	for (;; k++) {
		int nd = period_days(r, &a, k, days);
		bool any = false;
		if (nd < 0)
			break;
		for (int i = 0; i < nd; i++) {
			tq_time t = days[i] * MS_PER_DAY + tod;
			if (t < dtstart)
				continue;
			any = true;
			seen++;
			if ((r->count && seen > r->count) || t > r->until || t >= to || t >= RRULE_TIME_END ||
			    (t >= from && *n == max))
				return TQ_OK;
			if (t >= from)
				out[(*n)++] = t;
		}
		if (any)
			empty = 0;
		else if (++empty > RRULE_MAX_EMPTY_PERIODS)
			break;
	}
	return TQ_OK;
}

int rrule_format(const struct rrule *r, char *buf, size_t len)
{
	static const char *const freq_names[] = {"", "DAILY", "WEEKLY", "MONTHLY"};
	size_t used = 0;
	int w;

	if (!r || !buf || len == 0 || !rule_is_sane(r))
		return TQ_EINVALID;
#define EMIT(...)                                                                  \
	do {                                                                       \
		int m_ = snprintf(buf + used, len - used, __VA_ARGS__);            \
		if (m_ < 0 || (size_t)m_ >= len - used)                            \
			goto toobig;                                               \
		used += (size_t)m_;                                                \
	} while (0)

	EMIT("FREQ=%s", freq_names[r->freq]);
	if (r->interval > 1)
		EMIT(";INTERVAL=%d", r->interval);
	if (r->count)
		EMIT(";COUNT=%d", r->count);
	if (r->until != TQ_TIME_MAX) {
		char ub[TQTIME_BUFSZ];
		tqtime_format_basic(r->until, ub);
		EMIT(";UNTIL=%s", ub);
	}
	const char *sep = ";BYDAY=";
	for (w = 0; w < 7; w++) {
		if (r->byday & (1u << w)) {
			EMIT("%s%s", sep, weekday_names[w]);
			sep = ",";
		}
		for (int o = 1; o <= 5; o++)
			if (r->byday_nth[w] & (1u << (o - 1))) {
				EMIT("%s%d%s", sep, o, weekday_names[w]);
				sep = ",";
			}
		for (int o = 1; o <= 5; o++)
			if (r->byday_nth[w] & (1u << (4 + o))) {
				EMIT("%s-%d%s", sep, o, weekday_names[w]);
				sep = ",";
			}
	}
	if (r->freq == RRULE_WEEKLY && r->interval > 1)
		EMIT(";WKST=MO");
#undef EMIT
	return TQ_OK;
toobig:
	buf[0] = '\0';
	return TQ_ETOOBIG;
}
