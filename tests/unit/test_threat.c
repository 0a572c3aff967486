/* core/threat: every transition and every refusal of the threat workflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/threat.h"
#include "wf_fixture.h"

static struct vis_track T;
static struct track_settings S;

static int setup(void **state)
{
	(void)state;
	fix_track(&T);
	settings_defaults(&S);
	return 0;
}

static struct threat_draft draft(const char *refer_to)
{
	static json_t *geometry;
	if (!geometry)
		geometry = json_loads("{\"type\":\"Point\",\"coordinates\":[36.1,32.6]}", 0, NULL);
	return (struct threat_draft){"thr_1", "il-sy", "uav", "swarm", "high", refer_to, geometry,
				     FIX_NOW - FIX_MIN, TQ_TIME_MIN};
}

static void report(struct threat *t, struct effects *fx)
{
	struct threat_draft d = draft("SY");
	struct actor by = fix_actor("IL");
	struct tq_field_error fe;
	assert_int_equal(threat_create(&T, &S, &d, &by, FIX_NOW, t, fx, &fe), TQ_OK);
}

static void report_is_referred_with_a_respond_deadline(void **state)
{
	(void)state;
	struct threat t;
	struct effects fx;
	report(&t, &fx);
	assert_int_equal(t.status, THREAT_REFERRED);
	assert_int_equal(t.respond_by, FIX_NOW + 2 * 60 * FIX_MIN);
	assert_string_equal(fx.ev[0].type, "threat.reported");
	fix_check_types(&fx);
	assert_int_equal(effects_find_deadline(&fx, THREAT_RESPOND_KIND)->due, t.respond_by);
	json_t *j = threat_to_json(&t);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "referred");
	assert_string_equal(json_string_value(json_object_get(j, "observed_at")), "2026-03-01T09:59:00Z");
	assert_int_equal(json_array_size(json_object_get(j, "responses")), 0);
	json_decref(j);
	threat_free(&t);
}

static void explicit_respond_by_is_kept(void **state)
{
	(void)state;
	struct threat t;
	struct effects fx;
	struct tq_field_error fe;
	struct threat_draft d = draft("RU");
	struct actor by = fix_actor("IL");
	d.respond_by = FIX_NOW + 10 * FIX_MIN;
	assert_int_equal(threat_create(&T, &S, &d, &by, FIX_NOW, &t, &fx, &fe), TQ_OK);
	assert_int_equal(t.respond_by, FIX_NOW + 10 * FIX_MIN);
	threat_free(&t);
}

static void refusals_on_report(void **state)
{
	(void)state;
	struct threat t;
	struct effects fx;
	struct tq_field_error fe;
	static const struct {
		const char *reporter, *refer_to;
		int rc;
		const char *field;
	} cases[] = {
		{"RU", "SY", TQ_EFORBIDDEN, ""}, {"AZ", "SY", TQ_EFORBIDDEN, ""}, {"TR", "SY", TQ_EFORBIDDEN, ""},
		{"IL", "XX", TQ_EINVALID, "refer_to"}, {"IL", "IL", TQ_EINVALID, "refer_to"},
		{"IL", "AZ", TQ_EINVALID, "refer_to"}, {"IL", "TR", TQ_EINVALID, "refer_to"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct threat_draft d = draft(cases[i].refer_to);
		struct actor by = fix_actor(cases[i].reporter);
		memset(&fe, 0, sizeof fe);
		assert_int_equal(threat_create(&T, &S, &d, &by, FIX_NOW, &t, &fx, &fe), cases[i].rc);
		assert_string_equal(fe.field, cases[i].field);
	}
	struct actor by = fix_actor("IL");
	struct threat_draft d = draft("SY");
	d.category = "";
	assert_int_equal(threat_create(&T, &S, &d, &by, FIX_NOW, &t, &fx, &fe), TQ_EINVALID);
	assert_string_equal(fe.field, "category");
	d = draft("SY");
	d.observed_at = FIX_NOW + THREAT_CLOCK_SKEW_MS + 1;
	assert_int_equal(threat_create(&T, &S, &d, &by, FIX_NOW, &t, &fx, &fe), TQ_EINVALID);
	assert_string_equal(fe.field, "observed_at");
	d.observed_at = FIX_NOW + THREAT_CLOCK_SKEW_MS; /* within the skew */
	assert_int_equal(threat_create(&T, &S, &d, &by, FIX_NOW, &t, &fx, &fe), TQ_OK);
	threat_free(&t);
	d = draft("SY");
	d.respond_by = FIX_NOW;
	assert_int_equal(threat_create(&T, &S, &d, &by, FIX_NOW, &t, &fx, &fe), TQ_EINVALID);
	assert_string_equal(fe.field, "respond_by");
	d = draft("SY");
	d.confidence = "certain";
	assert_int_equal(threat_create(&T, &S, &d, &by, FIX_NOW, &t, &fx, &fe), TQ_EINVALID);
	assert_string_equal(fe.field, "confidence");
}

