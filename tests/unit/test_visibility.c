/* core/visibility against the roles table of architecture.md ("Who sees
 * what") and api.md rules 4 and 8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "wf_fixture.h"

static json_t *obj(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	return j;
}

static const char *const content_types[] = {"zone", "deployment", "activity", "conflict", "threat", "dispute"};
static const char *const meeting_types[] = {"meeting", "minutes", "action"};

static void roles_parse_and_name(void **state)
{
	(void)state;
	assert_int_equal(vis_role_parse("principal"), VIS_PRINCIPAL);
	assert_int_equal(vis_role_parse("observer"), VIS_OBSERVER);
	assert_int_equal(vis_role_parse("admin"), VIS_NONE);
	assert_int_equal(vis_role_parse(NULL), VIS_NONE);
	assert_string_equal(vis_role_name(VIS_HOST), "host");
	assert_null(vis_role_name(VIS_NONE));
}

/* principal, mediator, supervisor: everything in the track. */
static void principal_mediator_supervisor_see_all_content(void **state)
{
	(void)state;
	json_t *z = obj("{\"status\":\"proposed\"}");
	enum vis_role full[] = {VIS_PRINCIPAL, VIS_MEDIATOR, VIS_SUPERVISOR};
	for (size_t r = 0; r < 3; r++) {
		for (size_t i = 0; i < sizeof content_types / sizeof *content_types; i++) {
			assert_true(vis_sees(full[r], "IL", content_types[i], z));
			assert_true(vis_reads_type(full[r], content_types[i]));
		}
		for (size_t i = 0; i < 3; i++)
			assert_true(vis_sees(full[r], "IL", meeting_types[i], NULL));
	}
	json_decref(z);
}

/* host: meetings, and messages to all or to it (or from it); nothing else. */
static void host_sees_meetings_and_its_messages_only(void **state)
{
	(void)state;
	json_t *z = obj("{\"status\":\"in_force\"}");
	for (size_t i = 0; i < sizeof content_types / sizeof *content_types; i++) {
		assert_false(vis_sees(VIS_HOST, "AZ", content_types[i], z));
		assert_false(vis_reads_type(VIS_HOST, content_types[i]));
	}
	for (size_t i = 0; i < 3; i++)
		assert_true(vis_sees(VIS_HOST, "AZ", meeting_types[i], NULL));
	json_t *all = obj("{\"to\":\"all\",\"created_by\":{\"party\":\"IL\"}}");
	json_t *to_az = obj("{\"to\":[\"SY\",\"AZ\"],\"created_by\":{\"party\":\"IL\"}}");
	json_t *to_sy = obj("{\"to\":[\"SY\"],\"created_by\":{\"party\":\"IL\"}}");
	json_t *from_az = obj("{\"to\":[\"IL\"],\"created_by\":{\"party\":\"AZ\"}}");
	assert_true(vis_sees(VIS_HOST, "AZ", "message", all));
	assert_true(vis_sees(VIS_HOST, "AZ", "message", to_az));
	assert_false(vis_sees(VIS_HOST, "AZ", "message", to_sy));
	assert_true(vis_sees(VIS_HOST, "AZ", "message", from_az));
	assert_true(vis_reads_type(VIS_HOST, "message"));
	json_decref(all), json_decref(to_az), json_decref(to_sy), json_decref(from_az), json_decref(z);
}

/* principal: messages to all, to it or from it; mediator and supervisor: all. */
static void messages_by_addressee(void **state)
{
	(void)state;
	json_t *to_sy = obj("{\"to\":[\"SY\"],\"created_by\":{\"party\":\"IL\"}}");
	assert_true(vis_sees(VIS_PRINCIPAL, "SY", "message", to_sy));
	assert_true(vis_sees(VIS_PRINCIPAL, "IL", "message", to_sy));
	assert_false(vis_sees(VIS_PRINCIPAL, "TR", "message", to_sy));
	assert_true(vis_sees(VIS_MEDIATOR, "RU", "message", to_sy));
	assert_true(vis_sees(VIS_SUPERVISOR, "US", "message", to_sy));
	assert_false(vis_sees(VIS_OBSERVER, "TR", "message", to_sy));
	json_decref(to_sy);
}

/* observer: zones in force, meetings; nothing else, messages included. */
static void observer_sees_zones_in_force_and_meetings(void **state)
{
	(void)state;
	json_t *in_force = obj("{\"status\":\"in_force\"}"), *proposed = obj("{\"status\":\"proposed\"}");
	json_t *withdrawn = obj("{\"status\":\"withdrawn\"}"), *all = obj("{\"to\":\"all\"}");
	assert_true(vis_sees(VIS_OBSERVER, "TR", "zone", in_force));
	assert_false(vis_sees(VIS_OBSERVER, "TR", "zone", proposed));
	assert_false(vis_sees(VIS_OBSERVER, "TR", "zone", withdrawn));
	assert_false(vis_sees(VIS_OBSERVER, "TR", "message", all));
	assert_false(vis_reads_type(VIS_OBSERVER, "message"));
	assert_true(vis_reads_type(VIS_OBSERVER, "zone"));
	for (size_t i = 0; i < 3; i++)
		assert_true(vis_sees(VIS_OBSERVER, "TR", meeting_types[i], NULL));
	const char *hidden[] = {"deployment", "activity", "conflict", "threat", "dispute"};
	for (size_t i = 0; i < 5; i++) {
		assert_false(vis_sees(VIS_OBSERVER, "TR", hidden[i], in_force));
		assert_false(vis_reads_type(VIS_OBSERVER, hidden[i]));
	}
	json_decref(in_force), json_decref(proposed), json_decref(withdrawn), json_decref(all);
}

