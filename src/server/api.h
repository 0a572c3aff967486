/*
 * api — the handlers of the HTTP API, grouped by resource (one api_*.c each),
 * and the few helpers they share. Each group exports its route table; routes.c
 * lists the tables.
 */
#ifndef TQ_API_H
#define TQ_API_H

#include <jansson.h>
#include "server/http.h"

#define TANSIQ_VERSION "0.1.0"

extern const struct route api_admin_routes[];
extern const struct route api_cert_routes[]; /* api_certs.c */
extern const struct route api_log_routes[];
extern const struct route api_session_routes[];
extern const struct route api_hotline_routes[], api_events_routes[]; /* api_hotline.c, sse.c */
extern const struct route api_threat_routes[], api_dispute_routes[], api_meeting_routes[];
extern const struct route api_static_routes[]; /* static.c: the console's files */
extern const struct route api_zone_routes[], api_deployment_routes[], api_activity_routes[], api_conflict_routes[], api_export_routes[];

/* Sets created_at, created_by and version 1 on a new object. */
void api_stamp(struct req *r, json_t *obj);
/* version + 1 and updated_at, after a change. */
void api_bump(struct req *r, json_t *obj);
/* A copy of the track with my_role. Returns owned. */
json_t *api_track_view(const json_t *track, const char *role);
/* Creates a user with a fresh API token (staged in r->commit).
 * *out (owned) is the user object with "token" — shown once. */
TQ_MUST_USE int api_user_create(struct req *r, const char *name, const char *party, const char *role,
				const char *password, json_t **out);
/* Tells modules with per-track memory that a track was created or changed
 * (while the batch c is built; modules act after it commits). */
void api_track_changed(struct app *a, struct commit *c, const json_t *track);
/* POST /v1/tracks/{track}/messages as w, in-process (api_hotline.c); takes the app lock. */
TQ_MUST_USE int api_hotline_post_as(struct app *a, const struct who *w, const char *track, json_t *body,
				    char *detail, size_t detail_len);
int api_threat_lapse(struct app *a, const struct store_deadline *d, tq_time now);     /* sweeper: threat.respond */
int api_hotline_ack_due(struct app *a, const struct store_deadline *d, tq_time now); /* sweeper: message.ack */
int api_dispute_escalate(struct app *a, const struct store_deadline *d, tq_time now); /* dispute.respond|resolve */
int api_activity_start(struct commit *c, const struct store_deadline *d); /* sweeper: activity.start */
int api_activity_end(struct commit *c, const struct store_deadline *d);   /* sweeper: activity.end */
/* Registers every deadline kind with the sweeper (routes.c; before sweeper_start). */
TQ_MUST_USE int api_deadlines_register(struct app *a);

#endif
