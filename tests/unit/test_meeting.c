/* core/meeting: series, occurrence ids, minutes and action items; every
 * transition and every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/meeting.h"
#include "wf_fixture.h"

static struct vis_track T;

static int setup(void **state)
{
	(void)state;
	fix_track(&T);
	return 0;
}

static int make(const char *by_party, const char *host, const char *start, const char *dur, const char *rule,
		struct meeting_series *s, struct tq_field_error *fe)
{
	struct meeting_series_draft d = {"mtg_1", "il-sy", "Talks", "Baku", host, dur, rule, fix_time(start)};
	struct actor by = fix_actor(by_party);
	struct effects fx;
	int rc = meeting_series_create(&T, &d, &by, FIX_NOW, s, &fx, fe);
	if (rc == TQ_OK) {
		assert_string_equal(fx.ev[0].type, "meeting.series_created");
		fix_check_types(&fx);
	}
	return rc;
}

static void series_starts_at_its_first_occurrence(void **state)
{
	(void)state;
	struct meeting_series s;
	struct tq_field_error fe;
	/* Sunday 2026-03-01 09:00; weekly on Monday: the first meeting is Monday the 2nd. */
	assert_int_equal(make("IL", "AZ", "2026-03-01T09:00:00Z", "PT1H", "freq=weekly;byday=MO", &s, &fe), TQ_OK);
	assert_int_equal(s.start, fix_time("2026-03-02T09:00:00Z"));
	json_t *j = meeting_series_to_json(&s);
	assert_string_equal(json_string_value(json_object_get(j, "rrule")), "FREQ=WEEKLY;BYDAY=MO");
	assert_string_equal(json_string_value(json_object_get(j, "duration")), "PT1H");
	assert_string_equal(json_string_value(json_object_get(j, "start")), "2026-03-02T09:00:00Z");
	tq_time out[3];
	size_t n = 0;
	assert_int_equal(meeting_series_expand(&s, s.start, TQ_TIME_MAX, out, 3, &n), TQ_OK);
	assert_int_equal(n, 3);
	assert_int_equal(out[2], fix_time("2026-03-16T09:00:00Z"));
	assert_true(meeting_series_has(&s, fix_time("2026-03-09T09:00:00Z")));
	assert_false(meeting_series_has(&s, fix_time("2026-03-10T09:00:00Z")));
	struct meeting_series back;
	assert_int_equal(meeting_series_from_json(j, &back), TQ_OK);
	assert_int_equal(back.start, s.start);
	assert_true(back.has_rule);
	json_t *again = meeting_series_to_json(&back);
	assert_true(json_equal(j, again));
	json_decref(j), json_decref(again);
	meeting_series_free(&s), meeting_series_free(&back);
}

static void single_meeting_without_rule(void **state)
{
	(void)state;
	struct meeting_series s;
	struct tq_field_error fe;
	assert_int_equal(make("AZ", "IL", "2026-03-05T09:00:00Z", "PT30M", NULL, &s, &fe), TQ_OK);
	assert_false(s.has_rule);
	assert_true(meeting_series_has(&s, fix_time("2026-03-05T09:00:00Z")));
	assert_false(meeting_series_has(&s, fix_time("2026-03-06T09:00:00Z")));
	meeting_series_free(&s);
}

