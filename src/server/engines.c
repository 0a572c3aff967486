/*
 * engines — see engines.h. The conflict map of a track is an array of
 * references (id, key, subject ids) to its unresolved conflicts and to its
 * settled ones (consented or waived); lookups are linear scans, which is
 * cheap next to a geometry check while a track has hundreds of open
 * conflicts, not millions.
 */
#include "server/engines.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/limits.h"
#include "core/volume.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/input.h"

struct cref {
	char *id, *key;
	int limitation; /* limitation_exceeded: subs[0] is the zone */
	int settled;    /* consented or waived: never reopened */
	int seen;       /* scratch of engines_apply */
	char **subs;
	size_t nsubs;
};

struct track_engine {
	char id[40];
	struct engine *engine;
	struct cref *refs;
	size_t nrefs, cap;
	int stale; /* rebuild from the store at next use */
};

struct engines {
	struct geo_ctx *geo;
	struct track_engine **t;
	size_t n, cap;
};

static const char *const type_names[] = {"zone", "deployment", "activity"};

const char *engines_type_name(enum subject_type t)
{
	return type_names[t];
}

/* ---- conflict map ------------------------------------------------------- */

static void cref_release(struct cref *c)
{
	for (size_t i = 0; i < c->nsubs; i++)
		free(c->subs[i]);
	free(c->subs);
	free(c->id);
	free(c->key);
}

static void refs_clear(struct track_engine *te)
{
	for (size_t i = 0; i < te->nrefs; i++)
		cref_release(&te->refs[i]);
	free(te->refs);
	te->refs = NULL;
	te->nrefs = te->cap = 0;
}

static void refs_drop(struct track_engine *te, size_t i)
{
	cref_release(&te->refs[i]);
	te->refs[i] = te->refs[--te->nrefs];
}

/* Adds a reference for the stored conflict c. */
static int refs_add(struct track_engine *te, const json_t *c, int settled)
{
	const char *id = json_string_value(json_object_get(c, "id"));
	const char *key = json_string_value(json_object_get(c, "key"));
	const char *kind = json_string_value(json_object_get(c, "kind"));
	const json_t *subs = json_object_get(c, "subjects");
	struct cref *r;
	if (!id || !key || !kind || !json_is_array(subs))
		return TQ_EINTERNAL;
	if (te->nrefs == te->cap) {
		size_t cap = te->cap ? te->cap * 2 : 16;
		struct cref *n = realloc(te->refs, cap * sizeof *n);
		if (!n)
			return TQ_ENOMEM;
		te->refs = n;
		te->cap = cap;
	}
	r = &te->refs[te->nrefs];
	*r = (struct cref){0};
	r->limitation = strcmp(kind, "limitation_exceeded") == 0;
	r->settled = settled;
	if (!(r->id = strdup(id)) || !(r->key = strdup(key)) ||
	    !(r->subs = calloc(json_array_size(subs) + 1, sizeof *r->subs)))
		goto fail;
	for (size_t i = 0; i < json_array_size(subs); i++) {
		const char *sid = json_string_value(json_object_get(json_array_get(subs, i), "id"));
		if (!(r->subs[i] = strdup(sid ? sid : "")))
			goto fail;
		r->nsubs++;
	}
	te->nrefs++;
	return 0;
fail:
	cref_release(r);
	return TQ_ENOMEM;
}

static int cref_involves(const struct cref *c, const char *id)
{
	for (size_t i = 0; i < c->nsubs; i++)
		if (!strcmp(c->subs[i], id))
			return 1;
	return 0;
}

static struct cref *refs_by_key(struct track_engine *te, const char *key)
{
	for (size_t i = 0; i < te->nrefs; i++)
		if (!strcmp(te->refs[i].key, key))
			return &te->refs[i];
	return NULL;
}

