/*
 * api_meetings — what the two halves of the meetings API share:
 * api_meetings.c (series, occurrences, calendar.ics, the route table) and
 * api_minutes.c (agendas, minutes, action items). The workflow is
 * core/meeting.h.
 */
#ifndef TQ_API_MEETINGS_H
#define TQ_API_MEETINGS_H

#include <jansson.h>
#include "core/meeting.h"
#include "server/http.h"

/* A refusal from core: a field error when it names a field, else a detail. */
int meetings_core_fail(struct req *r, int rc, const struct tq_field_error *fe);
/* Every object of type in the track r->param[0], in id order. *out owned. */
TQ_MUST_USE int meetings_scan_all(struct req *r, const char *type, json_t **out);
/* {occurrence id: minutes id} for the track. *out owned. */
TQ_MUST_USE int meetings_held_map(struct req *r, json_t **out);
/* The occurrence r->param[1] if a party with role sees it: *s (free with
 * meeting_series_free) and its start. 404 when the id does not expand. */
TQ_MUST_USE int meetings_occ_load(struct req *r, const char *role, struct meeting_series *s, tq_time *start);
/* For a member of track r->param[0] (auth_track_content: *track, *role), the
 * occurrence (meetings_occ_load) and the track's held map (meetings_held_map).
 * The caller frees *track, *s and *held whatever the outcome. */
TQ_MUST_USE int meetings_occ_open(struct req *r, json_t **track, const char **role, struct meeting_series *s,
				  tq_time *start, json_t **held);

/* api_minutes.c */
int meetings_agenda_get(struct req *r);
int meetings_minutes_create(struct req *r);
int meetings_minutes_get(struct req *r);
int meetings_action_list(struct req *r);
int meetings_action_get(struct req *r);
int meetings_action_done(struct req *r);

#endif