static void series_refusals(void **state)
{
	(void)state;
	struct meeting_series s;
	struct tq_field_error fe;
	static const struct {
		const char *by, *host, *start, *dur, *rule;
		int rc;
		const char *field;
	} cases[] = {
		{"TR", "IL", "2026-03-05T09:00:00Z", "PT1H", NULL, TQ_EFORBIDDEN, ""},   /* an observer */
		{"XX", "IL", "2026-03-05T09:00:00Z", "PT1H", NULL, TQ_EFORBIDDEN, ""},
		{"IL", "XX", "2026-03-05T09:00:00Z", "PT1H", NULL, TQ_EINVALID, "host"},
		{"IL", "TR", "2026-03-05T09:00:00Z", "PT1H", NULL, TQ_EINVALID, "host"},  /* observers host nothing */
		{"IL", "AZ", "2026-03-05T09:00:00.5Z", "PT1H", NULL, TQ_EINVALID, "start"},
		{"IL", "AZ", "2026-03-05T09:00:00Z", "PT0S", NULL, TQ_EINVALID, "duration"},
		{"IL", "AZ", "2026-03-05T09:00:00Z", "P8D", NULL, TQ_EINVALID, "duration"},
		{"IL", "AZ", "2026-03-05T09:00:00Z", "PT1.5S", NULL, TQ_EINVALID, "duration"},
		{"IL", "AZ", "2026-03-05T09:00:00Z", "soon", NULL, TQ_EINVALID, "duration"},
		{"IL", "AZ", "2026-03-05T09:00:00Z", "PT1H", "FREQ=YEARLY", TQ_EINVALID, "rrule"},
		{"IL", "AZ", "2026-03-05T09:00:00Z", "PT1H", "FREQ=DAILY;UNTIL=20260301T000000Z", TQ_EINVALID, "rrule"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		memset(&fe, 0, sizeof fe);
		assert_int_equal(make(cases[i].by, cases[i].host, cases[i].start, cases[i].dur, cases[i].rule, &s, &fe),
				 cases[i].rc);
		assert_string_equal(fe.field, cases[i].field);
	}
	struct meeting_series_draft d = {"mtg_1", "il-sy", "", "Baku", "AZ", "PT1H", NULL, FIX_NOW};
	struct actor by = fix_actor("IL");
	struct effects fx;
	assert_int_equal(meeting_series_create(&T, &d, &by, FIX_NOW, &s, &fx, &fe), TQ_EINVALID);
	assert_string_equal(fe.field, "title");
	d.title = "t", d.venue = "";
	assert_int_equal(meeting_series_create(&T, &d, &by, FIX_NOW, &s, &fx, &fe), TQ_EINVALID);
	assert_string_equal(fe.field, "venue");
}

static void occurrence_ids_round_trip_and_refuse_garbage(void **state)
{
	(void)state;
	char id[MEETING_OCC_ID_BUFSZ], sid[WF_ID_BUFSZ];
	tq_time t;
	meeting_occ_id("mtg_01J", fix_time("2026-01-06T09:00:00Z"), id);
	assert_string_equal(id, "mtg_01J:20260106T090000Z");
	assert_int_equal(meeting_occ_id_parse(id, sid, &t), TQ_OK);
	assert_string_equal(sid, "mtg_01J");
	assert_int_equal(t, fix_time("2026-01-06T09:00:00Z"));
	const char *bad[] = {"mtg_01J", ":20260106T090000Z", "mtg:20260106T0900Z", "mtg:20261306T090000Z",
			     "mtg:20260106X090000Z", "mtg:20260106T090000"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(meeting_occ_id_parse(bad[i], sid, &t), TQ_ENOTFOUND);
}

static void occurrence_json_says_held(void **state)
{
	(void)state;
	struct meeting_series s;
	struct tq_field_error fe;
	assert_int_equal(make("IL", "AZ", "2026-03-02T09:00:00Z", "PT1H", "FREQ=DAILY", &s, &fe), TQ_OK);
	json_t *o = meeting_occ_json(&s, s.start, 1);
	assert_string_equal(json_string_value(json_object_get(o, "id")), "mtg_1:20260302T090000Z");
	assert_string_equal(json_string_value(json_object_get(o, "end")), "2026-03-02T10:00:00Z");
	assert_string_equal(json_string_value(json_object_get(o, "status")), "held");
	assert_string_equal(json_string_value(json_object_get(o, "host")), "AZ");
	json_decref(o);
	o = meeting_occ_json(&s, s.start, 0);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "scheduled");
	json_decref(o);
	meeting_series_free(&s);
}

/* Principal, host, or the party hosting the series unless an observer. */
static void who_records_minutes(void **state)
{
	(void)state;
	struct meeting_series s;
	struct tq_field_error fe;
	assert_int_equal(make("IL", "RU", "2026-02-01T09:00:00Z", "PT1H", "FREQ=DAILY", &s, &fe), TQ_OK);
	assert_true(meeting_may_record(&s, VIS_PRINCIPAL, "IL"));
	assert_true(meeting_may_record(&s, VIS_HOST, "AZ"));
	assert_true(meeting_may_record(&s, VIS_MEDIATOR, "RU"));      /* hosts this series */
	assert_false(meeting_may_record(&s, VIS_SUPERVISOR, "US"));   /* does not */
	assert_false(meeting_may_record(&s, VIS_OBSERVER, "TR"));
	/* The series' host later made an observer records nothing. */
	snprintf(s.host, sizeof s.host, "TR");
	assert_false(meeting_may_record(&s, VIS_OBSERVER, "TR"));
	assert_false(meeting_may_record(&s, VIS_NONE, "TR"));
	meeting_series_free(&s);
}

static int minutes(const struct meeting_series *s, const char *by_party, tq_time start, int held, const char *body,
		   json_t **m, json_t **acts, struct tq_field_error *fe)
{
	static const char *const ids[] = {"ai_1", "ai_2", "ai_3"};
	json_t *b = json_loads(body, 0, NULL);
	struct meeting_minutes_draft d = {"min_1", json_string_value(json_object_get(b, "text")),
					  json_object_get(b, "decisions"), json_object_get(b, "actions"), ids};
	struct actor by = fix_actor(by_party);
	struct effects fm, fa;
	assert_non_null(b);
	int rc = meeting_minutes_create(&T, s, start, held, &d, &by, FIX_NOW, m, acts, &fm, &fa, fe);
	if (rc == TQ_OK) {
		assert_string_equal(fm.ev[0].type, "meeting.minutes");
		fix_check_types(&fm);
		assert_string_equal(fa.ev[0].type, "action.created");
		fix_check_types(&fa);
	}
	json_decref(b);
	return rc;
}

static void minutes_create_action_items(void **state)
{
	(void)state;
	struct meeting_series s;
	struct tq_field_error fe;
	json_t *m, *acts;
	assert_int_equal(make("IL", "AZ", "2026-02-01T09:00:00Z", "PT1H", "FREQ=DAILY", &s, &fe), TQ_OK);
	tq_time held_at = fix_time("2026-02-28T09:00:00Z");
	assert_int_equal(minutes(&s, "AZ", held_at, 0,
				 "{\"text\":\"ok\",\"decisions\":[\"keep line\"],\"actions\":[{\"owner\":\"SY\","
				 "\"text\":\"share\",\"due\":\"2026-03-08T00:00:00+03:00\"}]}",
				 &m, &acts, &fe),
			 TQ_OK);
	assert_string_equal(json_string_value(json_object_get(m, "meeting")), "mtg_1:20260228T090000Z");
	assert_string_equal(json_string_value(json_array_get(json_object_get(m, "actions"), 0)), "ai_1");
	assert_string_equal(json_string_value(json_array_get(json_object_get(m, "decisions"), 0)), "keep line");
	json_t *a = json_array_get(acts, 0);
	assert_string_equal(json_string_value(json_object_get(a, "status")), "open");
	assert_string_equal(json_string_value(json_object_get(a, "due")), "2026-03-07T21:00:00Z");
	assert_string_equal(json_string_value(json_object_get(a, "minutes")), "min_1");
	json_decref(m), json_decref(acts);
	meeting_series_free(&s);
}

static void minutes_refusals(void **state)
{
	(void)state;
	struct meeting_series s;
	struct tq_field_error fe;
	json_t *m, *acts;
	assert_int_equal(make("IL", "AZ", "2026-02-01T09:00:00Z", "PT1H", "FREQ=DAILY", &s, &fe), TQ_OK);
	tq_time past = fix_time("2026-02-28T09:00:00Z"), future = fix_time("2026-03-02T09:00:00Z");
	static const struct {
		const char *by, *body;
		int held, future, rc;
		const char *field;
	} cases[] = {
		{"US", "{\"text\":\"x\"}", 0, 0, TQ_EFORBIDDEN, ""},
		{"TR", "{\"text\":\"x\"}", 0, 0, TQ_EFORBIDDEN, ""},
		{"AZ", "{\"text\":\"x\"}", 1, 0, TQ_ECONFLICT, ""},
		{"AZ", "{\"text\":\"x\"}", 0, 1, TQ_ECONFLICT, ""},
		{"AZ", "{}", 0, 0, TQ_EMALFORMED, "text"},
		{"AZ", "{\"text\":\"x\",\"decisions\":[3]}", 0, 0, TQ_EMALFORMED, "decisions[0]"},
		{"AZ", "{\"text\":\"x\",\"decisions\":[\"a\\u0001\"]}", 0, 0, TQ_EINVALID, "decisions[0]"},
		{"AZ", "{\"text\":\"x\",\"decisions\":{}}", 0, 0, TQ_EMALFORMED, "decisions"},
		{"AZ", "{\"text\":\"x\",\"actions\":[1]}", 0, 0, TQ_EMALFORMED, "actions[0]"},
		{"AZ", "{\"text\":\"x\",\"actions\":[{\"owner\":\"SY\",\"text\":\"t\"}]}", 0, 0, TQ_EMALFORMED,
		 "actions[0].due"},
		{"AZ", "{\"text\":\"x\",\"actions\":[{\"owner\":\"XX\",\"text\":\"t\",\"due\":\"2026-03-08T00:00:00Z\"}]}",
		 0, 0, TQ_EINVALID, "actions[0].owner"},
		{"AZ", "{\"text\":\"x\",\"actions\":[{\"owner\":\"TR\",\"text\":\"t\",\"due\":\"2026-03-08T00:00:00Z\"}]}",
		 0, 0, TQ_EINVALID, "actions[0].owner"},
		{"AZ", "{\"text\":\"x\",\"actions\":[{\"owner\":\"SY\",\"text\":\"\",\"due\":\"2026-03-08T00:00:00Z\"}]}",
		 0, 0, TQ_EINVALID, "actions[0].text"},
		{"AZ", "{\"text\":\"x\",\"actions\":[{\"owner\":\"SY\",\"text\":\"t\",\"due\":\"tomorrow\"}]}", 0, 0,
		 TQ_EINVALID, "actions[0].due"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		memset(&fe, 0, sizeof fe);
		assert_int_equal(minutes(&s, cases[i].by, cases[i].future ? future : past, cases[i].held, cases[i].body,
					 &m, &acts, &fe),
				 cases[i].rc);
		assert_string_equal(fe.field, cases[i].field);
		assert_null(m);
		assert_null(acts);
	}
	meeting_series_free(&s);
}

static void action_done_by_its_owner_once(void **state)
{
	(void)state;
	struct meeting_series s;
	struct meeting_action a;
	struct tq_field_error fe;
	struct effects fx;
	json_t *m, *acts;
	assert_int_equal(make("IL", "AZ", "2026-02-01T09:00:00Z", "PT1H", "FREQ=DAILY", &s, &fe), TQ_OK);
	assert_int_equal(minutes(&s, "AZ", fix_time("2026-02-28T09:00:00Z"), 0,
				 "{\"text\":\"ok\",\"actions\":[{\"owner\":\"SY\",\"text\":\"share\","
				 "\"due\":\"2026-03-01T09:00:00Z\"}]}",
				 &m, &acts, &fe),
			 TQ_OK);
	assert_int_equal(meeting_action_from_json(json_array_get(acts, 0), &a), TQ_OK);
	assert_true(meeting_action_overdue(&a, FIX_NOW));
	assert_false(meeting_action_overdue(&a, fix_time("2026-03-01T09:00:00Z")));
	struct actor il = fix_actor("IL"), sy = fix_actor("SY");
	assert_int_equal(meeting_action_done(&a, &il, NULL, FIX_NOW, &fx, &fe), TQ_EFORBIDDEN);
	assert_int_equal(meeting_action_done(&a, &sy, "sent", FIX_NOW, &fx, &fe), TQ_OK);
	assert_string_equal(fx.ev[0].type, "action.done");
	fix_check_types(&fx);
	assert_false(meeting_action_overdue(&a, fix_time("2027-01-01T00:00:00Z")));
	assert_int_equal(meeting_action_done(&a, &sy, NULL, FIX_NOW, &fx, &fe), TQ_ECONFLICT);
	assert_int_equal(meeting_action_done(&a, &il, NULL, FIX_NOW, &fx, &fe), TQ_EFORBIDDEN);
	json_t *j = meeting_action_to_json(&a);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "done");
	assert_string_equal(json_string_value(json_object_get(j, "note")), "sent");
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 2);
	struct meeting_action back;
	assert_int_equal(meeting_action_from_json(j, &back), TQ_OK);
	assert_true(back.done);
	meeting_action_free(&back);
	json_decref(j), json_decref(m), json_decref(acts);
	meeting_action_free(&a);
	meeting_series_free(&s);
}