/* Not a member (or the cell admin): nothing (rule 8 answers 404). */
static void non_members_see_nothing(void **state)
{
	(void)state;
	json_t *all = obj("{\"to\":\"all\"}");
	assert_false(vis_sees(VIS_NONE, "IL", "message", all));
	assert_false(vis_sees(VIS_NONE, "IL", "meeting", NULL));
	assert_false(vis_sees(VIS_PRINCIPAL, NULL, "zone", NULL));
	assert_false(vis_reads_type(VIS_NONE, "meeting"));
	json_decref(all);
}

static void track_members_and_roles(void **state)
{
	(void)state;
	struct vis_track t;
	fix_track(&t);
	assert_int_equal(t.n, 6);
	assert_int_equal(vis_role_of(&t, "IL"), VIS_PRINCIPAL);
	assert_int_equal(vis_role_of(&t, "TR"), VIS_OBSERVER);
	assert_int_equal(vis_role_of(&t, "XX"), VIS_NONE);
	json_t *bad = obj("{\"members\":[{\"party\":\"TOOLONGID\",\"role\":\"principal\"}]}");
	assert_int_equal(vis_track_from_json(bad, &t), TQ_EINVALID);
	json_decref(bad);
	bad = obj("{\"members\":[{\"party\":\"IL\",\"role\":\"king\"}]}");
	assert_int_equal(vis_track_from_json(bad, &t), TQ_EINVALID);
	json_decref(bad);
}

static void audience_of_a_message(void **state)
{
	(void)state;
	struct vis_track t;
	char out[VIS_AUDIENCE_MAX];
	fix_track(&t);
	json_t *to_sy = obj("{\"to\":[\"SY\"],\"created_by\":{\"party\":\"IL\"}}");
	assert_int_equal(vis_audience(&t, "message", NULL, to_sy, 0, out, sizeof out), TQ_OK);
	assert_string_equal(out, ",IL,SY,US,RU,");
	json_t *all = obj("{\"to\":\"all\",\"created_by\":{\"party\":\"IL\"}}");
	assert_int_equal(vis_audience(&t, "message", NULL, all, 0, out, sizeof out), TQ_OK);
	assert_string_equal(out, ",IL,SY,US,RU,AZ,");
	json_decref(to_sy), json_decref(all);
}

/* Rule 4: escalations reach the mediator and supervisor whatever they see. */
static void oversight_adds_mediator_and_supervisor(void **state)
{
	(void)state;
	char out[VIS_AUDIENCE_MAX];
	json_t *track = obj("{\"members\":[{\"party\":\"IL\",\"role\":\"principal\"},{\"party\":\"AZ\",\"role\":\"host\"},"
			    "{\"party\":\"US\",\"role\":\"supervisor\"},{\"party\":\"TR\",\"role\":\"observer\"}]}");
	struct vis_track t;
	assert_int_equal(vis_track_from_json(track, &t), TQ_OK);
	json_t *threat = obj("{\"status\":\"lapsed\"}");
	assert_int_equal(vis_audience(&t, "threat", NULL, threat, 1, out, sizeof out), TQ_OK);
	assert_string_equal(out, ",IL,US,");
	/* Nobody sees it: the audience is "," (no one), not an empty string. */
	json_t *only_obs = obj("{\"members\":[{\"party\":\"TR\",\"role\":\"observer\"}]}");
	assert_int_equal(vis_track_from_json(only_obs, &t), TQ_OK);
	assert_int_equal(vis_audience(&t, "threat", NULL, threat, 1, out, sizeof out), TQ_OK);
	assert_string_equal(out, ",");
	json_decref(track), json_decref(threat), json_decref(only_obs);
}

/* Everyone who saw the object before or sees it after (issue 17, Observers). */
static void audience_covers_before_and_after(void **state)
{
	(void)state;
	struct vis_track t;
	char out[VIS_AUDIENCE_MAX];
	fix_track(&t);
	json_t *in_force = obj("{\"status\":\"in_force\"}"), *withdrawn = obj("{\"status\":\"withdrawn\"}");
	json_t *proposed = obj("{\"status\":\"proposed\"}");
	assert_int_equal(vis_audience(&t, "zone", in_force, withdrawn, 0, out, sizeof out), TQ_OK);
	assert_string_equal(out, ",IL,SY,US,RU,TR,");
	assert_int_equal(vis_audience(&t, "zone", proposed, in_force, 0, out, sizeof out), TQ_OK);
	assert_string_equal(out, ",IL,SY,US,RU,TR,");
	assert_int_equal(vis_audience(&t, "zone", proposed, withdrawn, 0, out, sizeof out), TQ_OK);
	assert_string_equal(out, ",IL,SY,US,RU,");
	json_decref(in_force), json_decref(withdrawn), json_decref(proposed);
}