/* engine_overlaps: the geometry of findings whose key has no conflict yet. */
static int want_unknown(void *ud, const char *key)
{
	return refs_by_key(ud, key) == NULL;
}

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
	const char *status = json_string_value(json_object_get(obj, "status"));
	int rc;
	if (!geo)
		return TQ_ENOMEM;
	if ((rc = subject_from_json(geo, t, obj, id, party, now, out, err)))
		return rc;
	if (t == SUBJECT_ZONE && status && zone_status_parse(status) >= 0)
		(*out)->status = (enum zone_status)zone_status_parse(status);
	return 0;
}

int engines_admit(struct app *a, const char *track, const struct subject *s, struct tq_field_error *err)
{
	struct track_engine *te;
	int rc = engines_get(a, track, &te);
	return rc ? rc : engine_admit(te->engine, s, err);
}

struct build {
	struct app *a;
	struct track_engine *te;
	enum subject_type type;
	int rc;
};

static int subject_live(enum subject_type t, const char *status)
{
	if (!status)
		return 0;
	switch (t) {
	case SUBJECT_ZONE:
		return !strcmp(status, "proposed") || !strcmp(status, "in_force");
	case SUBJECT_DEPLOYMENT:
		return !strcmp(status, "active");
	case SUBJECT_ACTIVITY:
		return !strcmp(status, "notified") || !strcmp(status, "active");
	}
	return 0;
}

