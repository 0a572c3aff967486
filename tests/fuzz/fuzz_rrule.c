/*
 * fuzz_rrule — meeting-series recurrence rules: rrule_parse on outside text,
 * then rrule_format and rrule_expand on whatever parsed.
 *
 * Input: optional first line "<RFC 3339 DTSTART>\n", then the RRULE value.
 * Without a DTSTART line the whole input is the rule and DTSTART is
 * 2024-01-31T09:30:00Z (a 31st, to reach the month-skipping paths).
 *
 * Promises checked (rrule.h): the canonical text parses back to the same
 * rule; occurrences are strictly ascending, inside [from, to), not before
 * DTSTART, not after UNTIL, at DTSTART's time of day, at most COUNT of them;
 * paging with a small buffer (from = last + 1) gives exactly the sequence one
 * large call gives.
 */
#include "fuzz_common.h"

#include "core/rrule.h"

#define MS_PER_DAY 86400000LL
#define BIG 512
#define SMALL 7

static int same_rule(const struct rrule *a, const struct rrule *b)
{
	return a->freq == b->freq && a->interval == b->interval && a->count == b->count && a->until == b->until &&
	       a->byday == b->byday && memcmp(a->byday_nth, b->byday_nth, sizeof a->byday_nth) == 0;
}

static void check_window(const struct rrule *r, tq_time dtstart, tq_time from, tq_time to)
{
	static tq_time all[BIG], page[SMALL];
	size_t n = 0, k = 0;

	if (rrule_expand(r, dtstart, from, to, all, BIG, &n) != TQ_OK)
		return;
	FUZZ_CHECK(n <= BIG, "n = %zu", n);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(all[i] >= from && all[i] < to, "occurrence %zu outside the window", i);
		FUZZ_CHECK(all[i] >= dtstart, "occurrence %zu before DTSTART", i);
		FUZZ_CHECK(r->until == TQ_TIME_MAX || all[i] <= r->until, "occurrence %zu after UNTIL", i);
		FUZZ_CHECK((all[i] - dtstart) % MS_PER_DAY == 0, "occurrence %zu not at DTSTART's time of day", i);
		FUZZ_CHECK(i == 0 || all[i] > all[i - 1], "occurrences %zu, %zu not ascending", i - 1, i);
	}
	if (r->count)
		FUZZ_CHECK(n <= (size_t)r->count, "%zu occurrences for COUNT=%d", n, r->count);

	/* The same sequence again, SMALL at a time. */
	tq_time f = from;
	for (int pages = 0; pages < BIG; pages++) {
		size_t m = 0;
		int rc = rrule_expand(r, dtstart, f, to, page, SMALL, &m);
		FUZZ_CHECK(rc == TQ_OK, "paged expand failed (%d) where the big one did not", rc);
		for (size_t i = 0; i < m && k < n; i++, k++)
			FUZZ_CHECK(page[i] == all[k], "page differs at occurrence %zu", k);
		if (m < SMALL || k >= n)
			break;
		f = page[SMALL - 1] + 1;
	}
	if (n < BIG)
		FUZZ_CHECK(k == n, "paging found %zu occurrences, one call %zu", k, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	if (!s)
		return 0;
	tq_time dtstart = 1706693400000LL; /* 2024-01-31T09:30:00Z */
	const char *rule = s;
	char *nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		if (tqtime_parse(s, &dtstart) == TQ_OK)
			rule = nl + 1;
		else
			*nl = '\n';
	}

	struct rrule r, r2;
	char err[RRULE_ERRBUF_SZ] = "";
	int rc = rrule_parse(rule, &r, err, sizeof err);
	if (rc != TQ_OK) {
		FUZZ_CHECK(rc == TQ_EINVALID, "unexpected error %d", rc);
		FUZZ_CHECK(err[0] != '\0' && strlen(err) < sizeof err, "no message for a refused rule");
		goto out;
	}
	FUZZ_CHECK(r.interval >= 1 && r.interval <= 1000 && r.count >= 0 && r.count <= 10000, "bounds");

	char buf[RRULE_FORMAT_BUFSZ];
	rc = rrule_format(&r, buf, sizeof buf);
	FUZZ_CHECK(rc == TQ_OK, "format failed (%d)", rc);
	rc = rrule_parse(buf, &r2, err, sizeof err);
	FUZZ_CHECK(rc == TQ_OK, "canonical \"%s\" refused: %s", buf, err);
	FUZZ_CHECK(same_rule(&r, &r2), "\"%s\" -> \"%s\" changes the rule", rule, buf);

	check_window(&r, dtstart, dtstart - 7 * MS_PER_DAY, dtstart + 800 * MS_PER_DAY);
	/* Far from DTSTART: the skip-ahead and the empty-period bound. */
	check_window(&r, dtstart, dtstart + 150000LL * MS_PER_DAY, dtstart + 150400LL * MS_PER_DAY);
out:
	free(s);
	return 0;
}