/* The largest legal track fits; a smaller buffer is an error, never a cut list. */
static void largest_track_fits_and_overflow_is_an_error(void **state)
{
	(void)state;
	json_t *members = json_array(), *track;
	struct vis_track t;
	char out[VIS_AUDIENCE_MAX], needle[24];
	for (int i = 0; i < TQ_MAX_TRACK_MEMBERS; i++) {
		char p[16];
		snprintf(p, sizeof p, "Q%07d", i);
		json_array_append_new(members, json_pack("{s:s, s:s}", "party", p, "role", "principal"));
	}
	track = json_pack("{s:o}", "members", members);
	assert_int_equal(vis_track_from_json(track, &t), TQ_OK);
	json_t *all = obj("{\"to\":\"all\"}");
	assert_int_equal(vis_audience(&t, "message", NULL, all, 0, out, sizeof out), TQ_OK);
	for (int i = 0; i < TQ_MAX_TRACK_MEMBERS; i++) {
		char p[16];
		snprintf(p, sizeof p, "Q%07d", i);
		snprintf(needle, sizeof needle, ",%s,", p);
		assert_non_null(strstr(out, needle));
		assert_true(vis_event_visible(0, p, out));
	}
	assert_int_equal(vis_audience_track(&t, out, sizeof out), TQ_OK);
	assert_non_null(strstr(out, ",@,"));
	assert_non_null(strstr(out, ",Q0000063,"));
	assert_int_equal(vis_audience(&t, "message", NULL, all, 0, out, 512), TQ_ETOOBIG);
	assert_string_equal(out, "");
	assert_int_equal(vis_audience_track(&t, out, 512), TQ_ETOOBIG);
	/* One member over the limit is refused when the track is read. */
	json_array_append_new(json_object_get(track, "members"),
			      json_pack("{s:s, s:s}", "party", "QEXTRA", "role", "principal"));
	assert_int_equal(vis_track_from_json(track, &t), TQ_EINVALID);
	json_decref(all), json_decref(track);
}

static void event_visibility_by_tag(void **state)
{
	(void)state;
	assert_true(vis_event_visible(0, "IL", ",IL,SY,"));
	assert_false(vis_event_visible(0, "I", ",IL,SY,"));
	assert_false(vis_event_visible(0, "L", ",IL,SY,"));
	assert_false(vis_event_visible(0, "TR", ",IL,SY,"));
	assert_false(vis_event_visible(0, "", ",IL,SY,"));
	assert_true(vis_event_visible(0, "TR", "*"));
	assert_true(vis_event_visible(1, NULL, ",@,IL,"));
	assert_false(vis_event_visible(1, NULL, ",IL,"));
	assert_false(vis_event_visible(0, "IL", NULL));
	assert_false(vis_event_visible(0, "IL", ","));
}

static void party_sets(void **state)
{
	(void)state;
	struct vis_parties s = {0};
	assert_int_equal(vis_parties_add(&s, "IL"), TQ_OK);
	assert_int_equal(vis_parties_add(&s, "IL"), TQ_OK);
	assert_int_equal(vis_parties_add(&s, "SY"), TQ_OK);
	assert_int_equal(vis_parties_add(&s, "TOOLONGID"), TQ_EINVALID);
	assert_int_equal(s.n, 2);
	assert_true(vis_parties_remove(&s, "IL"));
	assert_false(vis_parties_remove(&s, "IL"));
	assert_string_equal(s.p[0], "SY");
	for (int i = 0; i < TQ_MAX_TRACK_MEMBERS - 1; i++) {
		char p[16];
		snprintf(p, sizeof p, "P%d", i);
		assert_int_equal(vis_parties_add(&s, p), TQ_OK);
	}
	assert_int_equal(vis_parties_add(&s, "ONEMORE"), TQ_ETOOBIG);
	json_t *j = vis_parties_to_json(&s);
	struct vis_parties back;
	assert_int_equal(vis_parties_from_json(j, &back), TQ_OK);
	assert_int_equal(back.n, TQ_MAX_TRACK_MEMBERS);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roles_parse_and_name),
		cmocka_unit_test(principal_mediator_supervisor_see_all_content),
		cmocka_unit_test(host_sees_meetings_and_its_messages_only),
		cmocka_unit_test(messages_by_addressee),
		cmocka_unit_test(observer_sees_zones_in_force_and_meetings),
		cmocka_unit_test(non_members_see_nothing),
		cmocka_unit_test(track_members_and_roles),
		cmocka_unit_test(audience_of_a_message),
		cmocka_unit_test(oversight_adds_mediator_and_supervisor),
		cmocka_unit_test(audience_covers_before_and_after),
		cmocka_unit_test(largest_track_fits_and_overflow_is_an_error),
		cmocka_unit_test(event_visibility_by_tag),
		cmocka_unit_test(party_sets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
