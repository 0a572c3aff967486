/*
 * engines — see engines.h.
 */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np: writers are not starved by readers */
#include "server/engines.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/activity.h"
#include "core/conflict.h"
#include "core/deployment.h"
#include "server/group.h"

struct engines;

/* Fields that readers read (engine, stale, unsafe; the registry's array) change
 * only with the registry's rw lock taken for writing. map is writers' only. */
struct track_engine {
	char id[40];
	struct engines *g;
	struct engine *engine;
	struct cmap map;
	int stale;  /* rebuild from the store at next use */
	int unsafe; /* built inside an open shared transaction: its state may hold
		       uncommitted rows, so readers keep off until none is open */
};

struct engines {
	struct geo_ctx *geo; /* writers' (under app->lock) */
	pthread_rwlock_t rw;
	struct track_engine **t;
	size_t n, cap;
};

/* ---- registry ----------------------------------------------------------- */

static struct engines *registry(struct app *a)
{
	struct engines *g = a->engines;
	pthread_rwlockattr_t attr;
	if (g)
		return g;
	if (!(g = calloc(1, sizeof *g)))
		return NULL;
	if (!(g->geo = geo_ctx_new())) {
		free(g);
		return NULL;
	}
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&g->rw, &attr);
	pthread_rwlockattr_destroy(&attr);
	a->engines = g;
	return g;
}

/* ---- per-thread geo contexts (readers check at once, each with its own) -- */

static pthread_key_t geo_key;
static pthread_once_t geo_once = PTHREAD_ONCE_INIT;

static void geo_key_free(void *geo)
{
	geo_ctx_free(geo);
}

static void geo_key_make(void)
{
	(void)pthread_key_create(&geo_key, geo_key_free);
}

static struct geo_ctx *thread_geo(void)
{
	struct geo_ctx *geo;
	pthread_once(&geo_once, geo_key_make);
	if ((geo = pthread_getspecific(geo_key)))
		return geo;
	if ((geo = geo_ctx_new()) && pthread_setspecific(geo_key, geo)) {
		geo_ctx_free(geo);
		geo = NULL;
	}
	return geo;
}

struct geo_ctx *engines_geo(struct app *a)
{
	if (app_reading(a))
		return thread_geo();
	struct engines *g = registry(a);
	return g ? g->geo : NULL;
}

const struct engine_view *engines_view(struct app *a, struct engine_view *buf)
{
	if (!app_reading(a))
		return NULL;
	buf->committed = 1;
	buf->geo = thread_geo();
	return buf;
}

void engines_write_lock(struct track_engine *te)
{
	pthread_rwlock_wrlock(&te->g->rw);
}

void engines_write_unlock(struct track_engine *te)
{
	pthread_rwlock_unlock(&te->g->rw);
}

static void set_stale(struct track_engine *te)
{
	engines_write_lock(te);
	te->stale = 1;
	engines_write_unlock(te);
}

struct engine *engines_engine(struct track_engine *te)
{
	return te->engine;
}

struct cmap *engines_map(struct track_engine *te)
{
	return &te->map;
}

const char *engines_track_id(const struct track_engine *te)
{
	return te->id;
}

static void margins_of(const struct track_settings *s, struct engine_margins *m)
{
	m->separation_m = s->separation_m;
	m->vertical_separation_m = s->vertical_separation_m;
	m->time_margin_ms = s->time_margin_ms;
}

int engines_subject(struct app *a, enum subject_type t, const json_t *obj, const char *id, const char *party,
		    tq_time now, struct subject **out, struct tq_field_error *err)
{
	struct geo_ctx *geo = engines_geo(a);
	const char *status = NULL;
	int rc;
	if (json_unpack((json_t *)obj, "{s?s}", "status", &status))
		status = NULL;
	if (!geo)
		return TQ_ENOMEM;
	if ((rc = subject_from_json(geo, t, obj, id, party, now, out, err)))
		return rc;
	if (t == SUBJECT_ZONE && status && zone_status_parse(status) >= 0)
		(*out)->status = (enum zone_status)zone_status_parse(status);
	return 0;
}

struct build {
	struct app *a;
	struct track_engine *te;
	struct engine *engine; /* being built */
	enum subject_type type;
	int rc;
};

/* Whether a stored subject with status is in the engine (core decides). */
static int subject_live(enum subject_type t, const char *status)
{
	int st;
	switch (t) {
	case SUBJECT_ZONE:
		st = zone_status_parse(status ? status : "");
		return st == ZONE_PROPOSED || st == ZONE_IN_FORCE;
	case SUBJECT_DEPLOYMENT:
		return deployment_status_parse(status) == DEPLOYMENT_ACTIVE;
	case SUBJECT_ACTIVITY:
		st = activity_status_parse(status);
		return st == ACTIVITY_NOTIFIED || st == ACTIVITY_ACTIVE;
	}
	return 0;
}

