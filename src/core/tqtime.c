#include "core/tqtime.h"

#include <stdio.h>
#include <string.h>

#define MS_PER_DAY 86400000LL

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t yy = (int64_t)yoe + era * 400;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

int tqtime_days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return days[month - 1];
}

tq_time tqtime_from_civil(const struct tq_civil *c)
{
	int64_t days = days_from_civil(c->year, (unsigned)c->month, (unsigned)c->day);
	return days * MS_PER_DAY + (int64_t)c->hour * 3600000 + (int64_t)c->minute * 60000 +
	       (int64_t)c->second * 1000 + c->ms;
}

void tqtime_to_civil(tq_time t, struct tq_civil *out)
{
	int64_t days = t / MS_PER_DAY;
	int64_t rem = t % MS_PER_DAY;
	if (rem < 0) {
		rem += MS_PER_DAY;
		days--;
	}
	civil_from_days(days, &out->year, &out->month, &out->day);
	out->hour = (int)(rem / 3600000);
	out->minute = (int)(rem / 60000 % 60);
	out->second = (int)(rem / 1000 % 60);
	out->ms = (int)(rem % 1000);
	/* 1970-01-01 was a Thursday (3 when Monday is 0). */
	out->weekday = (int)(((days % 7) + 7 + 3) % 7);
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int tqtime_parse(const char *s, tq_time *out)
{
	struct tq_civil c = {0};
	if (!s || strlen(s) < 20)
		return TQ_EINVALID;
	if (digits(s, 4, &c.year) || s[4] != '-' || digits(s + 5, 2, &c.month) || s[7] != '-' ||
	    digits(s + 8, 2, &c.day) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &c.hour) ||
	    s[13] != ':' || digits(s + 14, 2, &c.minute) || s[16] != ':' || digits(s + 17, 2, &c.second))
		return TQ_EINVALID;
	if (c.year < 1970 || c.month < 1 || c.month > 12 || c.day < 1 ||
	    c.day > tqtime_days_in_month(c.year, c.month) || c.hour > 23 || c.minute > 59 || c.second > 59)
		return TQ_EINVALID;
	const char *p = s + 19;
	if (*p == '.') {
		int n = 0, ms = 0;
		p++;
		while (*p >= '0' && *p <= '9') {
			if (n < 3)
				ms = ms * 10 + (*p - '0');
			n++;
			p++;
			if (n > 9)
				return TQ_EINVALID;
		}
		if (n == 0)
			return TQ_EINVALID;
		for (int i = n; i < 3; i++)
			ms *= 10;
		c.ms = ms;
	}
	int64_t offset_ms = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return TQ_EINVALID;
		offset_ms = ((int64_t)oh * 60 + om) * 60000;
		if (*p == '-')
			offset_ms = -offset_ms;
		p += 6;
	} else {
		return TQ_EINVALID;
	}
	if (*p != '\0')
		return TQ_EINVALID;
	/* The range holds for the instant, not the local time: an offset may move
	 * 1970-01-01T00:30+01:00 before 1970 or 9999-12-31T23:00-01:30 past 9999. */
	tq_time t = tqtime_from_civil(&c) - offset_ms;
	if (t < 0 || t >= TQTIME_END)
		return TQ_EINVALID;
	*out = t;
	return TQ_OK;
}

void tqtime_format(tq_time t, char *buf)
{
	struct tq_civil c;
	tqtime_to_civil(t, &c);
	if (c.ms)
		snprintf(buf, TQTIME_BUFSZ, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year % 10000, c.month,
			 c.day, c.hour, c.minute, c.second, c.ms);
	else
		snprintf(buf, TQTIME_BUFSZ, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year % 10000, c.month, c.day,
			 c.hour, c.minute, c.second);
}

void tqtime_format_basic(tq_time t, char *buf)
{
	struct tq_civil c;
	tqtime_to_civil(t, &c);
	snprintf(buf, TQTIME_BUFSZ, "%04d%02d%02dT%02d%02d%02dZ", c.year % 10000, c.month, c.day, c.hour,
		 c.minute, c.second);
}

