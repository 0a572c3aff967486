/*
 * reconcile — see reconcile.h.
 */
#include "server/reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/conflict.h"
#include "server/auth.h"

/* engine_overlaps: the geometry of findings whose key has no conflict yet. */
static int want_unknown(void *ud, const char *key)
{
	return cmap_by_key(ud, key) == NULL;
}

int reconcile_conflict_save(struct commit *c, const json_t *track, json_t *conflict, const char *event)
{
	char audience[AUTH_AUDIENCE_MAX];
	struct store_obj_meta m = {.type = "conflict"};
	if (json_unpack(conflict, "{s:s, s:s}", "id", &m.id, "status", &m.status) ||
	    json_unpack((json_t *)track, "{s:s}", "id", &m.track))
		return TQ_EINTERNAL;
	int rc = auth_audience(track, "conflict", NULL, conflict, 0, audience, sizeof audience);
	return rc ? rc : commit_record(c, &m, conflict, event, audience);
}

static int cmp_json_str(const void *pa, const void *pb)
{
	return strcmp(json_string_value(*(json_t *const *)pa), json_string_value(*(json_t *const *)pb));
}

int reconcile_conflict_parties(struct app *a, struct commit *batch, const char *track, json_t *c)
{
	const char *kind = NULL, *zid = NULL;
	json_t *zone = NULL, *parties = NULL, *accepted = NULL, *p;
	size_t i, n;
	int rc;
	if (json_unpack(c, "{s:s, s:o, s:[{s:s}]}", "kind", &kind, "parties", &parties, "subjects", "id", &zid) ||
	    (strcmp(kind, "demilitarized_breach") && strcmp(kind, "limitation_exceeded")))
		return 0;
	rc = batch ? commit_get(batch, track, "zone", zid, &zone) : store_obj_get(a->store, track, "zone", zid, &zone);
	if (rc)
		return rc == TQ_ENOTFOUND ? 0 : rc;
	if (json_unpack(zone, "{s?o}", "accepted_by", &accepted))
		accepted = NULL;
	json_array_foreach(accepted, i, p) {
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

static int conflict_new(struct commit *batch, struct track_engine *te, const struct reconcile_change *ch,
			const struct finding *f)
{
	char id[APP_ID_BUFSZ];
	struct conflict state = {0};
	struct change change;
	json_t *c = finding_to_json(f);
	int rc = TQ_ENOMEM;
	if (!c)
		return TQ_ENOMEM;
	app_new_id("cfl", commit_now(batch), id);
	if ((rc = conflict_open(&state, &change)) || (rc = conflict_to_json(&state, c)))
		goto fail;
	rc = TQ_ENOMEM;
	if (json_object_set_new(c, "id", json_string(id)) ||
	    json_object_set_new(c, "track", json_string(engines_track_id(te))) ||
	    json_object_set_new(c, "key", json_string(f->key)) ||
	    json_object_set_new(c, "created_at", app_time_json(commit_now(batch))) ||
	    json_object_set_new(c, "created_by", app_who_json(commit_actor(batch))))
		goto fail;
	if ((rc = reconcile_conflict_parties(commit_app(batch), batch, engines_track_id(te), c)) ||
	    (rc = reconcile_conflict_save(batch, ch->track, c, change.event)) ||
	    (rc = cmap_add(engines_map(te), c, 0)))
		goto fail;
	rc = 0;
fail:
	json_decref(c);
	return rc;
}

static int conflict_resolve(struct commit *batch, struct track_engine *te, const struct reconcile_change *ch,
			    const char *id, const char *why)
{
	struct conflict state;
	struct change change;
	json_t *c = NULL;
	int rc = commit_get(batch, engines_track_id(te), "conflict", id, &c);
	if (rc)
		return rc == TQ_ENOTFOUND ? TQ_EINTERNAL : rc;
	if ((rc = conflict_from_json(c, &state)) == TQ_OK && (rc = conflict_lapse(&state, why, commit_now(batch), &change)) == TQ_OK &&
	    (rc = conflict_to_json(&state, c)) == TQ_OK)
		rc = reconcile_conflict_save(batch, ch->track, c, change.event);
	json_decref(c);
	return rc == TQ_EINVALID ? TQ_EINTERNAL : rc;
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
static int others_live(struct track_engine *te, const struct cmap_ref *c, const char *id)
{
	for (size_t i = 0; i < c->nsubs; i++)
		if (strcmp(c->subs[i], id) && !engine_get(engines_engine(te), c->subs[i]))
			return 0;
	return 1;
}

static int cmp_conflict_id(const void *pa, const void *pb)
{
	const json_t *a = *(const json_t *const *)pa, *b = *(const json_t *const *)pb;
	return strcmp(json_string_value(json_object_get(a, "id")), json_string_value(json_object_get(b, "id")));
}

int reconcile_conflicts_of(struct app *a, struct commit *batch, struct track_engine *te, const char *id,
			   json_t **out)
{
	struct cmap *m = engines_map(te);
	const char *tid = engines_track_id(te);
	json_t *arr = json_array(), **v = NULL;
	size_t n = 0;
	int rc = 0;
	if (!arr || (m->n && !(v = calloc(m->n, sizeof *v)))) {
		rc = TQ_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < m->n; i++) {
		if (m->refs[i].settled || !cmap_involves(&m->refs[i], id))
			continue;
		rc = batch ? commit_get(batch, tid, "conflict", m->refs[i].id, &v[n])
			   : store_obj_get(a->store, tid, "conflict", m->refs[i].id, &v[n]);
		if (rc)
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

/* reconcile_conflicts_stored: unresolved conflicts of one subject, in id order (the scan's). */
struct stored_of {
	const char *id;
	json_t *arr;
};

static int stored_visit(void *ctx, json_t *c)
{
	struct stored_of *so = ctx;
	const char *status = NULL;
	json_t *subs = NULL, *sub;
	size_t i;
	if (json_unpack(c, "{s:s, s:o}", "status", &status, "subjects", &subs) ||
	    conflict_status_parse(status) == CONFLICT_RESOLVED || conflict_status_parse(status) < 0)
		return 0;
	json_array_foreach(subs, i, sub) {
		const char *sid = NULL;
		if (!json_unpack(sub, "{s:s}", "id", &sid) && !strcmp(sid, so->id))
			return json_array_append(so->arr, c) ? -1 : 0;
	}
	return 0;
}

int reconcile_conflicts_stored(struct app *a, const char *track, const char *id, json_t **out)
{
	struct stored_of so = {id, json_array()};
	int rc = so.arr ? store_obj_scan(a->store, track, "conflict", NULL, 0, 0, stored_visit, &so) : TQ_ENOMEM;
	if (rc) {
		json_decref(so.arr);
		so.arr = NULL;
	}
	*out = so.arr;
	return rc;
}

/* The engine takes the change's new state at once (pending until the
 * COMMIT), so that re-checks see it; readers are kept out only while the
 * index changes (engines.h). */
static int engine_take(struct commit *batch, struct track_engine *te, const struct reconcile_change *ch)
{
	struct engine *e = engines_engine(te);
	struct subject *s = ch->subject;
	struct tq_field_error fe = {{0}, {0}};
	int rc;
	if (ch->index != CHANGE_INDEX_UPSERT) {
		subject_free(engines_geo(commit_app(batch)), s);
		engines_write_lock(te);
		rc = engine_remove(e, ch->id);
		engines_write_unlock(te);
		return rc == TQ_ENOTFOUND ? 0 : rc;
	}
	if (!s && ch->type == SUBJECT_ZONE) {
		const char *status = "";
		int st = json_unpack((json_t *)ch->obj, "{s:s}", "status", &status) ? -1 : zone_status_parse(status);
		if (st >= 0) {
			engines_write_lock(te);
			rc = engine_set_zone_status(e, ch->id, (enum zone_status)st);
			engines_write_unlock(te);
			if (rc == TQ_OK)
				return 0;
			if (rc != TQ_ENOTFOUND)
				return rc;
		}
	}
	if (!s && engine_get(e, ch->id) && ch->type != SUBJECT_ZONE)
		return 0; /* unchanged footprint */
	if (!s && (rc = engines_subject(commit_app(batch), ch->type, ch->obj, ch->id, ch->party, commit_now(batch), &s,
					&fe))) {
		/* only when memory was rebuilt from a store that lacks the subject */
		fprintf(stderr, "tansiqd: stored %s %s does not parse: %s: %s\n", subject_type_name(ch->type), ch->id,
			fe.field, fe.message);
		return rc == TQ_ENOMEM ? rc : TQ_EINTERNAL;
	}
	engines_write_lock(te);
	rc = engine_upsert(e, s);
	engines_write_unlock(te);
	return rc;
}

int reconcile_apply(struct commit *batch, struct track_engine *te, const struct reconcile_change *ch,
		    json_t **conflicts)
{
	const char *id = ch->id;
	struct engine *engine = engines_engine(te);
	struct cmap *map = engines_map(te);
	int live = ch->index == CHANGE_INDEX_UPSERT;
	struct finding_list *lists = NULL;
	size_t nlists = 0;
	const struct finding **fs = NULL;
	size_t nf = 0, fcap = 0;
	struct strset zones = {0};
	int rc;

	if (conflicts)
		*conflicts = NULL;
	if (!id || !ch->party) {
		subject_free(engines_geo(commit_app(batch)), ch->subject);
		return TQ_EINTERNAL;
	}
	engines_guard(batch, te);

	/* 1. The engine takes the new state (or loses the subject). */
	if ((rc = engine_take(batch, te, ch)))
		return rc;

	/* 2. Findings: the subject's own, then every run of the limitation zones
	 *    a deployment was or is counted in (runs split and merge). */
	const struct subject *me = live ? engine_get(engine, id) : NULL;
	if (!(lists = calloc(1, sizeof *lists))) {
		rc = TQ_ENOMEM;
		goto fail;
	}
	nlists = 1;
	finding_list_init(&lists[0]);
	/* Step 3 keeps a known key's stored conflict as it is: only new findings
	 * need their overlap geometry (the costly part of a busy check). */
	const struct engine_overlaps unknown = {want_unknown, map};
	if (me && (rc = engine_check_some(engine, me, &unknown, &lists[0])))
		goto fail;
	if (ch->type == SUBJECT_DEPLOYMENT) {
		for (size_t i = 0; i < map->n; i++)
			if (!map->refs[i].settled && map->refs[i].limitation && cmap_involves(&map->refs[i], id) &&
			    (rc = strset_add(&zones, map->refs[i].subs[0])))
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
				const struct subject *zs = engine_get(engine, zones.v[z]);
				finding_list_init(&lists[nlists++]);
				if (zs && zs->status == ZONE_IN_FORCE &&
				    (rc = engine_check_some(engine, zs, &unknown, &lists[nlists - 1])))
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
	for (size_t i = 0; i < map->n; i++)
		map->refs[i].seen = 0;
	for (size_t i = 0; i < nf; i++) {
		struct cmap_ref *c = cmap_by_key(map, fs[i]->key);
		if (c) {
			c->seen = 1;
			continue;
		}
		if ((rc = conflict_new(batch, te, ch, fs[i])))
			goto fail;
		map->refs[map->n - 1].seen = 1;
	}

	/* 4. Unresolved conflicts in scope whose key is gone resolve. */
	for (size_t i = 0; i < map->n;) {
		struct cmap_ref *c = &map->refs[i];
		int mine = cmap_involves(c, id);
		int scope = mine || (c->limitation && strset_has(&zones, c->subs[0]));
		if (c->settled) {
			/* a settled conflict of a subject that is gone can never match again */
			if (mine && !live)
				cmap_drop(map, i);
			else
				i++;
			continue;
		}
		if (!scope || c->seen || (live && !others_live(te, c, id))) {
			i++;
			continue;
		}
		if ((rc = conflict_resolve(batch, te, ch, c->id, live || !mine ? "modified" : ch->why)))
			goto fail;
		cmap_drop(map, i);
	}
	if (conflicts && (rc = reconcile_conflicts_of(commit_app(batch), batch, te, id, conflicts)))
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

int reconcile_retire(struct commit *c, struct track_engine *te, const char *id)
{
	engines_guard(c, te);
	engines_write_lock(te);
	int rc = engine_remove(engines_engine(te), id);
	engines_write_unlock(te);
	return rc == TQ_ENOTFOUND ? 0 : rc;
}

int reconcile_settle(struct commit *c, struct track_engine *te, const char *conflict_id)
{
	struct cmap *m = engines_map(te);
	engines_guard(c, te);
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->refs[i].id, conflict_id))
			m->refs[i].settled = 1;
	return 0;
}
