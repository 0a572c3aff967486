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
 * - Memory changed while a batch is built (reconcile.h) is guarded: the
 *   engine's changes are pending (core/engine.h, "Views") until the COMMIT
 *   holding the batch, then committed; if the batch does not commit, the
 *   track is marked stale and rebuilt from the (unchanged) store at its next
 *   use — a failed request leaves no trace.
 *
 * Readers off the write path (issue 12). Writers call everything under
 * app->lock, with the app's geo_ctx and the writer's view. A snapshot reader
 * (app_reading) gets from engines_get an engine that is built, not stale and
 * holds committed state only (else APP_NEED_LOCK: it runs again under the
 * lock, which builds it), and checks in the committed view with a geo_ctx of
 * its thread (engines_view, engines_geo; made at first use, freed when the
 * thread ends): it never waits for a writer's batch or fsync, and never sees
 * a change that may still fail to commit.
 * The registry (one per app) has a reader-writer lock: a reader holds it
 * shared from engines_get to engines_done (the router calls it after every
 * snapshot request too); a writer takes it exclusively only around changes
 * of memory readers read — an engine's subjects (engines_write_lock around
 * engine_upsert/remove/set_zone_status), the commit of its pending changes,
 * its margins, its swap after a rebuild (built aside), the registry's array,
 * the stale flags — never across a store call or a fsync. The conflict maps
 * are writers' only (readers read conflicts from their snapshot). One lock
 * per app rather than per track: the registry's array needs one anyway, and
 * writers are serialised by app->lock, so a lock per track would only let a
 * reader of another track through during a few microseconds of mutation.
 * An engine rebuilt while a shared transaction is open may hold its
 * uncommitted rows: readers keep off it (lock) until none is open.
 * Newer than the snapshot: the committed view is the newest committed state,
 * which may be newer than the reader's store snapshot (a commit between the
 * two): fine for a check (POST /check answers against the newest committed
 * state; the reader's store reads — track, zone acceptance — are its
 * snapshot's). Answers that join store rows with engine memory do not use
 * the engine in a snapshot: export parses the footprints from its rows, a
 * subject's conflicts are read from the snapshot's rows (subjects.h).
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

/* The track's engine, built from the store if needed (under app->lock). In
 * a snapshot: the registry is held for reading until engines_done, and
 * APP_NEED_LOCK when the engine is not there, stale, unsafe or behind the
 * snapshot (app_memory_behind: another node's commit not followed yet). Borrowed. */
TQ_MUST_USE int engines_get(struct app *a, const char *track, struct track_engine **out);
/* A snapshot reader is done with the engines it got (no-op otherwise). */
void engines_done(struct app *a);
/* The geo context of the caller: the app's under app->lock, the thread's own
 * in a snapshot. NULL when out of memory. */
struct geo_ctx *engines_geo(struct app *a);
/* The view the caller checks in: NULL (the writer's, under app->lock) or, in
 * a snapshot, the committed view with the thread's geo context (in buf). */
const struct engine_view *engines_view(struct app *a, struct engine_view *buf);
/* Around a change of te's engine (writers, under app->lock). */
void engines_write_lock(struct track_engine *te);
void engines_write_unlock(struct track_engine *te);
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