static int build_subject(void *ctx, json_t *obj)
{
	struct build *b = ctx;
	struct subject *s = NULL;
	struct tq_field_error fe = {{0}, {0}};
	const char *id = json_string_value(json_object_get(obj, "id"));
	const char *party = json_string_value(json_object_get(obj, "declared_by"));
	if (!subject_live(b->type, json_string_value(json_object_get(obj, "status"))))
		return 0;
	int rc = engines_subject(b->a, b->type, obj, id ? id : "", party ? party : "", 0, &s, &fe);
	if (rc == TQ_ENOMEM) {
		b->rc = rc;
		return -1;
	}
	if (rc) {
		/* Stored objects were validated on the way in; say so loudly, keep serving. */
		fprintf(stderr, "tansiqd: %s %s in track %s does not parse (%s: %s); left out of the engine\n",
			engines_type_name(b->type), id ? id : "?", b->te->id, fe.field, fe.message);
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
	const char *status = json_string_value(json_object_get(c, "status"));
	const char *res = json_string_value(json_object_get(c, "resolution"));
	int settled = res && (!strcmp(res, "consented") || !strcmp(res, "waived"));
	if (!status || (strcmp(status, "open") && strcmp(status, "acknowledged") && !settled))
		return 0;
	if ((b->rc = refs_add(b->te, c, settled)))
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
	refs_clear(te);
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
		if ((rc = store_obj_scan(a->store, te->id, type_names[t], NULL, 0, 0, build_subject, &b)) || (rc = b.rc))
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

int engines_get(struct app *a, const char *track, struct track_engine **out)
{
	struct engines *g = registry(a);
	struct track_engine *te = NULL;
	if (!g)
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
	if (te->stale || !te->engine) {
		int rc = build(a, te);
		if (rc)
			return rc;
	}
	*out = te;
	return 0;
}

static int load_track(void *ctx, json_t *track)
{
	struct track_engine *te;
	const char *id = json_string_value(json_object_get(track, "id"));
	return id ? engines_get(ctx, id, &te) : 0;
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
		refs_clear(g->t[i]);
		free(g->t[i]);
	}
	free(g->t);
	geo_ctx_free(g->geo);
	free(g);
	a->engines = NULL;
}

/* -- transaction guard: memory changed inside a request is rebuilt if the
 *    request does not commit -- */

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

static void guard(struct app *a, struct track_engine *te)
{
	struct guard *g = calloc(1, sizeof *g);
	if (!g) {
		te->stale = 1; /* cannot tell commit from abort: rebuild either way */
		return;
	}
	g->te = te;
	app_after_commit(a, guard_commit, g, guard_end);
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

void engines_track_changed(struct app *a, const json_t *track)
{
	struct track_settings s;
	struct margins_ctx *mc;
	const char *id = json_string_value(json_object_get(track, "id"));
	if (!a->engines || !id || app_track_settings(track, &s) || !(mc = calloc(1, sizeof *mc)))
		return;
	mc->a = a;
	snprintf(mc->track, sizeof mc->track, "%s", id);
	margins_of(&s, &mc->m);
	app_after_commit(a, margins_apply, mc, free);
}

/* ---- conflicts ---------------------------------------------------------- */

int engines_conflict_save(struct app *a, const struct who *w, tq_time now, const json_t *track, const json_t *c,
			  const char *event)
{
	char audience[AUTH_AUDIENCE_MAX];
	const char *tid = json_string_value(json_object_get(track, "id"));
	int rc = store_obj_put(a->store,
			       &(struct store_obj_meta){json_string_value(json_object_get(c, "id")), tid, "conflict",
							NULL, json_string_value(json_object_get(c, "status")), 0},
			       c);
	if (rc)
		return rc;
	auth_audience(track, "conflict", c, 0, audience, sizeof audience);
	return app_emit(a, w, now, event, tid, audience, c, NULL);
}

static int cmp_json_str(const void *pa, const void *pb)
{
	return strcmp(json_string_value(*(json_t *const *)pa), json_string_value(*(json_t *const *)pb));
}

int engines_conflict_parties(struct app *a, const char *track, json_t *c)
{
	const char *kind = json_string_value(json_object_get(c, "kind"));
	json_t *first = json_array_get(json_object_get(c, "subjects"), 0), *zone = NULL, *parties, *p;
	const char *zid = json_string_value(json_object_get(first, "id"));
	size_t i, n;
	int rc;
	if (!kind || (strcmp(kind, "demilitarized_breach") && strcmp(kind, "limitation_exceeded")) || !zid)
		return 0;
	if ((rc = store_obj_get(a->store, track, "zone", zid, &zone)))
		return rc == TQ_ENOTFOUND ? 0 : rc;
	parties = json_object_get(c, "parties");
	json_array_foreach(json_object_get(zone, "accepted_by"), i, p) {
		int known = 0;
		for (size_t j = 0; j < json_array_size(parties); j++)
			known |= json_equal(json_array_get(parties, j), p);
		if (!known && json_is_string(p))
			json_array_append(parties, p);
	}
	json_decref(zone);
	n = json_array_size(parties);
	json_t **v = malloc((n ? n : 1) * sizeof *v);
	if (!v)
		return TQ_ENOMEM;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(parties, i));
	qsort(v, n, sizeof *v, cmp_json_str);
	json_array_clear(parties);
	for (i = 0; i < n; i++)
		json_array_append_new(parties, v[i]);
	free(v);
	return 0;
}

static int conflict_open(struct app *a, struct track_engine *te, const struct engines_change *ch,
			 const struct finding *f, json_t **out)
{
	char id[APP_ID_BUFSZ];
	json_t *c = finding_to_json(f);
	int rc = TQ_ENOMEM;
	*out = NULL;
	if (!c)
		return TQ_ENOMEM;
	app_new_id("cfl", ch->now, id);
	if (json_object_set_new(c, "id", json_string(id)) ||
	    json_object_set_new(c, "track", json_string(te->id)) ||
	    json_object_set_new(c, "status", json_string("open")) || json_object_set_new(c, "acks", json_array()) ||
	    json_object_set_new(c, "key", json_string(f->key)) ||
	    json_object_set_new(c, "created_at", app_time_json(ch->now)) ||
	    json_object_set_new(c, "created_by", app_who_json(ch->who)) ||
	    json_object_set_new(c, "version", json_integer(1)))
		goto fail;
	if ((rc = engines_conflict_parties(a, te->id, c)) ||
	    (rc = engines_conflict_save(a, ch->who, ch->now, ch->track, c, "conflict.opened")) ||
	    (rc = refs_add(te, c, 0)))
		goto fail;
	*out = c;
	return 0;
fail:
	json_decref(c);
	return rc;
}

static int conflict_resolve(struct app *a, struct track_engine *te, const struct engines_change *ch,
			    const char *id, const char *why)
{
	json_t *c = NULL;
	int rc = store_obj_get(a->store, te->id, "conflict", id, &c);
	if (rc)
		return rc == TQ_ENOTFOUND ? TQ_EINTERNAL : rc;
	json_object_set_new(c, "status", json_string("resolved"));
	json_object_set_new(c, "resolution", json_string(why));
	json_object_set_new(c, "resolved_at", app_time_json(ch->now));
	json_object_set_new(c, "version", json_integer(json_integer_value(json_object_get(c, "version")) + 1));
	json_object_set_new(c, "updated_at", app_time_json(ch->now));
	rc = engines_conflict_save(a, ch->who, ch->now, ch->track, c, "conflict.resolved");
	json_decref(c);
	return rc;
}

/* A growable set of strings (zone ids) and of findings (deduplicated by key). */
struct strset {
	char **v;
	size_t n, cap;
};

static int strset_add(struct strset *s, const char *x)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], x))
			return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		char **n = realloc(s->v, cap * sizeof *n);
		if (!n)
			return TQ_ENOMEM;
		s->v = n;
		s->cap = cap;
	}
	if (!(s->v[s->n] = strdup(x)))
		return TQ_ENOMEM;
	s->n++;
	return 0;
}

