/*
 * fuzz_tqtime — tqtime_parse (RFC 3339) and tqtime_duration_parse (ISO 8601)
 * on the same input string; both are reached from every JSON body with a
 * time or a duration and from the CLI's arguments.
 *
 * Round trips checked (tqtime.h): an accepted instant lies in years
 * 1970..9999 and tqtime_format of it parses back to the same instant; an
 * accepted duration is >= 0 and tqtime_duration_format of it parses back to
 * the same number of milliseconds.
 */
#include "fuzz_common.h"

#include "core/tqtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	if (!s)
		return 0;

	tq_time t, t2;
	if (tqtime_parse(s, &t) == TQ_OK) {
		struct tq_civil c;
		char buf[TQTIME_BUFSZ];
		tqtime_to_civil(t, &c);
		FUZZ_CHECK(c.year >= 1970 && c.year <= 9999, "\"%s\" parsed to year %d", s, c.year);
		tqtime_format(t, buf);
		FUZZ_CHECK(tqtime_parse(buf, &t2) == TQ_OK, "\"%s\" formatted as \"%s\", which does not parse", s,
			   buf);
		FUZZ_CHECK(t2 == t, "\"%s\" -> %lld -> \"%s\" -> %lld", s, (long long)t, buf, (long long)t2);
	}

	int64_t ms, ms2;
	if (tqtime_duration_parse(s, &ms) == TQ_OK) {
		char buf[TQTIME_BUFSZ];
		FUZZ_CHECK(ms >= 0, "\"%s\" parsed to %lld ms", s, (long long)ms);
		tqtime_duration_format(ms, buf);
		FUZZ_CHECK(tqtime_duration_parse(buf, &ms2) == TQ_OK,
			   "\"%s\" formatted as \"%s\", which does not parse", s, buf);
		FUZZ_CHECK(ms2 == ms, "\"%s\" -> %lld -> \"%s\" -> %lld", s, (long long)ms, buf, (long long)ms2);
	}
	free(s);
	return 0;
}
