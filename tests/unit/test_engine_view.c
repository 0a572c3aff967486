/* engine views (engine.h "Views"): pending changes are invisible to the
 * committed view until engine_commit_pending; the writer's view sees them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "core/subject.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define HOUR 3600000LL
#define DAY (24 * HOUR)

struct fx {
	struct geo_ctx *geo;
	struct engine *e;
	struct finding_list fl;
};

static const struct engine_margins margins = {1000, 300, 10 * 60 * 1000};
static const struct engine_view committed = {1, NULL};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	if (!f || !(f->geo = geo_ctx_new()) || !(f->e = engine_new(f->geo, &margins)))
		return -1;
	finding_list_init(&f->fl);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	finding_list_clear(&f->fl);
	engine_free(f->e);
	geo_ctx_free(f->geo);
	free(f);
	return 0;
}

static const char *sq(char *buf, double lon0, double lat0, double size)
{
	snprintf(buf, 512,
		 "{\"type\":\"Polygon\",\"coordinates\":[[[%.12f,%.12f],[%.12f,%.12f],[%.12f,%.12f],[%.12f,%.12f],"
		 "[%.12f,%.12f]]]}",
		 lon0, lat0, lon0 + size, lat0, lon0 + size, lat0 + size, lon0, lat0 + size, lon0, lat0);
	return buf;
}

static struct subject *parse(struct fx *f, struct geo_ctx *geo, enum subject_type type, const char *id,
			     const char *party, const char *body)
{
	json_error_t jerr;
	json_t *j = json_loads(body, 0, &jerr);
	struct subject *s = NULL;
	struct tq_field_error err = {{0}, {0}};
	if (!j)
		fail_msg("bad test JSON: %s", jerr.text);
	int rc = subject_from_json(geo ? geo : f->geo, type, j, id, party, T0, &s, &err);
	json_decref(j);
	if (rc)
		fail_msg("subject_from_json %s: %d %s: %s", id, rc, err.field, err.message);
	return s;
}

/* An air sortie over the square at (lon, 33.0), 0.1 degrees, [T0, T0 + 1h). */
static struct subject *sortie(struct fx *f, const char *id, const char *party, double lon)
{
	char g[512], body[1024];
	snprintf(body, sizeof body,
		 "{\"kind\":\"air_sortie\",\"geometry\":%s,\"altitude\":{\"min_m\":0,\"max_m\":1000},"
		 "\"window\":{\"start\":\"2026-01-01T00:00:00Z\",\"end\":\"2026-01-01T01:00:00Z\"}}",
		 sq(g, lon, 33.0, 0.1));
	return parse(f, NULL, SUBJECT_ACTIVITY, id, party, body);
}

static struct subject *zone(struct fx *f, const char *id, const char *owner, const char *kind, double lon,
			    const char *extra)
{
	char g[512], body[1024];
	snprintf(body, sizeof body, "{\"kind\":\"%s\",\"name\":\"z\",\"geometry\":%s%s}", kind,
		 sq(g, lon, 33.0, 0.2), extra ? extra : "");
	struct subject *s = parse(f, NULL, SUBJECT_ZONE, id, owner, body);
	s->status = ZONE_IN_FORCE;
	return s;
}

static struct subject *dep(struct fx *f, const char *id, const char *party, double lon, int tanks)
{
	char g[512], body[1024];
	snprintf(body, sizeof body,
		 "{\"unit\":\"u\",\"geometry\":%s,\"strength\":{\"tanks\":%d},"
		 "\"valid\":{\"from\":\"2026-01-01T00:00:00Z\"}}",
		 sq(g, lon, 33.05, 0.01), tanks);
	return parse(f, NULL, SUBJECT_DEPLOYMENT, id, party, body);
}

static void put(struct fx *f, struct subject *s)
{
	assert_int_equal(engine_upsert(f->e, s), 0);
}

/* Findings for c in view v (NULL: the writer's); c is kept. */
static size_t check_in(struct fx *f, const struct engine_view *v, const struct subject *c)
{
	assert_int_equal(engine_check_view(f->e, v, c, NULL, &f->fl), 0);
	return f->fl.n;
}

static int found(struct fx *f, const char *id)
{
	for (size_t i = 0; i < f->fl.n; i++)
		for (size_t j = 0; j < f->fl.items[i].n_subjects; j++)
			if (!strcmp(f->fl.items[i].subjects[j].id, id))
				return 1;
	return 0;
}

static void test_pending_insert_is_invisible_to_the_committed_view(void **state)
{
	struct fx *f = *state;
	struct subject *c = sortie(f, "cand", "SY", 36.0);
	put(f, sortie(f, "a1", "IL", 36.05));
	assert_true(engine_has_pending(f->e));
	assert_int_equal(check_in(f, NULL, c), 1); /* the writer sees its own change */
	assert_int_equal(check_in(f, &committed, c), 0);
	engine_commit_pending(f->e);
	assert_false(engine_has_pending(f->e));
	assert_int_equal(check_in(f, &committed, c), 1);
	assert_true(found(f, "a1"));
	assert_int_equal(check_in(f, NULL, c), 1);
	subject_free(f->geo, c);
}