/* One "<number><unit>" of a duration; fractions only on the last unit (seconds). */
static int duration_number(const char **pp, int64_t *whole, int64_t *milli, int *has_fraction)
{
	const char *p = *pp;
	int64_t v = 0;
	int n = 0;
	while (*p >= '0' && *p <= '9') {
		if (v > 100000000LL)
			return TQ_EINVALID;
		v = v * 10 + (*p - '0');
		p++;
		n++;
	}
	if (n == 0)
		return TQ_EINVALID;
	*milli = 0;
	*has_fraction = 0;
	if (*p == '.' || *p == ',') {
		int f = 0;
		int64_t ms = 0;
		p++;
		while (*p >= '0' && *p <= '9') {
			if (f < 3)
				ms = ms * 10 + (*p - '0');
			f++;
			p++;
		}
		if (f == 0 || f > 9)
			return TQ_EINVALID;
		for (int i = f; i < 3; i++)
			ms *= 10;
		*milli = ms;
		*has_fraction = 1;
	}
	*whole = v;
	*pp = p;
	return TQ_OK;
}

int tqtime_duration_parse(const char *s, int64_t *out_ms)
{
	if (!s || s[0] != 'P' || s[1] == '\0' || strlen(s) > 64)
		return TQ_EINVALID;
	const char *p = s + 1;
	int in_time = 0, any = 0, last_rank = -1;
	int64_t total = 0;
	while (*p) {
		if (*p == 'T') {
			if (in_time || p[1] == '\0')
				return TQ_EINVALID;
			in_time = 1;
			p++;
			continue;
		}
		int64_t v, frac;
		int has_fraction;
		if (duration_number(&p, &v, &frac, &has_fraction))
			return TQ_EINVALID;
		int64_t unit;
		int rank;
		char u = *p++;
		if (!in_time && u == 'W') { unit = 7 * MS_PER_DAY; rank = 0; }
		else if (!in_time && u == 'D') { unit = MS_PER_DAY; rank = 1; }
		else if (in_time && u == 'H') { unit = 3600000; rank = 2; }
		else if (in_time && u == 'M') { unit = 60000; rank = 3; }
		else if (in_time && u == 'S') { unit = 1000; rank = 4; }
		else return TQ_EINVALID;
		if (rank <= last_rank || (has_fraction && rank != 4))
			return TQ_EINVALID;
		last_rank = rank;
		total += v * unit + frac;
		if (total > TQTIME_MAX_DURATION_MS)
			return TQ_EINVALID;
		any = 1;
	}
	if (!any)
		return TQ_EINVALID;
	*out_ms = total;
	return TQ_OK;
}

void tqtime_duration_format(int64_t ms, char *buf)
{
	char *p = buf;
	size_t left = TQTIME_BUFSZ;
	int n;
	if (ms < 0)
		ms = 0;
	int64_t days = ms / MS_PER_DAY;
	int64_t rest = ms % MS_PER_DAY;
	n = snprintf(p, left, "P");
	p += n; left -= (size_t)n;
	if (days) {
		n = snprintf(p, left, "%lldD", (long long)days);
		p += n; left -= (size_t)n;
	}
	if (rest || !days) {
		int64_t h = rest / 3600000, m = rest / 60000 % 60, s = rest / 1000 % 60, f = rest % 1000;
		n = snprintf(p, left, "T");
		p += n; left -= (size_t)n;
		if (h) { n = snprintf(p, left, "%lldH", (long long)h); p += n; left -= (size_t)n; }
		if (m) { n = snprintf(p, left, "%lldM", (long long)m); p += n; left -= (size_t)n; }
		if (s || f || (!h && !m)) {
			if (f)
				snprintf(p, left, "%lld.%03lldS", (long long)s, (long long)f);
			else
				snprintf(p, left, "%lldS", (long long)s);
		}
	}
}