static void acknowledged_stays_open_then_neutralized_closes(void **state)
{
	(void)state;
	struct threat t;
	struct effects fx;
	struct tq_field_error fe;
	struct actor sy = fix_actor("SY");
	report(&t, &fx);
	assert_int_equal(threat_respond(&t, &sy, "acknowledged", NULL, FIX_NOW + 1000, &fx, &fe), TQ_OK);
	assert_int_equal(t.status, THREAT_ACKNOWLEDGED);
	assert_false(threat_closed(&t));
	assert_int_equal(fx.ndl, 0);
	assert_string_equal(fx.ev[0].type, "threat.responded");
	fix_check_types(&fx);
	assert_int_equal(threat_respond(&t, &sy, "acknowledged", NULL, FIX_NOW, &fx, &fe), TQ_ECONFLICT);
	assert_int_equal(threat_respond(&t, &sy, "neutralized", "done", FIX_NOW + 2000, &fx, &fe), TQ_OK);
	assert_true(threat_closed(&t));
	assert_int_equal(t.closed_at, FIX_NOW + 2000);
	assert_true(effects_find_deadline(&fx, THREAT_RESPOND_KIND)->clear);
	assert_int_equal(t.stamp.version, 3);
	json_t *j = threat_to_json(&t);
	json_t *last = json_array_get(json_object_get(j, "responses"), 1);
	assert_string_equal(json_string_value(json_object_get(last, "note")), "done");
	assert_string_equal(json_string_value(json_object_get(last, "party")), "SY");
	json_decref(j);
	threat_free(&t);
}

static void unable_and_disputed_close_too(void **state)
{
	(void)state;
	const char *closing[] = {"unable", "disputed"};
	for (int i = 0; i < 2; i++) {
		struct threat t;
		struct effects fx;
		struct tq_field_error fe;
		struct actor sy = fix_actor("SY");
		report(&t, &fx);
		assert_int_equal(threat_respond(&t, &sy, closing[i], NULL, FIX_NOW, &fx, &fe), TQ_OK);
		assert_true(threat_closed(&t));
		/* Rule 7: a final state is final. */
		assert_int_equal(threat_respond(&t, &sy, "acknowledged", NULL, FIX_NOW, &fx, &fe), TQ_ECONFLICT);
		threat_free(&t);
	}
}

static void respond_refusals(void **state)
{
	(void)state;
	struct threat t;
	struct effects fx;
	struct tq_field_error fe;
	struct actor il = fix_actor("IL"), sy = fix_actor("SY"), us = fix_actor("US");
	report(&t, &fx);
	assert_int_equal(threat_respond(&t, &il, "acknowledged", NULL, FIX_NOW, &fx, &fe), TQ_EFORBIDDEN);
	assert_int_equal(threat_respond(&t, &us, "acknowledged", NULL, FIX_NOW, &fx, &fe), TQ_EFORBIDDEN);
	assert_int_equal(threat_respond(&t, &sy, "ignored", NULL, FIX_NOW, &fx, &fe), TQ_EINVALID);
	assert_string_equal(fe.field, "action");
	assert_int_equal(threat_respond(&t, &sy, "lapsed", NULL, FIX_NOW, &fx, &fe), TQ_EINVALID);
	assert_int_equal(threat_respond(&t, &sy, "referred", NULL, FIX_NOW, &fx, &fe), TQ_EINVALID);
	assert_int_equal(t.stamp.version, 1);
	threat_free(&t);
}

static void open_threat_lapses_at_the_deadline_once(void **state)
{
	(void)state;
	struct threat t;
	struct effects fx;
	struct tq_field_error fe;
	struct actor sy = fix_actor("SY");
	report(&t, &fx);
	assert_int_equal(threat_respond(&t, &sy, "acknowledged", NULL, FIX_NOW, &fx, &fe), TQ_OK);
	threat_lapse(&t, t.respond_by, &fx);
	assert_int_equal(t.status, THREAT_LAPSED);
	assert_string_equal(fx.ev[0].type, "threat.lapsed");
	fix_check_types(&fx);
	assert_true(fx.ev[0].oversight);
	threat_lapse(&t, t.respond_by + 1, &fx);
	assert_int_equal(fx.nev, 0);
	assert_int_equal(threat_respond(&t, &sy, "neutralized", NULL, FIX_NOW, &fx, &fe), TQ_ECONFLICT);
	threat_free(&t);
	/* A closed threat does not lapse. */
	report(&t, &fx);
	assert_int_equal(threat_respond(&t, &sy, "neutralized", NULL, FIX_NOW, &fx, &fe), TQ_OK);
	threat_lapse(&t, t.respond_by, &fx);
	assert_int_equal(fx.nev, 0);
	assert_int_equal(t.status, THREAT_NEUTRALIZED);
	threat_free(&t);
}

static void json_round_trip(void **state)
{
	(void)state;
	struct threat t, back;
	struct effects fx;
	struct tq_field_error fe;
	struct actor sy = fix_actor("SY");
	report(&t, &fx);
	assert_int_equal(threat_respond(&t, &sy, "unable", "no assets", FIX_NOW, &fx, &fe), TQ_OK);
	json_t *j = threat_to_json(&t);
	assert_int_equal(threat_from_json(j, &back), TQ_OK);
	json_t *again = threat_to_json(&back);
	assert_true(json_equal(j, again));
	threat_free(&back);
	json_object_set_new(again, "status", json_string("gone"));
	assert_int_equal(threat_from_json(again, &back), TQ_EINVALID);
	json_decref(j), json_decref(again);
	threat_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(report_is_referred_with_a_respond_deadline),
		cmocka_unit_test(explicit_respond_by_is_kept),
		cmocka_unit_test(refusals_on_report),
		cmocka_unit_test(acknowledged_stays_open_then_neutralized_closes),
		cmocka_unit_test(unable_and_disputed_close_too),
		cmocka_unit_test(respond_refusals),
		cmocka_unit_test(open_threat_lapses_at_the_deadline_once),
		cmocka_unit_test(json_round_trip),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