static int strset_has(const struct strset *s, const char *x)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], x))
			return 1;
	return 0;
}

static void strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* Whether every subject of c other than `id` is still in the engine. */
static int others_live(struct track_engine *te, const struct cref *c, const char *id)
{
	for (size_t i = 0; i < c->nsubs; i++)
		if (strcmp(c->subs[i], id) && !engine_get(te->engine, c->subs[i]))
			return 0;
	return 1;
}

static int cmp_conflict_id(const void *pa, const void *pb)
{
	const json_t *a = *(const json_t *const *)pa, *b = *(const json_t *const *)pb;
	return strcmp(json_string_value(json_object_get(a, "id")), json_string_value(json_object_get(b, "id")));
}

int engines_conflicts_of(struct app *a, struct track_engine *te, const char *id, json_t **out)
{
	json_t *arr = json_array(), **v = NULL;
	size_t n = 0;
	int rc = 0;
	if (!arr || (te->nrefs && !(v = calloc(te->nrefs, sizeof *v)))) {
		rc = TQ_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < te->nrefs; i++) {
		if (te->refs[i].settled || !cref_involves(&te->refs[i], id))
			continue;
		if ((rc = store_obj_get(a->store, te->id, "conflict", te->refs[i].id, &v[n])))
			goto done;
		n++;
	}
	if (n)
		qsort(v, n, sizeof *v, cmp_conflict_id);
	for (size_t i = 0; i < n; i++)
		json_array_append(arr, v[i]);
done:
	for (size_t i = 0; i < n; i++)
		json_decref(v[i]);
	free(v);
	if (rc) {
		json_decref(arr);
		arr = NULL;
	}
	*out = arr;
	return rc;
}

