/*
 * engines — one conflict engine per track (core/engine.h) with its conflict
 * map (cmap.h): the registry, built from the store and rebuilt when stale.
 *
 * Promises:
 * - Each track's engine holds the live subjects of the store: zones proposed
 *   or in force, deployments not withdrawn, activities notified or active;
 *   its map references the track's unresolved and settled conflicts. It is
 *   built from the store on first use (engines_load builds all at start-up)
 *   with the track's margins; engines_track_changed updates margins after
 *   commit.
 * - Memory changed while a batch is built (reconcile.h) is guarded: if the
 *   batch does not commit, the track is marked stale and rebuilt from the
 *   (unchanged) store at its next use — a failed request leaves no trace.
 * All calls happen under app->lock (one geo_ctx for the app): engines_get
 * refuses a snapshot reader (app_need_lock), whose request then runs again
 * under the lock.
 */
#ifndef TQ_ENGINES_H
#define TQ_ENGINES_H

#include <jansson.h>
#include "core/engine.h"
#include "core/subject.h"
#include "server/app.h"
#include "server/cmap.h"
#include "server/commit.h"

struct track_engine;

/* Builds every track's engine (start-up). */
TQ_MUST_USE int engines_load(struct app *a);
/* Another node changed track: its engine is rebuilt from the store at next use. */
void engines_mark_stale(struct app *a, const char *track);
/* Frees all engines; NULL-safe on an app without any. */
void engines_free(struct app *a);
/* Track created or settings changed (while c is built): new margins after commit. */
void engines_track_changed(struct app *a, struct commit *c, const json_t *track);

/* The track's engine, built from the store if needed. Borrowed. */
TQ_MUST_USE int engines_get(struct app *a, const char *track, struct track_engine **out);
/* The app's geo context (valid after a successful engines_get). */
struct geo_ctx *engines_geo(struct app *a);
struct engine *engines_engine(struct track_engine *te);
struct cmap *engines_map(struct track_engine *te);
const char *engines_track_id(const struct track_engine *te);
/* te's memory is about to change for batch c: rebuilt unless c commits. */
void engines_guard(struct commit *c, struct track_engine *te);

/* Parses a zone/deployment/activity body (candidate or stored). For stored
 * objects pass the object: its "status" (zones) is honoured.
 * *out owned (subject_free with engines_geo). */
/* engine_admit for a candidate of `track` (422 with a reason past the work
 * bounds of core/limits.h). */
TQ_MUST_USE int engines_admit(struct app *a, const char *track, const struct subject *s, struct tq_field_error *err);
TQ_MUST_USE int engines_subject(struct app *a, enum subject_type t, const json_t *obj, const char *id,
				const char *party, tq_time now, struct subject **out, struct tq_field_error *err);

#endif