static json_t *j(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);
	assert_non_null(v);
	return v;
}

static int on_agenda(const char *type, const char *text, tq_time before)
{
	json_t *o = j(text), *item = meeting_agenda_item(type, o, before);
	int yes = item != NULL;
	json_decref(item), json_decref(o);
	return yes;
}

static void agenda_lists_what_needs_the_meeting(void **state)
{
	(void)state;
	tq_time t = FIX_NOW;
	assert_true(on_agenda("dispute", "{\"id\":\"d\",\"status\":\"open\",\"subject\":\"s\"}", t));
	assert_true(on_agenda("dispute", "{\"id\":\"d\",\"status\":\"in_mediation\"}", t));
	assert_false(on_agenda("dispute", "{\"id\":\"d\",\"status\":\"resolved\"}", t));
	assert_false(on_agenda("dispute", "{\"id\":\"d\",\"status\":\"withdrawn\"}", t));
	assert_true(on_agenda("conflict", "{\"id\":\"c\",\"status\":\"acknowledged\"}", t));
	assert_false(on_agenda("conflict", "{\"id\":\"c\",\"status\":\"resolved\"}", t));
	assert_true(on_agenda("threat", "{\"id\":\"x\",\"status\":\"lapsed\"}", t));
	assert_false(on_agenda("threat", "{\"id\":\"x\",\"status\":\"referred\"}", t));
	assert_true(on_agenda("message", "{\"id\":\"m\",\"escalated\":true}", t));
	assert_false(on_agenda("message", "{\"id\":\"m\",\"escalated\":false}", t));
	/* Action items: open and due before the cut-off (exclusive). */
	assert_true(on_agenda("action", "{\"id\":\"a\",\"status\":\"open\",\"due\":\"2026-03-01T09:59:59Z\"}", t));
	assert_false(on_agenda("action", "{\"id\":\"a\",\"status\":\"open\",\"due\":\"2026-03-01T10:00:00Z\"}", t));
	assert_false(on_agenda("action", "{\"id\":\"a\",\"status\":\"done\",\"due\":\"2026-01-01T00:00:00Z\"}", t));
	assert_false(on_agenda("zone", "{\"id\":\"z\",\"status\":\"in_force\"}", t));
}

