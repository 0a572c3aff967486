#include "core/rrule.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libical/ical.h>
#include <time.h>

#include "core/limits.h"

#define MS_PER_DAY 86400000LL
/* 10000-01-01T00:00:00Z: tqtime's calendar ends with the year 9999. */
#define RRULE_TIME_END 253402300800000LL
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

/* An instant in libical's terms (UTC, whole seconds, floor). */
static struct icaltimetype ical_at(tq_time t)
{
	time_t sec = (time_t)(t >= 0 ? t / 1000 : (t - 999) / 1000);
	return icaltime_from_timet_with_zone(sec, 0, icaltimezone_get_utc_timezone());
}

int rrule_expand(const struct rrule *r, tq_time dtstart, tq_time from, tq_time to, tq_time *out, size_t max,
		 size_t *n)
{
	char canon[RRULE_FORMAT_BUFSZ];
	struct icalrecurrencetype rec;
	icalrecur_iterator *it;
	struct icaltimetype t;

	if (!n)
		return TQ_EINVALID;
	*n = 0;
	if (!r || (max && !out) || !rule_is_sane(r) || dtstart < 0 || dtstart >= RRULE_TIME_END)
		return TQ_EINVALID;
	if (r->until != TQ_TIME_MAX && to > r->until)
		to = r->until + 1; /* UNTIL is inclusive */
	if (from < dtstart)
		from = dtstart;
	if (from >= to || max == 0)
		return TQ_OK;
	/* libical reads the rule from our canonical text: one grammar, ours, for what is stored. */
	if (rrule_format(r, canon, sizeof canon))
		return TQ_EINVALID;
	rec = icalrecurrencetype_from_string(canon);
	if (rec.freq == ICAL_NO_RECURRENCE)
		return TQ_EINTERNAL;
	/* RFC 5545 §3.3.10 expansion in UTC, whole seconds; DTSTART's milliseconds ride along. */
	it = icalrecur_iterator_new(rec, ical_at(dtstart));
	if (!it)
		return TQ_EINVALID; /* DTSTART beyond the years libical expands (RRULE_LAST_YEAR) */
	/* COUNT counts from DTSTART, so only a rule without COUNT may jump ahead. */
	if (r->count == 0 && from > dtstart && !icalrecur_iterator_set_start(it, ical_at(from))) {
		icalrecur_iterator_free(it);
		return TQ_OK; /* a window beyond the last year libical expands holds nothing */
	}
	for (t = icalrecur_iterator_next(it); !icaltime_is_null_time(t) && *n < max; t = icalrecur_iterator_next(it)) {
		tq_time at = (tq_time)icaltime_as_timet_with_zone(t, icaltimezone_get_utc_timezone()) * 1000 +
			     dtstart % 1000;
		if (at >= to)
			break;
		if (at >= from)
			out[(*n)++] = at;
	}
	icalrecur_iterator_free(it);
	icalmemory_free_ring(); /* libical's per-thread scratch buffers */
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