static void test_pending_replace_still_shows_the_committed_version(void **state)
{
	struct fx *f = *state;
	struct subject *c = sortie(f, "cand", "SY", 36.0);
	put(f, sortie(f, "a1", "IL", 36.05));
	engine_commit_pending(f->e);
	/* a1 moves far away, not committed yet */
	put(f, sortie(f, "a1", "IL", 40.0));
	assert_int_equal(check_in(f, NULL, c), 0);
	assert_int_equal(check_in(f, &committed, c), 1);
	assert_true(found(f, "a1"));
	/* moved again within the same open batch: still the committed one */
	put(f, sortie(f, "a1", "IL", 41.0));
	assert_int_equal(check_in(f, &committed, c), 1);
	engine_commit_pending(f->e);
	assert_int_equal(check_in(f, &committed, c), 0);
	assert_int_equal(engine_count(f->e), 1);
	subject_free(f->geo, c);
}

static void test_pending_remove_still_shows_the_committed_version(void **state)
{
	struct fx *f = *state;
	struct subject *c = sortie(f, "cand", "SY", 36.0);
	put(f, sortie(f, "a1", "IL", 36.05));
	engine_commit_pending(f->e);
	assert_int_equal(engine_remove(f->e, "a1"), 0);
	assert_null(engine_get(f->e, "a1"));
	assert_int_equal(check_in(f, NULL, c), 0);
	assert_int_equal(check_in(f, &committed, c), 1);
	engine_commit_pending(f->e);
	assert_int_equal(check_in(f, &committed, c), 0);
	subject_free(f->geo, c);
}

static void test_insert_then_remove_before_commit_leaves_nothing(void **state)
{
	struct fx *f = *state;
	struct subject *c = sortie(f, "cand", "SY", 36.0);
	put(f, sortie(f, "a1", "IL", 36.05));
	assert_int_equal(engine_remove(f->e, "a1"), 0);
	assert_int_equal(check_in(f, &committed, c), 0);
	assert_int_equal(check_in(f, NULL, c), 0);
	engine_commit_pending(f->e);
	assert_int_equal(check_in(f, &committed, c), 0);
	assert_int_equal(engine_count(f->e), 0);
	subject_free(f->geo, c);
}

static void test_pending_zone_status_change_keeps_the_committed_status(void **state)
{
	struct fx *f = *state;
	struct subject *c = sortie(f, "cand", "SY", 36.05);
	struct subject *z = zone(f, "r1", "IL", "restricted_airspace", 36.0, NULL);
	z->status = ZONE_PROPOSED;
	put(f, z);
	engine_commit_pending(f->e);
	assert_int_equal(check_in(f, &committed, c), 0);
	/* put in force by an uncommitted batch */
	assert_int_equal(engine_set_zone_status(f->e, "r1", ZONE_IN_FORCE), 0);
	assert_int_equal(engine_get(f->e, "r1")->status, ZONE_IN_FORCE);
	assert_int_equal(check_in(f, NULL, c), 1);
	assert_int_equal(check_in(f, &committed, c), 0);
	engine_commit_pending(f->e);
	assert_int_equal(check_in(f, &committed, c), 1);
	/* withdrawn, not committed: the committed view still applies it */
	assert_int_equal(engine_set_zone_status(f->e, "r1", ZONE_WITHDRAWN), 0);
	assert_int_equal(check_in(f, NULL, c), 0);
	assert_int_equal(check_in(f, &committed, c), 1);
	subject_free(f->geo, c);
}

static void test_limitation_sums_follow_the_view(void **state)
{
	struct fx *f = *state;
	put(f, zone(f, "lim", "US", "limitation", 35.8, ",\"caps\":{\"tanks\":75}"));
	put(f, dep(f, "d1", "SY", 35.85, 50));
	engine_commit_pending(f->e);
	put(f, dep(f, "d2", "SY", 35.9, 40)); /* pending: 90 > 75 for the writer only */
	struct subject *c = dep(f, "d3", "IL", 35.95, 10);
	assert_int_equal(check_in(f, NULL, c), 1);
	assert_int_equal(f->fl.items[0].kind, FINDING_LIMITATION_EXCEEDED);
	assert_int_equal(f->fl.items[0].declared[STRENGTH_TANKS], 100);
	assert_int_equal(check_in(f, &committed, c), 0); /* 50 + 10 */
	/* d1 raised to 70 pending: the committed sum stays 60 */
	put(f, dep(f, "d1", "SY", 35.85, 70));
	assert_int_equal(check_in(f, &committed, c), 0);
	engine_commit_pending(f->e);
	assert_int_equal(check_in(f, &committed, c), 1);
	assert_int_equal(f->fl.items[0].declared[STRENGTH_TANKS], 120);
	/* the zone checked as the candidate: the same sum */
	const struct subject *z = engine_get(f->e, "lim");
	assert_int_equal(check_in(f, &committed, z), 1);
	assert_int_equal(f->fl.items[0].declared[STRENGTH_TANKS], 110);
	subject_free(f->geo, c);
}

