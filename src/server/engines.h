/*
 * engines — one conflict engine per track (core/engine.h) and the stored
 * conflicts it produces (api.md Conflicts, Precise rules 1–3).
 *
 * Promises:
 * - Each track's engine holds the live subjects of the store: zones proposed
 *   or in force, deployments not withdrawn, activities notified or active.
 *   It is built from the store on first use (engines_load builds all at
 *   start-up) with the track's margins; api_track_changed updates margins
 *   after commit.
 * - Conflicts are stored objects (type "conflict", id "cfl_…") in the API
 *   shape plus "key", the engine's stable finding key. A conflict is
 *   unresolved while "open" or "acknowledged". engines_apply reconciles one
 *   subject's change: the engine's findings for the subject (and, for a
 *   deployment, for the limitation zones it was or is counted in) are matched
 *   to the unresolved conflicts in scope by key; a finding without one opens
 *   a conflict (event conflict.opened), an unresolved conflict whose key is
 *   gone is resolved with `why` (event conflict.resolved). A key whose
 *   conflict was consented or waived is settled and never reopened.
 *   Conflicts involving an activity that completed are left as they are
 *   (they stop matching, they do not resolve), unless the other subject is
 *   itself cancelled or withdrawn.
 * - The engine and the in-memory conflict map change inside the request, so
 *   the re-checks see the new state; if the transaction does not commit, the
 *   track's memory is marked stale and rebuilt from the (unchanged) store at
 *   its next use — a failed request leaves no trace.
 * All calls happen under app->lock (one geo_ctx for the app).
 */
#ifndef TQ_ENGINES_H
#define TQ_ENGINES_H

#include <jansson.h>
#include "core/engine.h"
#include "core/subject.h"
#include "server/http.h"

struct track_engine;

/* Builds every track's engine (start-up). */
TQ_MUST_USE int engines_load(struct app *a);
/* Another node changed track: its engine is rebuilt from the store at next use. */
void engines_mark_stale(struct app *a, const char *track);
/* Frees all engines; NULL-safe on an app without any. */
void engines_free(struct app *a);
/* Track created or settings changed (inside the transaction): new margins
 * after commit. */
void engines_track_changed(struct app *a, const json_t *track);

/* The track's engine, built from the store if needed. Borrowed. */
TQ_MUST_USE int engines_get(struct app *a, const char *track, struct track_engine **out);
/* The app's geo context (valid after a successful engines_get). */
struct geo_ctx *engines_geo(struct app *a);
struct engine *engines_engine(struct track_engine *te);

/* Parses a zone/deployment/activity body (candidate or stored). For stored
 * objects pass the object: its "status" and "declared_by" are honoured.
 * *out owned (subject_free with engines_geo). */
TQ_MUST_USE int engines_subject(struct app *a, enum subject_type t, const json_t *obj, const char *id,
				const char *party, tq_time now, struct subject **out, struct tq_field_error *err);

/* engine_admit for a candidate of `track` (422 with a reason past the work
 * bounds of core/limits.h). */
TQ_MUST_USE int engines_admit(struct app *a, const char *track, const struct subject *s, struct tq_field_error *err);

struct engines_change {
	const struct who *who;
	tq_time now;
	const json_t *track;     /* the track JSON (audiences) */
	enum subject_type type;
	const json_t *obj;       /* the subject's stored object after the change */
	int live;                /* 0: it leaves the index (cancelled, withdrawn, rejected) */
	const char *why;         /* resolution for conflicts that no longer hold */
};
/* Reconciles conflicts for the change (see above), inside the transaction.
 * *conflicts (owned, if not NULL) = the unresolved conflicts of the subject. */
TQ_MUST_USE int engines_apply(struct app *a, struct track_engine *te, const struct engines_change *c,
			      json_t **conflicts);
/* The unresolved conflicts of subject id, by conflict id. *out owned. */
TQ_MUST_USE int engines_conflicts_of(struct app *a, struct track_engine *te, const char *id, json_t **out);
/* GET one: answers obj (taken) with "conflicts" when the caller may see conflicts. */
TQ_MUST_USE int engines_obj_answer(struct req *r, const char *role, json_t *obj);
/* An activity completed: it leaves the index, its conflicts stay. */
TQ_MUST_USE int engines_retire(struct app *a, struct track_engine *te, const char *id);
/* A conflict was consented or waived: its key is settled. */
TQ_MUST_USE int engines_settle(struct app *a, struct track_engine *te, const char *conflict_id);
/* Adds to c's "parties" the parties of the agreement whose rule it breaks:
 * every party that accepted the demilitarized or limitation zone (the engine
 * names only the zone's owner and the offenders). Sorted, unique. */
TQ_MUST_USE int engines_conflict_parties(struct app *a, const char *track, json_t *c);
/* Stores conflict c and emits `event` to the track members who see conflicts. */
TQ_MUST_USE int engines_conflict_save(struct app *a, const struct who *w, tq_time now, const json_t *track,
				      const json_t *c, const char *event);

/* ---- helpers shared by the api_* handlers of zones, deployments, activities ---- */

/* "zone" etc. */
const char *engines_type_name(enum subject_type t);
/* Stores obj (meta party = declared_by) and emits `event` with the type's audience. */
TQ_MUST_USE int engines_obj_save(struct app *a, const struct who *w, tq_time now, const json_t *track,
				 enum subject_type t, const json_t *obj, const char *event);
/* Loads the object r->param[1] of type t in track r->param[0] if the caller
 * sees it; 404 otherwise (via req_fail). */
TQ_MUST_USE int engines_obj_load(struct req *r, const char *role, enum subject_type t, json_t **out);
/* Answers a list of type t with ?status=, ?kind= (zones), ?at=, ?bbox=. `from`/`until`
 * name the window ("valid"/"from"/"until" or "window"/"start"/"end"). */
TQ_MUST_USE int engines_obj_list(struct req *r, enum subject_type t, const char *const *statuses);
/* Whether obj's footprint may meet bbox (declared geometry grown by radius_m
 * / width_m): a prefilter as exact as a bounding box can be. */
int engines_obj_in_bbox(const json_t *obj, const double bbox[4]);
/* Whether time at lies in obj's window (open ends allowed). */
int engines_obj_at(const json_t *obj, enum subject_type t, tq_time at);
/* Parses ?bbox= (4 finite numbers) and ?at=; *has_* tell whether given. 422 on bad values. */
TQ_MUST_USE int engines_query_where(struct req *r, double bbox[4], int *has_bbox, tq_time *at, int *has_at);
/* Rewrites the window of obj from the parsed subject: RFC 3339 UTC "Z" form,
 * and an explicit start for deployments (their default is "now"). */
void engines_normalize(json_t *obj, const struct subject *s);
/* 422 (field "owner") unless owner is a principal of the track (rule 9). */
TQ_MUST_USE int engines_check_owner(struct req *r, const json_t *track, const char *owner);

#endif
