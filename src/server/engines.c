/*
 * engines — see engines.h.
 */
#include "server/engines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/activity.h"
#include "core/conflict.h"
#include "core/deployment.h"

struct track_engine {
	char id[40];
	struct engine *engine;
	struct cmap map;
	int stale; /* rebuild from the store at next use */
};

struct engines {
	struct geo_ctx *geo;
	struct track_engine **t;
	size_t n, cap;
};

/* ---- registry ----------------------------------------------------------- */

static struct engines *registry(struct app *a)
{
	struct engines *g = a->engines;
	if (g)
		return g;
	if (!(g = calloc(1, sizeof *g)))
		return NULL;
	if (!(g->geo = geo_ctx_new())) {
		free(g);
		return NULL;
	}
	a->engines = g;
	return g;
}

struct geo_ctx *engines_geo(struct app *a)
{
	struct engines *g = registry(a);
	return g ? g->geo : NULL;
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
	if ((rc = engine_upsert(b->te->engine, s))) {
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

/* (Re)builds a track's engine and conflict map from the committed store. */
static int build(struct app *a, struct track_engine *te)
{
	struct engines *g = registry(a);
	struct track_settings settings;
	struct engine_margins m;
	json_t *track = NULL;
	struct build b = {a, te, SUBJECT_ZONE, 0};
	int rc;

	engine_free(te->engine);
	te->engine = NULL;
	cmap_clear(&te->map);
	te->stale = 1;
	if ((rc = app_track(a, te->id, &track)) || (rc = app_track_settings(track, &settings)))
		goto done;
	margins_of(&settings, &m);
	if (!(te->engine = engine_new(g->geo, &m))) {
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
	te->stale = 0;
done:
	json_decref(track);
	return rc;
}

void engines_mark_stale(struct app *a, const char *track)
{
	struct engines *g = a->engines;
	for (size_t i = 0; g && i < g->n; i++)
		if (!strcmp(g->t[i]->id, track))
			g->t[i]->stale = 1;
}

int engines_admit(struct app *a, const char *track, const struct subject *s, struct tq_field_error *err)
{
	struct track_engine *te;
	int rc = engines_get(a, track, &te);
	return rc ? rc : engine_admit(te->engine, s, err);
}

int engines_get(struct app *a, const char *track, struct track_engine **out)
{
	struct engines *g;
	struct track_engine *te = NULL;
	int rc;
	/* A writer changes engines in place while it builds its batch: a
	 * snapshot reader would see memory ahead of its snapshot. */
	if ((rc = app_need_lock(a)))
		return rc;
	if (!(g = registry(a)))
		return TQ_ENOMEM;
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->t[i]->id, track))
			te = g->t[i];
	if (!te) {
		if (strlen(track) >= sizeof te->id)
			return TQ_ENOTFOUND;
		if (g->n == g->cap) {
			size_t cap = g->cap ? g->cap * 2 : 8;
			struct track_engine **n = realloc(g->t, cap * sizeof *n);
			if (!n)
				return TQ_ENOMEM;
			g->t = n;
			g->cap = cap;
		}
		if (!(te = calloc(1, sizeof *te)))
			return TQ_ENOMEM;
		snprintf(te->id, sizeof te->id, "%s", track);
		te->stale = 1;
		g->t[g->n++] = te;
	}
	if ((te->stale || !te->engine) && (rc = build(a, te)))
		return rc;
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
	int rc = store_track_all(a->store, &tracks);
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
	free(g);
	a->engines = NULL;
}

/* -- guard: memory changed while a batch is built is rebuilt if the batch
 *    does not commit -- */

struct guard {
	struct track_engine *te;
	int committed;
};

static void guard_commit(void *ctx)
{
	((struct guard *)ctx)->committed = 1;
}

static void guard_end(void *ctx)
{
	struct guard *g = ctx;
	if (!g->committed)
		g->te->stale = 1;
	free(g);
}

void engines_guard(struct commit *c, struct track_engine *te)
{
	struct guard *g = calloc(1, sizeof *g);
	if (!g) {
		te->stale = 1; /* cannot tell commit from abort: rebuild either way */
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
		if (!strcmp(g->t[i]->id, mc->track) && g->t[i]->engine)
			engine_set_margins(g->t[i]->engine, &mc->m);
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
