/* Shared by the workflow unit tests: a track, actors and clock values. */
#ifndef TQ_WF_FIXTURE_H
#define TQ_WF_FIXTURE_H

#include <jansson.h>
#include <string.h>
#include "core/effects.h"
#include "core/event_types.h"
#include "core/settings.h"
#include "core/tqtime.h"
#include "core/visibility.h"

/* il-sy of the demo, plus a host and an observer. */
#define FIX_TRACK_JSON                                                                                         \
	"{\"id\":\"il-sy\",\"members\":[{\"party\":\"IL\",\"role\":\"principal\"},"                          \
	"{\"party\":\"SY\",\"role\":\"principal\"},{\"party\":\"US\",\"role\":\"supervisor\"},"               \
	"{\"party\":\"RU\",\"role\":\"mediator\"},{\"party\":\"AZ\",\"role\":\"host\"},"                      \
	"{\"party\":\"TR\",\"role\":\"observer\"}]}"

static inline void fix_track(struct vis_track *t)
{
	json_t *j = json_loads(FIX_TRACK_JSON, 0, NULL);
	int rc = vis_track_from_json(j, t);
	json_decref(j);
	if (rc)
		abort();
}

static inline tq_time fix_time(const char *s)
{
	tq_time t = 0;
	if (tqtime_parse(s, &t))
		abort();
	return t;
}

#define FIX_NOW fix_time("2026-03-01T10:00:00Z")
#define FIX_MIN 60000LL

static inline struct actor fix_actor(const char *party)
{
	return (struct actor){party, "usr_test"};
}

/* Every event a transition asks for is a type the log accepts (core/event_types.h).
 * Needs cmocka.h included first. */
#define fix_check_types(fx)                                                                                    \
	do {                                                                                                   \
		for (size_t i_ = 0; i_ < (fx)->nev; i_++)                                                      \
			if (!event_type_known((fx)->ev[i_].type))                                              \
				fail_msg("event type %s is not in core/event_types.c", (fx)->ev[i_].type);    \
	} while (0)

#endif
