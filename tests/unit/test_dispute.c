/* core/dispute: every transition and every refusal of the dispute workflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/dispute.h"
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

static void open_one(struct dispute *d, struct effects *fx)
{
	struct dispute_draft dd = {"dsp_1", "il-sy", "SY", "shelling", "at dawn", NULL};
	struct actor il = fix_actor("IL");
	struct tq_field_error fe;
	assert_int_equal(dispute_open(&T, &S, &dd, &il, FIX_NOW, d, fx, &fe), TQ_OK);
}

static int act(struct dispute *d, enum dispute_step step, const char *party, const char *text, struct effects *fx)
{
	struct actor by = fix_actor(party);
	struct tq_field_error fe;
	return dispute_act(d, step, vis_role_of(&T, party), &by, text, FIX_NOW + 1000, fx, &fe);
}

static void open_sets_both_deadlines(void **state)
{
	(void)state;
	struct dispute d;
	struct effects fx;
	open_one(&d, &fx);
	assert_int_equal(d.status, DISPUTE_OPEN);
	assert_int_equal(d.respond_by, FIX_NOW + 2 * 86400000LL);
	assert_int_equal(d.resolve_by, FIX_NOW + 14 * 86400000LL);
	assert_string_equal(fx.ev[0].type, "dispute.opened");
	fix_check_types(&fx);
	assert_int_equal(effects_find_deadline(&fx, DISPUTE_RESPOND_KIND)->due, d.respond_by);
	assert_int_equal(effects_find_deadline(&fx, DISPUTE_RESOLVE_KIND)->due, d.resolve_by);
	dispute_free(&d);
}

static void refusals_on_open(void **state)
{
	(void)state;
	struct dispute d;
	struct effects fx;
	struct tq_field_error fe;
	static const struct {
		const char *by, *against;
		int rc;
		const char *field;
	} cases[] = {
		{"RU", "SY", TQ_EFORBIDDEN, ""}, {"US", "SY", TQ_EFORBIDDEN, ""}, {"AZ", "SY", TQ_EFORBIDDEN, ""},
		{"TR", "SY", TQ_EFORBIDDEN, ""}, {"IL", "XX", TQ_EINVALID, "against"},
		{"IL", "IL", TQ_EINVALID, "against"}, {"IL", "AZ", TQ_EINVALID, "against"},
		{"IL", "TR", TQ_EINVALID, "against"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct dispute_draft dd = {"dsp_1", "il-sy", cases[i].against, "s", "d", NULL};
		struct actor by = fix_actor(cases[i].by);
		memset(&fe, 0, sizeof fe);
		assert_int_equal(dispute_open(&T, &S, &dd, &by, FIX_NOW, &d, &fx, &fe), cases[i].rc);
		assert_string_equal(fe.field, cases[i].field);
	}
	struct dispute_draft dd = {"dsp_1", "il-sy", "SY", "", "d", NULL};
	struct actor il = fix_actor("IL");
	assert_int_equal(dispute_open(&T, &S, &dd, &il, FIX_NOW, &d, &fx, &fe), TQ_EINVALID);
	assert_string_equal(fe.field, "subject");
	/* A principal may complain against the mediator or supervisor. */
	dd.subject = "s", dd.against = "RU";
	assert_int_equal(dispute_open(&T, &S, &dd, &il, FIX_NOW, &d, &fx, &fe), TQ_OK);
	dispute_free(&d);
}