static void agenda_items_carry_summary_and_refs(void **state)
{
	(void)state;
	json_t *c = j("{\"id\":\"cf_1\",\"status\":\"open\",\"kind\":\"activity_overlap\",\"subjects\":["
		      "{\"type\":\"activity\",\"id\":\"act_1\",\"party\":\"IL\"},{\"type\":\"activity\",\"id\":\"act_2\"}]}");
	json_t *item = meeting_agenda_item("conflict", c, FIX_NOW);
	json_t *want = j("{\"section\":\"conflicts\",\"type\":\"conflict\",\"id\":\"cf_1\",\"summary\":\"activity_overlap\","
			 "\"status\":\"open\",\"refs\":[{\"type\":\"activity\",\"id\":\"act_1\"},{\"type\":\"activity\",\"id\":\"act_2\"}]}");
	assert_true(json_equal(item, want));
	json_decref(c), json_decref(item), json_decref(want);
	json_t *a = j("{\"id\":\"ai_1\",\"status\":\"open\",\"text\":\"share\",\"owner\":\"SY\",\"meeting\":\"mtg_1:20260228T090000Z\","
		      "\"due\":\"2026-02-01T00:00:00Z\"}");
	item = meeting_agenda_item("action", a, FIX_NOW);
	want = j("{\"section\":\"actions\",\"type\":\"action\",\"id\":\"ai_1\",\"summary\":\"share\",\"status\":\"open\","
		 "\"refs\":[{\"type\":\"meeting\",\"id\":\"mtg_1:20260228T090000Z\"}],\"owner\":\"SY\",\"due\":\"2026-02-01T00:00:00Z\"}");
	assert_true(json_equal(item, want));
	json_decref(a), json_decref(item), json_decref(want);
	json_t *d = j("{\"id\":\"dsp_1\",\"status\":\"open\",\"subject\":\"shelling\",\"refs\":[{\"type\":\"zone\",\"id\":\"z1\"},3]}");
	item = meeting_agenda_item("dispute", d, FIX_NOW);
	assert_string_equal(json_string_value(json_object_get(item, "summary")), "shelling");
	assert_int_equal(json_array_size(json_object_get(item, "refs")), 1);
	json_decref(d), json_decref(item);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(series_starts_at_its_first_occurrence),
		cmocka_unit_test(single_meeting_without_rule),
		cmocka_unit_test(series_refusals),
		cmocka_unit_test(occurrence_ids_round_trip_and_refuse_garbage),
		cmocka_unit_test(occurrence_json_says_held),
		cmocka_unit_test(who_records_minutes),
		cmocka_unit_test(minutes_create_action_items),
		cmocka_unit_test(minutes_refusals),
		cmocka_unit_test(action_done_by_its_owner_once),
		cmocka_unit_test(agenda_lists_what_needs_the_meeting),
		cmocka_unit_test(agenda_items_carry_summary_and_refs),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