static void test_admit_counts_in_the_view(void **state)
{
	struct fx *f = *state;
	struct tq_field_error err = {{0}, {0}};
	struct subject *c = sortie(f, "cand", "SY", 36.0);
	put(f, sortie(f, "a1", "IL", 36.05));
	assert_int_equal(engine_admit_view(f->e, &committed, c, &err), 0);
	assert_int_equal(engine_admit(f->e, c, &err), 0);
	subject_free(f->geo, c);
}

/* Committed-view checks in several threads at once, each with its own geo
 * context, give the single-threaded answer (run under ASan/UBSan; a shared
 * prepared geometry or query scratch would show as wrong counts or crashes). */
struct reader {
	struct fx *f;
	size_t expect;
	int ok;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct geo_ctx *geo = geo_ctx_new();
	struct engine_view v = {1, geo};
	struct finding_list fl;
	char body[1024];
	finding_list_init(&fl);
	snprintf(body, sizeof body,
		 "{\"kind\":\"uav\",\"geometry\":%s,\"radius_m\":500,\"altitude\":{\"min_m\":0,\"max_m\":1000},"
		 "\"window\":{\"start\":\"2026-01-01T00:00:00Z\",\"end\":\"2026-01-01T01:00:00Z\"}}",
		 "{\"type\":\"Point\",\"coordinates\":[36.1,33.1]}");
	r->ok = geo != NULL;
	for (int i = 0; i < 200 && r->ok; i++) {
		json_t *j = json_loads(body, 0, NULL);
		struct subject *c = NULL;
		struct tq_field_error err = {{0}, {0}};
		r->ok = j && subject_from_json(geo, SUBJECT_ACTIVITY, j, "cand", "SY", T0, &c, &err) == 0 &&
			engine_check_view(r->f->e, &v, c, NULL, &fl) == 0 && fl.n == r->expect;
		json_decref(j);
		subject_free(geo, c);
	}
	finding_list_clear(&fl);
	geo_ctx_free(geo);
	return NULL;
}

static void test_committed_checks_run_in_several_threads(void **state)
{
	struct fx *f = *state;
	pthread_t t[4];
	struct reader r[4];
	put(f, zone(f, "r1", "IL", "restricted_airspace", 36.0, NULL));
	put(f, zone(f, "p1", "IL", "protected_site", 36.0, NULL));
	put(f, sortie(f, "a1", "IL", 36.05));
	engine_commit_pending(f->e);
	put(f, sortie(f, "a2", "IL", 36.06)); /* pending: never seen by the readers */
	struct subject *c = sortie(f, "probe", "SY", 36.05);
	size_t writer = check_in(f, NULL, c);
	size_t expect = 0;
	subject_free(f->geo, c);
	{
		/* the expected count, found alone first */
		struct geo_ctx *geo = geo_ctx_new();
		struct engine_view v = {1, geo};
		json_t *j = json_loads("{\"kind\":\"uav\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[36.1,33.1]},"
				       "\"radius_m\":500,\"altitude\":{\"min_m\":0,\"max_m\":1000},\"window\":{\"start\":"
				       "\"2026-01-01T00:00:00Z\",\"end\":\"2026-01-01T01:00:00Z\"}}",
				       0, NULL);
		struct subject *s = NULL;
		struct tq_field_error err = {{0}, {0}};
		assert_int_equal(subject_from_json(geo, SUBJECT_ACTIVITY, j, "cand", "SY", T0, &s, &err), 0);
		assert_int_equal(engine_check_view(f->e, &v, s, NULL, &f->fl), 0);
		expect = f->fl.n;
		assert_true(found(f, "a1") && found(f, "r1") && !found(f, "a2"));
		subject_free(geo, s);
		json_decref(j);
		geo_ctx_free(geo);
	}
	assert_int_equal(expect, 2); /* a1, and r1 through a prepared zone */
	assert_true(writer >= 1);
	for (int i = 0; i < 4; i++) {
		r[i] = (struct reader){f, expect, 0};
		assert_int_equal(pthread_create(&t[i], NULL, reader_main, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_true(r[i].ok);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pending_insert_is_invisible_to_the_committed_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_replace_still_shows_the_committed_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_remove_still_shows_the_committed_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insert_then_remove_before_commit_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_zone_status_change_keeps_the_committed_status, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_limitation_sums_follow_the_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admit_counts_in_the_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_committed_checks_run_in_several_threads, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