int engines_apply(struct app *a, struct track_engine *te, const struct engines_change *ch, json_t **conflicts)
{
	const char *id = json_string_value(json_object_get(ch->obj, "id"));
	const char *party = json_string_value(json_object_get(ch->obj, "declared_by"));
	struct finding_list *lists = NULL;
	size_t nlists = 0;
	const struct finding **fs = NULL;
	size_t nf = 0, fcap = 0;
	struct strset zones = {0};
	struct subject *s = NULL;
	struct tq_field_error fe = {{0}, {0}};
	int rc;

	if (conflicts)
		*conflicts = NULL;
	if (!id || !party)
		return TQ_EINTERNAL;
	guard(a, te);

	/* 1. The engine takes the new state at once, so that the re-checks below see it. */
	if (ch->live) {
		if ((rc = engines_subject(a, ch->type, ch->obj, id, party, ch->now, &s, &fe))) {
			fprintf(stderr, "tansiqd: stored %s %s does not parse: %s: %s\n", engines_type_name(ch->type),
				id, fe.field, fe.message);
			return rc == TQ_ENOMEM ? rc : TQ_EINTERNAL;
		}
		if ((rc = engine_upsert(te->engine, s)))
			return rc;
	} else if ((rc = engine_remove(te->engine, id)) && rc != TQ_ENOTFOUND) {
		return rc;
	}

	/* 2. Findings: the subject's own, then every run of the limitation zones
	 *    a deployment was or is counted in (runs split and merge). */
	const struct subject *me = ch->live ? engine_get(te->engine, id) : NULL;
	if (!(lists = calloc(1, sizeof *lists))) {
		rc = TQ_ENOMEM;
		goto fail;
	}
	nlists = 1;
	finding_list_init(&lists[0]);
	/* Step 3 keeps a known key's stored conflict as it is: only new findings
	 * need their overlap geometry (the costly part of a busy check). */
	const struct engine_overlaps unknown = {want_unknown, te};
	if (me && (rc = engine_check_some(te->engine, me, &unknown, &lists[0])))
		goto fail;
	if (ch->type == SUBJECT_DEPLOYMENT) {
		for (size_t i = 0; i < te->nrefs; i++)
			if (!te->refs[i].settled && te->refs[i].limitation && cref_involves(&te->refs[i], id) &&
			    (rc = strset_add(&zones, te->refs[i].subs[0])))
				goto fail;
		for (size_t i = 0; i < lists[0].n; i++)
			if (lists[0].items[i].kind == FINDING_LIMITATION_EXCEEDED &&
			    (rc = strset_add(&zones, lists[0].items[i].subjects[0].id)))
				goto fail;
		if (zones.n) {
			struct finding_list *n = realloc(lists, (1 + zones.n) * sizeof *n);
			if (!n) {
				rc = TQ_ENOMEM;
				goto fail;
			}
			lists = n;
			for (size_t z = 0; z < zones.n; z++) {
				const struct subject *zs = engine_get(te->engine, zones.v[z]);
				finding_list_init(&lists[nlists++]);
				if (zs && zs->status == ZONE_IN_FORCE &&
				    (rc = engine_check_some(te->engine, zs, &unknown, &lists[nlists - 1])))
					goto fail;
			}
		}
	}
	for (size_t l = 0; l < nlists; l++) {
		for (size_t i = 0; i < lists[l].n; i++) {
			const struct finding *f = &lists[l].items[i];
			int dup = 0;
			if (l > 0 && f->kind != FINDING_LIMITATION_EXCEEDED)
				continue;
			for (size_t j = 0; j < nf && !dup; j++)
				dup = !strcmp(fs[j]->key, f->key);
			if (dup)
				continue;
			if (nf == fcap) {
				size_t cap = fcap ? fcap * 2 : 16;
				const struct finding **n = realloc(fs, cap * sizeof *n);
				if (!n) {
					rc = TQ_ENOMEM;
					goto fail;
				}
				fs = n;
				fcap = cap;
			}
			fs[nf++] = f;
		}
	}

	/* 3. Match by key: known keys stay as they are (settled ones too). */
	for (size_t i = 0; i < te->nrefs; i++)
		te->refs[i].seen = 0;
	for (size_t i = 0; i < nf; i++) {
		struct cref *c = refs_by_key(te, fs[i]->key);
		if (c) {
			c->seen = 1;
			continue;
		}
		json_t *opened = NULL;
		if ((rc = conflict_open(a, te, ch, fs[i], &opened)))
			goto fail;
		te->refs[te->nrefs - 1].seen = 1;
		json_decref(opened);
	}

	/* 4. Unresolved conflicts in scope whose key is gone resolve. */
	for (size_t i = 0; i < te->nrefs;) {
		struct cref *c = &te->refs[i];
		int mine = cref_involves(c, id);
		int scope = mine || (c->limitation && strset_has(&zones, c->subs[0]));
		if (c->settled) {
			/* a settled conflict of a subject that is gone can never match again */
			if (mine && !ch->live)
				refs_drop(te, i);
			else
				i++;
			continue;
		}
		if (!scope || c->seen || (ch->live && !others_live(te, c, id))) {
			i++;
			continue;
		}
		if ((rc = conflict_resolve(a, te, ch, c->id, ch->live || !mine ? "modified" : ch->why)))
			goto fail;
		refs_drop(te, i);
	}
	if (conflicts && (rc = engines_conflicts_of(a, te, id, conflicts)))
		goto fail;
	rc = 0;
fail:
	for (size_t l = 0; l < nlists; l++)
		finding_list_clear(&lists[l]);
	free(lists);
	free(fs);
	strset_free(&zones);
	return rc;
}