static void full_path_open_responded_mediation_resolved(void **state)
{
	(void)state;
	struct dispute d;
	struct effects fx;
	open_one(&d, &fx);
	assert_int_equal(act(&d, DISPUTE_STEP_RESPOND, "SY", "not us", &fx), TQ_OK);
	assert_int_equal(d.status, DISPUTE_RESPONDED);
	assert_string_equal(fx.ev[0].type, "dispute.responded");
	fix_check_types(&fx);
	assert_true(effects_find_deadline(&fx, DISPUTE_RESPOND_KIND)->clear);
	assert_null(effects_find_deadline(&fx, DISPUTE_RESOLVE_KIND));
	assert_int_equal(act(&d, DISPUTE_STEP_MEDIATE, "RU", NULL, &fx), TQ_OK);
	assert_int_equal(d.status, DISPUTE_IN_MEDIATION);
	assert_string_equal(fx.ev[0].type, "dispute.mediation");
	fix_check_types(&fx);
	assert_int_equal(act(&d, DISPUTE_STEP_RESOLVE, "US", "agreed line", &fx), TQ_OK);
	assert_int_equal(d.status, DISPUTE_RESOLVED);
	assert_string_equal(fx.ev[0].type, "dispute.resolved");
	fix_check_types(&fx);
	assert_true(effects_find_deadline(&fx, DISPUTE_RESOLVE_KIND)->clear);
	assert_true(effects_find_deadline(&fx, DISPUTE_RESPOND_KIND)->clear);
	assert_int_equal(d.stamp.version, 4);
	json_t *j = dispute_to_json(&d);
	assert_string_equal(json_string_value(json_object_get(j, "outcome")), "agreed line");
	assert_string_equal(json_string_value(json_object_get(j, "response")), "not us");
	assert_int_equal(json_array_size(json_object_get(j, "history")), 3);
	json_decref(j);
	/* Final: every step answers 409. */
	assert_int_equal(act(&d, DISPUTE_STEP_WITHDRAW, "IL", NULL, &fx), TQ_ECONFLICT);
	assert_int_equal(act(&d, DISPUTE_STEP_RESOLVE, "RU", "again", &fx), TQ_ECONFLICT);
	dispute_free(&d);
}

static void mediation_straight_from_open_and_withdrawal(void **state)
{
	(void)state;
	struct dispute d;
	struct effects fx;
	open_one(&d, &fx);
	assert_int_equal(act(&d, DISPUTE_STEP_MEDIATE, "US", "talks", &fx), TQ_OK);
	assert_true(effects_find_deadline(&fx, DISPUTE_RESPOND_KIND)->clear);
	/* Responding is for an open dispute only. */
	assert_int_equal(act(&d, DISPUTE_STEP_RESPOND, "SY", NULL, &fx), TQ_ECONFLICT);
	assert_int_equal(act(&d, DISPUTE_STEP_MEDIATE, "RU", NULL, &fx), TQ_ECONFLICT);
	assert_int_equal(act(&d, DISPUTE_STEP_WITHDRAW, "IL", "settled", &fx), TQ_OK);
	assert_int_equal(d.status, DISPUTE_WITHDRAWN);
	assert_string_equal(fx.ev[0].type, "dispute.withdrawn");
	fix_check_types(&fx);
	assert_true(effects_find_deadline(&fx, DISPUTE_RESOLVE_KIND)->clear);
	assert_int_equal(act(&d, DISPUTE_STEP_MEDIATE, "RU", NULL, &fx), TQ_ECONFLICT);
	dispute_free(&d);
}

