/*
 * demo_cell — the demo's threat referral, dispute and meeting series
 * (architecture.md, Demo scenario), seeded through the API.
 */
#include "server/demo.h"

#include <stdio.h>

/* Tomorrow at hh:00Z, so the first occurrences lie ahead of the demo's clock. */
static const char *tomorrow_at(struct demo *d, int hh, char *buf)
{
	struct tq_civil c;
	tqtime_to_civil(d->now + 24LL * 3600 * 1000, &c);
	c.hour = hh;
	c.minute = c.second = c.ms = 0;
	tqtime_format(tqtime_from_civil(&c), buf);
	return buf;
}

int demo_seed_cell(struct demo *d)
{
	char t1[TQTIME_BUFSZ], t2[TQTIME_BUFSZ];

	/* Talks hosted by Azerbaijan: every other Tuesday, 08:00Z (12:00 in Baku). */
	if (demo_post(d, "AZ", "/v1/tracks/tr-il/meetings/series", NULL,
		      "{\"title\":\"Türkiye–Israel deconfliction talks\",\"venue\":\"Baku, Ministry of Foreign Affairs\","
		      "\"host\":\"AZ\",\"start\":\"%s\",\"duration\":\"PT3H\",\"rrule\":\"FREQ=WEEKLY;INTERVAL=2;BYDAY=TU\"}",
		      tomorrow_at(d, 8, t1)))
		return -1;
	/* Israel–Syria talks in Paris under US supervision: every other Thursday, 09:00Z. */
	if (demo_post(d, "US", "/v1/tracks/il-sy/meetings/series", NULL,
		      "{\"title\":\"Israel–Syria security talks\",\"venue\":\"Paris\",\"host\":\"US\",\"start\":\"%s\","
		      "\"duration\":\"PT4H\",\"rrule\":\"FREQ=WEEKLY;INTERVAL=2;BYDAY=TH\"}",
		      tomorrow_at(d, 9, t1)))
		return -1;
	/* An intelligence report referred to the party able to act on it. */
	if (demo_post(d, "IL", "/v1/tracks/il-sy/threats", NULL,
		      "{\"category\":\"armed_group\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[35.82,33.13]},"
		      "\"observed_at\":\"%s\",\"confidence\":\"medium\",\"refer_to\":\"SY\","
		      "\"description\":\"Armed group with technicals observed staging west of Quneitra.\"}",
		      demo_time(d, -45, t2)))
		return -1;
	/* A complaint awaiting the other side's response. */
	if (demo_post(d, "SY", "/v1/tracks/il-sy/disputes", NULL,
		      "{\"against\":\"IL\",\"subject\":\"Ground movement in the area of separation\","
		      "\"description\":\"Vehicles reported east of the Alpha line near Quneitra, "
		      "contrary to the 1974 disengagement agreement.\"}"))
		return -1;
	return 0;
}