int engines_retire(struct app *a, struct track_engine *te, const char *id)
{
	guard(a, te);
	int rc = engine_remove(te->engine, id);
	return rc == TQ_ENOTFOUND ? 0 : rc;
}

int engines_settle(struct app *a, struct track_engine *te, const char *conflict_id)
{
	guard(a, te);
	for (size_t i = 0; i < te->nrefs; i++)
		if (!strcmp(te->refs[i].id, conflict_id))
			te->refs[i].settled = 1;
	return 0;
}

/* ---- helpers for the handlers ------------------------------------------- */

int engines_obj_save(struct app *a, const struct who *w, tq_time now, const json_t *track, enum subject_type t,
		     const json_t *obj, const char *event)
{
	char audience[AUTH_AUDIENCE_MAX];
	const char *tid = json_string_value(json_object_get(track, "id"));
	int rc = store_obj_put(a->store,
			       &(struct store_obj_meta){json_string_value(json_object_get(obj, "id")), tid,
							type_names[t],
							json_string_value(json_object_get(obj, "declared_by")),
							json_string_value(json_object_get(obj, "status")), 0},
			       obj);
	if (rc)
		return rc;
	auth_audience(track, type_names[t], obj, 0, audience, sizeof audience);
	return app_emit(a, w, now, event, tid, audience, obj, NULL);
}

int engines_obj_answer(struct req *r, const char *role, json_t *obj)
{
	struct track_engine *te;
	json_t *list = NULL;
	int rc;
	if (auth_sees(role, r->who.party, "conflict", NULL)) {
		if ((rc = engines_get(r->app, r->param[0], &te)) ||
		    (rc = engines_conflicts_of(r->app, te, r->param[1], &list))) {
			json_decref(obj);
			return req_fail(r, rc, "the conflict engine is unavailable");
		}
		json_object_set_new(obj, "conflicts", list);
	}
	req_json(r, 200, obj);
	return 0;
}

int engines_obj_load(struct req *r, const char *role, enum subject_type t, json_t **out)
{
	return auth_object(r, role, type_names[t], r->param[1], type_names[t], out);
}

static void window_names(enum subject_type t, const char **w, const char **from, const char **until)
{
	if (t == SUBJECT_ACTIVITY)
		*w = "window", *from = "start", *until = "end";
	else
		*w = "valid", *from = "from", *until = "until";
}

int engines_obj_at(const json_t *obj, enum subject_type t, tq_time at)
{
	const char *w, *kf, *ku;
	tq_time from = TQ_TIME_MIN, until = TQ_TIME_MAX;
	window_names(t, &w, &kf, &ku);
	const json_t *win = json_object_get(obj, w);
	const char *sf = json_string_value(json_object_get(win, kf));
	const char *su = json_string_value(json_object_get(win, ku));
	if (sf && tqtime_parse(sf, &from))
		from = TQ_TIME_MIN;
	if (su && tqtime_parse(su, &until))
		until = TQ_TIME_MAX;
	return from <= at && at < until;
}