static int build_subject(void *ctx, json_t *obj)
{
	struct build *b = ctx;
	struct subject *s = NULL;
	struct tq_field_error fe = {{0}, {0}};
	const char *id = NULL, *party = NULL, *status = NULL;
	if (json_unpack(obj, "{s?s, s?s, s?s}", "id", &id, "declared_by", &party, "status", &status) ||
	    !subject_live(b->type, status))
		return 0;
	int rc = engines_subject(b->a, b->type, obj, id ? id : "", party ? party : "", 0, &s, &fe);
	if (rc == TQ_ENOMEM) {
		b->rc = rc;
		return -1;
	}
	if (rc) {
		/* Stored objects were validated on the way in; say so loudly, keep serving. */
		fprintf(stderr, "tansiqd: %s %s in track %s does not parse (%s: %s); left out of the engine\n",
			subject_type_name(b->type), id ? id : "?", b->te->id, fe.field, fe.message);
		return 0;
	}
	if ((rc = engine_upsert(b->engine, s))) {
		b->rc = rc;
		return -1;
	}
	return 0;
}

static int build_conflict(void *ctx, json_t *c)
{
	struct build *b = ctx;
	struct conflict state;
	if (conflict_from_json(c, &state))
		return 0;
	int settled = !strcmp(state.resolution, "consented") || !strcmp(state.resolution, "waived");
	if (state.status == CONFLICT_RESOLVED && !settled)
		return 0;
	if ((b->rc = cmap_add(&b->te->map, c, settled)))
		return -1;
	return 0;
}

/* (Re)builds a track's engine and conflict map from the store (under
 * app->lock: the committed store, or what the open shared transaction holds),
 * aside; readers see the old engine (stale: they take the lock) until the
 * new one takes its place. */
static int build(struct app *a, struct track_engine *te)
{
	struct engines *g = registry(a);
	struct track_settings settings;
	struct engine_margins m;
	json_t *track = NULL;
	struct build b = {a, te, NULL, SUBJECT_ZONE, 0};
	struct engine *old;
	int rc;

	set_stale(te);
	cmap_clear(&te->map);
	if ((rc = app_track(a, te->id, &track)) || (rc = app_track_settings(track, &settings)))
		goto done;
	margins_of(&settings, &m);
	if (!(b.engine = engine_new(g->geo, &m))) {
		rc = TQ_ENOMEM;
		goto done;
	}
	for (int t = SUBJECT_ZONE; t <= SUBJECT_ACTIVITY; t++) {
		b.type = (enum subject_type)t;
		if ((rc = store_obj_scan(a->store, te->id, subject_type_name((enum subject_type)t), NULL, 0, 0, build_subject, &b)) || (rc = b.rc))
			goto done;
	}
	if ((rc = store_obj_scan(a->store, te->id, "conflict", NULL, 0, 0, build_conflict, &b)) || (rc = b.rc))
		goto done;
	engine_commit_pending(b.engine); /* the store's state */
	engines_write_lock(te);
	old = te->engine;
	te->engine = b.engine;
	te->stale = 0;
	te->unsafe = group_current(a) != 0;
	engines_write_unlock(te);
	b.engine = old;
done:
	engine_free(b.engine);
	json_decref(track);
	return rc;
}

void engines_mark_stale(struct app *a, const char *track)
{
	struct engines *g = a->engines;
	for (size_t i = 0; g && i < g->n; i++)
		if (!strcmp(g->t[i]->id, track))
			set_stale(g->t[i]);
}

int engines_admit(struct app *a, const char *track, const struct subject *s, struct tq_field_error *err)
{
	struct track_engine *te;
	struct engine_view v;
	int rc = engines_get(a, track, &te);
	return rc ? rc : engine_admit_view(te->engine, engines_view(a, &v), s, err);
}

/* The app whose registry the calling thread holds for reading, if any. */
static _Thread_local struct app *tl_held;

void engines_done(struct app *a)
{
	if (tl_held != a)
		return;
	tl_held = NULL;
	pthread_rwlock_unlock(&((struct engines *)a->engines)->rw);
}

static struct track_engine *find(struct engines *g, const char *track)
{
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->t[i]->id, track))
			return g->t[i];
	return NULL;
}

/* A snapshot reader: the registry held for reading (engines_done) and an
 * engine that is built and holds committed state only; else APP_NEED_LOCK. */
static int reader_get(struct app *a, const char *track, struct track_engine **out)
{
	struct engines *g = a->engines; /* made by engines_load, before any request */
	struct track_engine *te;
	if (!g)
		return app_need_lock(a);
	if (tl_held != a) {
		pthread_rwlock_rdlock(&g->rw);
		tl_held = a;
	}
	te = find(g, track);
	if (!te || te->stale || te->unsafe || !te->engine || app_memory_behind(a)) {
		engines_done(a);
		return app_need_lock(a);
	}
	*out = te;
	return TQ_OK;
}