/* Rule 8: who before state, so a stranger learns nothing from 409. */
static void who_may_take_each_step(void **state)
{
	(void)state;
	struct dispute d;
	struct effects fx;
	open_one(&d, &fx);
	assert_int_equal(act(&d, DISPUTE_STEP_RESPOND, "IL", NULL, &fx), TQ_EFORBIDDEN);
	assert_int_equal(act(&d, DISPUTE_STEP_RESPOND, "RU", NULL, &fx), TQ_EFORBIDDEN);
	assert_int_equal(act(&d, DISPUTE_STEP_MEDIATE, "IL", NULL, &fx), TQ_EFORBIDDEN);
	assert_int_equal(act(&d, DISPUTE_STEP_MEDIATE, "SY", NULL, &fx), TQ_EFORBIDDEN);
	assert_int_equal(act(&d, DISPUTE_STEP_RESOLVE, "IL", "x", &fx), TQ_EFORBIDDEN); /* a principal never resolves */
	assert_int_equal(act(&d, DISPUTE_STEP_WITHDRAW, "SY", NULL, &fx), TQ_EFORBIDDEN);
	assert_int_equal(act(&d, DISPUTE_STEP_WITHDRAW, "US", NULL, &fx), TQ_EFORBIDDEN);
	/* Resolve needs an outcome. */
	assert_int_equal(act(&d, DISPUTE_STEP_RESOLVE, "RU", NULL, &fx), TQ_EINVALID);
	assert_int_equal(act(&d, DISPUTE_STEP_RESOLVE, "RU", "", &fx), TQ_EINVALID);
	assert_int_equal(d.status, DISPUTE_OPEN);
	assert_int_equal(d.stamp.version, 1);
	dispute_free(&d);
	/* A stranger to a final dispute still gets 403, not 409. */
	open_one(&d, &fx);
	assert_int_equal(act(&d, DISPUTE_STEP_WITHDRAW, "IL", NULL, &fx), TQ_OK);
	assert_int_equal(act(&d, DISPUTE_STEP_RESPOND, "IL", NULL, &fx), TQ_EFORBIDDEN);
	dispute_free(&d);
}

static void missed_deadlines_escalate_while_they_matter(void **state)
{
	(void)state;
	struct dispute d;
	struct effects fx;
	open_one(&d, &fx);
	dispute_deadline(&d, DISPUTE_RESPOND_KIND, d.respond_by, &fx);
	assert_string_equal(fx.ev[0].type, "dispute.escalated");
	fix_check_types(&fx);
	assert_true(fx.ev[0].oversight);
	assert_true(d.escalated);
	json_t *j = dispute_to_json(&d);
	json_t *e = json_array_get(json_object_get(j, "escalations"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "missed")), "respond_by");
	assert_string_equal(json_string_value(json_object_get(e, "due")), "2026-03-03T10:00:00Z");
	json_decref(j);
	/* Responded: the respond deadline is moot, the resolve one is not. */
	assert_int_equal(act(&d, DISPUTE_STEP_RESPOND, "SY", NULL, &fx), TQ_OK);
	dispute_deadline(&d, DISPUTE_RESPOND_KIND, d.respond_by, &fx);
	assert_int_equal(fx.nev, 0);
	dispute_deadline(&d, DISPUTE_RESOLVE_KIND, d.resolve_by, &fx);
	assert_int_equal(fx.nev, 1);
	assert_int_equal(act(&d, DISPUTE_STEP_RESOLVE, "RU", "ok", &fx), TQ_OK);
	dispute_deadline(&d, DISPUTE_RESOLVE_KIND, d.resolve_by, &fx);
	assert_int_equal(fx.nev, 0);
	dispute_free(&d);
}

static void json_round_trip(void **state)
{
	(void)state;
	struct dispute d, back;
	struct effects fx;
	open_one(&d, &fx);
	assert_int_equal(act(&d, DISPUTE_STEP_RESPOND, "SY", "no", &fx), TQ_OK);
	json_t *j = dispute_to_json(&d);
	assert_int_equal(dispute_from_json(j, &back), TQ_OK);
	json_t *again = dispute_to_json(&back);
	assert_true(json_equal(j, again));
	dispute_free(&back);
	json_object_del(again, "resolve_by");
	assert_int_equal(dispute_from_json(again, &back), TQ_EINVALID);
	json_decref(j), json_decref(again);
	dispute_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_sets_both_deadlines),
		cmocka_unit_test(refusals_on_open),
		cmocka_unit_test(full_path_open_responded_mediation_resolved),
		cmocka_unit_test(mediation_straight_from_open_and_withdrawal),
		cmocka_unit_test(who_may_take_each_step),
		cmocka_unit_test(missed_deadlines_escalate_while_they_matter),
		cmocka_unit_test(json_round_trip),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