/* Grows bb over every position of a GeoJSON coordinates tree. */
static void coords_bbox(const json_t *c, double bb[4], int depth)
{
	size_t i;
	const json_t *x;
	if (depth > 4 || !json_is_array(c))
		return;
	if (json_array_size(c) >= 2 && json_is_number(json_array_get(c, 0))) {
		double lon = json_number_value(json_array_get(c, 0)), lat = json_number_value(json_array_get(c, 1));
		bb[0] = fmin(bb[0], lon), bb[1] = fmin(bb[1], lat);
		bb[2] = fmax(bb[2], lon), bb[3] = fmax(bb[3], lat);
		return;
	}
	json_array_foreach(c, i, x) coords_bbox(x, bb, depth + 1);
}

int engines_obj_in_bbox(const json_t *obj, const double bbox[4])
{
	double bb[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY}, grow = 0;
	const json_t *g = json_object_get(obj, "geometry");
	coords_bbox(json_object_get(g, "coordinates"), bb, 0);
	if (!(bb[0] <= bb[2]))
		return 0;
	if (json_is_number(json_object_get(obj, "radius_m")))
		grow = json_number_value(json_object_get(obj, "radius_m"));
	if (json_is_number(json_object_get(obj, "width_m")))
		grow = json_number_value(json_object_get(obj, "width_m")) / 2;
	if (grow > 0) {
		double dlon, dlat;
		geo_metres_to_degrees(grow, bb[1], bb[3], &dlon, &dlat);
		bb[0] -= dlon, bb[2] += dlon, bb[1] -= dlat, bb[3] += dlat;
	}
	return volume_bbox_meet(bb, bbox);
}

int engines_query_where(struct req *r, double bbox[4], int *has_bbox, tq_time *at, int *has_at)
{
	const char *b = req_query(r, "bbox"), *t = req_query(r, "at");
	*has_bbox = *has_at = 0;
	if (t) {
		if (tqtime_parse(t, at)) {
			struct tq_field_error fe = {"at", "must be an RFC 3339 time such as 2026-01-06T09:00:00Z"};
			return req_fail_field(r, TQ_EINVALID, &fe);
		}
		*has_at = 1;
	}
	if (b) {
		const char *p = b;
		char *end;
		int ok = 1;
		for (int i = 0; i < 4 && ok; i++) {
			bbox[i] = strtod(p, &end);
			ok = end != p && isfinite(bbox[i]) && (i == 3 ? *end == '\0' : *end == ',');
			p = end + 1;
		}
		ok = ok && bbox[0] <= bbox[2] && bbox[1] <= bbox[3] && bbox[0] >= -180 && bbox[2] <= 180 &&
		     bbox[1] >= -90 && bbox[3] <= 90;
		if (!ok) {
			struct tq_field_error fe = {"bbox", "must be minlon,minlat,maxlon,maxlat within lon [-180,180], "
							    "lat [-90,90], min <= max"};
			return req_fail_field(r, TQ_EINVALID, &fe);
		}
		*has_bbox = 1;
	}
	return 0;
}

struct list_ctx {
	struct req *r;
	enum subject_type t;
	const char *role, *status, *kind;
	double bbox[4];
	int has_bbox, has_at;
	tq_time at;
	json_t *items;
};

static int list_visit(void *ctx, json_t *o)
{
	struct list_ctx *l = ctx;
	const char *status = json_string_value(json_object_get(o, "status"));
	const char *kind = json_string_value(json_object_get(o, "kind"));
	if (!auth_sees(l->role, l->r->who.party, type_names[l->t], o) ||
	    (l->status && (!status || strcmp(status, l->status))) || (l->kind && (!kind || strcmp(kind, l->kind))) ||
	    (l->has_at && !engines_obj_at(o, l->t, l->at)) || (l->has_bbox && !engines_obj_in_bbox(o, l->bbox)))
		return 0;
	json_array_append(l->items, o);
	return 0;
}