int engines_get(struct app *a, const char *track, struct track_engine **out)
{
	struct engines *g;
	struct track_engine *te = NULL;
	int rc;
	if (app_reading(a))
		return reader_get(a, track, out);
	if (!(g = registry(a)))
		return TQ_ENOMEM;
	if (!(te = find(g, track))) {
		if (strlen(track) >= sizeof te->id)
			return TQ_ENOTFOUND;
		if (!(te = calloc(1, sizeof *te)))
			return TQ_ENOMEM;
		snprintf(te->id, sizeof te->id, "%s", track);
		te->g = g;
		te->stale = 1;
		pthread_rwlock_wrlock(&g->rw);
		if (g->n == g->cap) {
			size_t cap = g->cap ? g->cap * 2 : 8;
			struct track_engine **n = realloc(g->t, cap * sizeof *n);
			if (!n) {
				pthread_rwlock_unlock(&g->rw);
				free(te);
				return TQ_ENOMEM;
			}
			g->t = n;
			g->cap = cap;
		}
		g->t[g->n++] = te;
		pthread_rwlock_unlock(&g->rw);
	}
	if ((te->stale || !te->engine) && (rc = build(a, te)))
		return rc;
	if (te->unsafe && !group_current(a)) {
		/* No shared transaction is open (under app->lock): what the engine
		 * was built from is committed, or it was marked stale. */
		engines_write_lock(te);
		te->unsafe = 0;
		engines_write_unlock(te);
	}
	*out = te;
	return 0;
}

static int load_track(void *ctx, json_t *track)
{
	struct track_engine *te;
	const char *id = NULL;
	return json_unpack(track, "{s:s}", "id", &id) ? 0 : engines_get(ctx, id, &te);
}

int engines_load(struct app *a)
{
	json_t *tracks = NULL, *t;
	size_t i;
	int rc;
	if (!registry(a)) /* before readers come: they never make it */
		return TQ_ENOMEM;
	rc = store_track_all(a->store, &tracks);
	if (rc)
		return rc;
	json_array_foreach(tracks, i, t) {
		if ((rc = load_track(a, t)))
			break;
	}
	json_decref(tracks);
	return rc;
}

void engines_free(struct app *a)
{
	struct engines *g = a->engines;
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++) {
		engine_free(g->t[i]->engine);
		cmap_clear(&g->t[i]->map);
		free(g->t[i]);
	}
	free(g->t);
	geo_ctx_free(g->geo);
	pthread_rwlock_destroy(&g->rw);
	free(g);
	a->engines = NULL;
}

/* -- guard: memory changed while a batch is built is rebuilt if the batch
 *    does not commit -- */

struct guard {
	struct track_engine *te;
	int committed;
};

/* At the COMMIT (under app->lock): the engine's pending changes are the
 * committed state now (those of every batch of the shared transaction; a
 * batch of it that failed marked the engine stale already). */
static void guard_commit(void *ctx)
{
	struct guard *g = ctx;
	g->committed = 1;
	engines_write_lock(g->te);
	if (g->te->engine)
		engine_commit_pending(g->te->engine);
	engines_write_unlock(g->te);
}

static void guard_end(void *ctx)
{
	struct guard *g = ctx;
	if (!g->committed)
		set_stale(g->te);
	free(g);
}

void engines_guard(struct commit *c, struct track_engine *te)
{
	struct guard *g = calloc(1, sizeof *g);
	if (!g) {
		set_stale(te); /* cannot tell commit from abort: rebuild either way */
		return;
	}
	g->te = te;
	commit_after(c, guard_commit, g, guard_end);
}

struct margins_ctx {
	struct app *a;
	char track[40];
	struct engine_margins m;
};

static void margins_apply(void *ctx)
{
	struct margins_ctx *mc = ctx;
	struct engines *g = mc->a->engines;
	for (size_t i = 0; g && i < g->n; i++)
		if (!strcmp(g->t[i]->id, mc->track) && g->t[i]->engine) {
			engines_write_lock(g->t[i]);
			engine_set_margins(g->t[i]->engine, &mc->m);
			engines_write_unlock(g->t[i]);
		}
}

void engines_track_changed(struct app *a, struct commit *c, const json_t *track)
{
	struct track_settings s;
	struct margins_ctx *mc;
	const char *id = NULL;
	if (!a->engines || json_unpack((json_t *)track, "{s:s}", "id", &id) || app_track_settings(track, &s) || !(mc = calloc(1, sizeof *mc)))
		return;
	mc->a = a;
	snprintf(mc->track, sizeof mc->track, "%s", id);
	margins_of(&s, &mc->m);
	commit_after(c, margins_apply, mc, free);
}