static int in_list(const char *const *names, const char *s)
{
	for (; *names; names++)
		if (!strcmp(*names, s))
			return 1;
	return 0;
}

int engines_obj_list(struct req *r, enum subject_type t, const char *const *statuses)
{
	static const char *const zone_kinds[] = {"demilitarized", "limitation", "influence", "base",
						 "protected_site", "restricted_airspace", NULL};
	static const char *const activity_kinds[] = {"air_sortie", "strike", "uav", "ground_movement",
						     "naval", "exercise", NULL};
	json_t *track = NULL, *probe = NULL;
	struct list_ctx l = {.r = r, .t = t};
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &l.role)))
		return rc;
	/* The caller sees the track but can never see this type in it: 403, not
	 * an empty list that would read as "there are none". */
	probe = json_pack("{s:s}", "status", "in_force");
	if (!auth_sees(l.role, r->who.party, type_names[t], probe)) {
		rc = req_fail(r, TQ_EFORBIDDEN, "a %s may not read %ss", l.role, type_names[t]);
		goto done;
	}
	l.status = req_query(r, "status");
	l.kind = req_query(r, "kind");
	if (l.status && !in_list(statuses, l.status)) {
		struct tq_field_error fe = {"status", "unknown status"};
		rc = req_fail_field(r, TQ_EINVALID, &fe);
		goto done;
	}
	if (l.kind && (t == SUBJECT_DEPLOYMENT ||
		       !in_list(t == SUBJECT_ZONE ? zone_kinds : activity_kinds, l.kind))) {
		struct tq_field_error fe = {"kind", "unknown kind"};
		rc = req_fail_field(r, TQ_EINVALID, &fe);
		goto done;
	}
	if ((rc = engines_query_where(r, l.bbox, &l.has_bbox, &l.at, &l.has_at)))
		goto done;
	l.items = json_array();
	if ((rc = store_obj_scan(r->app->store, r->param[0], type_names[t], NULL, 0, 0, list_visit, &l))) {
		json_decref(l.items);
		rc = req_fail(r, rc, "store failure");
		goto done;
	}
	rc = out_page(r, l.items, "id");
done:
	json_decref(probe);
	json_decref(track);
	return rc;
}

static json_t *time_or_null(tq_time t)
{
	return (t == TQ_TIME_MIN || t == TQ_TIME_MAX) ? NULL : app_time_json(t);
}

void engines_normalize(json_t *obj, const struct subject *s)
{
	const char *w, *kf, *ku;
	window_names(s->type, &w, &kf, &ku);
	json_t *win = json_object_get(obj, w);
	json_t *from = time_or_null(s->start), *until = time_or_null(s->end);
	if (!json_is_object(win) && (from || until)) {
		json_object_set_new(obj, w, json_object());
		win = json_object_get(obj, w);
	}
	if (json_is_object(win)) {
		if (from)
			json_object_set_new(win, kf, from);
		else
			json_object_del(win, kf);
		if (until)
			json_object_set_new(win, ku, until);
		else
			json_object_del(win, ku);
	}
}

int engines_check_owner(struct req *r, const json_t *track, const char *owner)
{
	const char *role = app_member_role(track, owner);
	struct tq_field_error fe = {"owner", ""};
	if (!role)
		TQ_FIELD_ERROR(&fe, "owner", "party '%s' is not a member of this track", owner);
	else if (strcmp(role, "principal"))
		TQ_FIELD_ERROR(&fe, "owner", "party '%s' is a %s here; zones are owned by principals", owner, role);
	else
		return 0;
	return req_fail_field(r, TQ_EINVALID, &fe);
}
