/*
 * test_cot — the CoT mapping (object JSON → events) and the inbound parser
 * (expat, no DTD/entities, 64 KiB), as docs/tak.md describes them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/cot.h"

#define NOW 1767225600000LL /* 2026-01-01T00:00:00Z */

static json_t *parse_json(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	assert_non_null(j);
	return j;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Every event we write must be what we accept: it parses with our own parser. */
static void assert_events_parse(const char *xml, size_t expected)
{
	size_t off = 0, n = 0, s, e;
	size_t len = strlen(xml);
	while (cot_frame(xml + off, len - off, &s, &e) == COT_FRAME_EVENT) {
		struct cot_in in;
		assert_int_equal(cot_parse(xml + off + s, e - s, &in), TQ_OK);
		cot_in_clear(&in);
		off += e;
		n++;
	}
	assert_int_equal(n, expected);
}

static const char zone_json[] =
	"{\"id\":\"zon_1\",\"kind\":\"demilitarized\",\"name\":\"Buffer <A&B>\",\"status\":\"in_force\","
	"\"owner\":\"IL\",\"declared_by\":\"IL\",\"accepted_by\":[\"IL\",\"SY\"],"
	"\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[35.1,33.1],[35.2,33.1],[35.2,33.2],[35.1,33.1]]]},"
	"\"valid\":{\"from\":\"2026-01-01T00:00:00Z\",\"until\":\"2026-02-01T00:00:00Z\"}}";

static void zone_is_closed_freehand_polygon_with_uid_and_escaped_name(void **state)
{
	(void)state;
	json_t *z = parse_json(zone_json);
	struct cot_buf b = {0};
	struct cot_view v = {"SY", NOW};
	assert_int_equal(cot_object_xml("zone", z, "il-sy", &v, &b), TQ_OK);
	assert_non_null(strstr(b.data, "uid=\"zon_1\""));
	assert_non_null(strstr(b.data, "type=\"u-d-f\""));
	assert_int_equal(count(b.data, "<link point="), 4); /* ring closed: first vertex repeated */
	assert_non_null(strstr(b.data, "<link point=\"33.100000000,35.100000000\"/>"));
	assert_non_null(strstr(b.data, "callsign=\"Buffer &lt;A&amp;B&gt;\""));
	assert_non_null(strstr(b.data, "stale=\"2026-02-01T00:00:00"));
	assert_non_null(strstr(b.data, "demilitarized zone (in_force)"));
	assert_non_null(strstr(b.data, "<fillColor value="));
	assert_events_parse(b.data, 1);
	cot_buf_free(&b);
	json_decref(z);
}

static void withdrawn_multipolygon_zone_is_one_delete_per_part(void **state)
{
	(void)state;
	json_t *z = parse_json("{\"id\":\"zon_2\",\"kind\":\"base\",\"status\":\"withdrawn\",\"declared_by\":\"IL\","
			       "\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":["
			       "[[[1,1],[2,1],[2,2],[1,1]]],[[[5,5],[6,5],[6,6],[5,5]]]]}}");
	struct cot_buf b = {0};
	struct cot_view v = {"IL", NOW};
	assert_int_equal(cot_object_xml("zone", z, "t", &v, &b), TQ_OK);
	assert_int_equal(count(b.data, "type=\"t-x-d-d\""), 2);
	assert_non_null(strstr(b.data, "<link uid=\"zon_2\" relation=\"none\" type=\"none\"/><__forcedelete/>"));
	assert_non_null(strstr(b.data, "<link uid=\"zon_2.1\""));
	assert_null(strstr(b.data, "u-d-f"));
	assert_events_parse(b.data, 2);
	cot_buf_free(&b);
	json_decref(z);
}

static void deployment_affiliation_is_f_for_own_party_and_n_for_others(void **state)
{
	(void)state;
	json_t *d = parse_json("{\"id\":\"dep_1\",\"unit\":\"1st Bde\",\"status\":\"declared\",\"declared_by\":\"IL\","
			       "\"geometry\":{\"type\":\"Point\",\"coordinates\":[35.5,33.25]},"
			       "\"strength\":{\"troops\":300},\"valid\":{\"from\":\"2026-01-01T00:00:00Z\"}}");
	struct cot_buf own = {0}, other = {0};
	struct cot_view vi = {"IL", NOW}, vs = {"SY", NOW};
	assert_int_equal(cot_object_xml("deployment", d, "t", &vi, &own), TQ_OK);
	assert_int_equal(cot_object_xml("deployment", d, "t", &vs, &other), TQ_OK);
	assert_non_null(strstr(own.data, "type=\"a-f-G-U-C\""));
	assert_non_null(strstr(other.data, "type=\"a-n-G-U-C\""));
	assert_non_null(strstr(own.data, "<point lat=\"33.250000000\" lon=\"35.500000000\""));
	assert_non_null(strstr(own.data, "troops 300"));
	assert_events_parse(own.data, 1);
	cot_buf_free(&own);
	cot_buf_free(&other);
	json_decref(d);
}

static void activity_window_is_start_and_stale_and_point_radius_is_circle(void **state)
{
	(void)state;
	json_t *a = parse_json("{\"id\":\"act_1\",\"kind\":\"strike\",\"status\":\"notified\",\"declared_by\":\"SY\","
			       "\"geometry\":{\"type\":\"Point\",\"coordinates\":[36,34]},\"radius_m\":2500,"
			       "\"window\":{\"start\":\"2026-01-02T10:00:00Z\",\"end\":\"2026-01-02T12:00:00Z\"}}");
	struct cot_buf b = {0};
	struct cot_view v = {"IL", NOW};
	assert_int_equal(cot_object_xml("activity", a, "t", &v, &b), TQ_OK);
	assert_non_null(strstr(b.data, "type=\"u-d-c-c\""));
	assert_non_null(strstr(b.data, "start=\"2026-01-02T10:00:00"));
	assert_non_null(strstr(b.data, "stale=\"2026-01-02T12:00:00"));
	assert_non_null(strstr(b.data, "major=\"2500.000\""));
	json_object_set_new(a, "status", json_string("completed"));
	cot_buf_free(&b);
	assert_int_equal(cot_object_xml("activity", a, "t", &v, &b), TQ_OK);
	assert_non_null(strstr(b.data, "type=\"t-x-d-d\""));
	cot_buf_free(&b);
	json_decref(a);
}

static void corridor_is_open_polyline(void **state)
{
	(void)state;
	json_t *a = parse_json("{\"id\":\"act_2\",\"kind\":\"patrol\",\"status\":\"active\",\"declared_by\":\"SY\","
			       "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[36,34],[36.5,34.5],[37,34]]},"
			       "\"width_m\":500,\"window\":{\"start\":\"2026-01-02T10:00:00Z\",\"end\":\"2026-01-02T12:00:00Z\"}}");
	struct cot_buf b = {0};
	struct cot_view v = {"IL", NOW};
	assert_int_equal(cot_object_xml("activity", a, "t", &v, &b), TQ_OK);
	assert_int_equal(count(b.data, "<link point="), 3);
	assert_null(strstr(b.data, "<fillColor")); /* a line is not filled */
	cot_buf_free(&b);
	json_decref(a);
}

static void conflict_remarks_name_kind_and_severity_and_resolved_is_deleted(void **state)
{
	(void)state;
	json_t *c = parse_json("{\"id\":\"cfl_1\",\"kind\":\"demilitarized_breach\",\"severity\":\"critical\","
			       "\"status\":\"open\",\"parties\":[\"IL\",\"SY\"],\"subjects\":[{\"type\":\"zone\",\"id\":\"zon_1\","
			       "\"party\":\"IL\"}],\"overlap\":{\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
			       "[[[1,1],[2,1],[2,2],[1,1]]]}}}");
	struct cot_buf b = {0};
	struct cot_view v = {"IL", NOW};
	assert_int_equal(cot_log_event_xml("conflict.opened", c, "t", &v, &b), TQ_OK);
	assert_non_null(strstr(b.data, "CONFLICT demilitarized_breach, severity critical"));
	assert_non_null(strstr(b.data, "<strokeColor value=\"-65536\"/>")); /* 0xFFFF0000 red */
	cot_buf_free(&b);
	json_object_set_new(c, "status", json_string("resolved"));
	assert_int_equal(cot_log_event_xml("conflict.resolved", c, "t", &v, &b), TQ_OK);
	assert_non_null(strstr(b.data, "type=\"t-x-d-d\""));
	cot_buf_free(&b);
	json_decref(c);
}

static void message_is_geochat_in_the_track_room(void **state)
{
	(void)state;
	json_t *m = parse_json("{\"id\":\"msg_1\",\"track\":\"il-sy\",\"from\":\"SY\",\"precedence\":\"flash\","
			       "\"subject\":\"Stop\",\"body\":\"\\u0642\\u0641 <now>\",\"created_by\":{\"party\":\"SY\","
			       "\"user\":\"usr_9\"}}");
	struct cot_buf b = {0};
	struct cot_view v = {"IL", NOW};
	assert_int_equal(cot_log_event_xml("message.created", m, "il-sy", &v, &b), TQ_OK);
	assert_non_null(strstr(b.data, "type=\"b-t-f\""));
	assert_non_null(strstr(b.data, "chatroom=\"il-sy\" id=\"il-sy\""));
	assert_non_null(strstr(b.data, "[FLASH] Stop: \xd9\x82\xd9\x81 &lt;now&gt;</remarks>"));
	struct cot_in in;
	size_t s, e;
	assert_int_equal(cot_frame(b.data, b.len, &s, &e), COT_FRAME_EVENT);
	assert_int_equal(cot_parse(b.data + s, e - s, &in), TQ_OK);
	assert_true(in.is_chat);
	assert_string_equal(in.chatroom, "il-sy");
	assert_string_equal(in.remarks, "[FLASH] Stop: \xd9\x82\xd9\x81 <now>");
	cot_in_clear(&in);
	cot_buf_free(&b);
	/* Other events (acks, tracks) are not CoT. */
	assert_int_equal(cot_log_event_xml("message.acked", m, "il-sy", &v, &b), TQ_OK);
	assert_int_equal(b.len, 0);
	json_decref(m);
}

static void object_without_geometry_is_refused_and_nothing_written(void **state)
{
	(void)state;
	json_t *z = parse_json("{\"id\":\"zon_3\",\"status\":\"in_force\",\"geometry\":{\"type\":\"Polygon\","
			       "\"coordinates\":[[[1,1],[2,2]]]}}");
	struct cot_buf b = {0};
	struct cot_view v = {"IL", NOW};
	assert_int_equal(cot_object_xml("zone", z, "t", &v, &b), TQ_EINVALID);
	assert_int_equal(b.len, 0);
	cot_buf_free(&b);
	json_decref(z);
}

static void inbound_geochat_fields(void **state)
{
	(void)state;
	static const char xml[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?><event version=\"2.0\" uid=\"GeoChat.a.b.c\" type=\"b-t-f\" "
		"how=\"h-g-i-g-o\"><point lat=\"0\" lon=\"0\"/><detail><__chat chatroom=\"il-sy\" id=\"il-sy\" "
		"senderCallsign=\"Alpha\"><chatgrp uid0=\"a\"/></__chat><remarks source=\"a\">Hello &amp; "
		"<![CDATA[x<y]]></remarks></detail></event>";
	struct cot_in in;
	assert_int_equal(cot_parse(xml, sizeof xml - 1, &in), TQ_OK);
	assert_string_equal(in.type, "b-t-f");
	assert_true(in.is_chat);
	assert_string_equal(in.chatroom, "il-sy");
	assert_string_equal(in.sender, "Alpha");
	assert_string_equal(in.remarks, "Hello & x<y");
	cot_in_clear(&in);
}

static void inbound_refuses_dtd_entities_and_malformed(void **state)
{
	(void)state;
	static const char *const forbidden[] = {
		"<!DOCTYPE event [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><event type=\"b-t-f\">&b;</event>",
		"<!DOCTYPE event SYSTEM \"file:///etc/passwd\"><event type=\"x\"/>",
		NULL,
	};
	static const char *const malformed[] = {
		"<event type=\"b-t-f\"><detail>&xxe;</detail></event>",
		"<event type=\"a\"><detail></event>",
		"<evnt type=\"a\"></evnt>",
		"<event uid=\"no-type\"></event>",
		"\xff\xfe<event type=\"a\"></event>",
		"",
		NULL,
	};
	struct cot_in in;
	for (const char *const *x = forbidden; *x; x++) {
		assert_int_equal(cot_parse(*x, strlen(*x), &in), TQ_EFORBIDDEN);
		assert_null(in.remarks);
	}
	for (const char *const *x = malformed; *x; x++)
		assert_int_equal(cot_parse(*x, strlen(*x), &in), TQ_EMALFORMED);
}

static void inbound_depth_and_size_limits(void **state)
{
	(void)state;
	struct cot_in in;
	char deep[1024] = "<event type=\"a\">";
	for (int i = 0; i < COT_DEPTH_MAX; i++)
		strcat(deep, "<d>");
	assert_int_equal(cot_parse(deep, strlen(deep), &in), TQ_EMALFORMED);

	size_t n = COT_EVENT_MAX + 100;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, "<event type=\"a\"><remarks>", 25);
	size_t s, e;
	assert_int_equal(cot_frame(big, n, &s, &e), COT_FRAME_TOOBIG);
	assert_int_equal(cot_parse(big, n, &in), TQ_ETOOBIG);
	/* Leading blank space is skipped, but the event itself still counts. */
	assert_int_equal(cot_frame(big, 20, &s, &e), COT_FRAME_MORE);
	free(big);
}

static void frame_splits_a_stream_of_events(void **state)
{
	(void)state;
	static const char stream[] = "\n <event type=\"a\"></event>\n<event type=\"b\"/><x/></event><event";
	size_t s, e;
	assert_int_equal(cot_frame(stream, sizeof stream - 1, &s, &e), COT_FRAME_EVENT);
	assert_int_equal(s, 2);
	assert_memory_equal(stream + e - 8, "</event>", 8);
	size_t off = e;
	assert_int_equal(cot_frame(stream + off, sizeof stream - 1 - off, &s, &e), COT_FRAME_EVENT);
	off += e;
	assert_int_equal(cot_frame(stream + off, sizeof stream - 1 - off, &s, &e), COT_FRAME_MORE);
}

static void pong_answers_ping(void **state)
{
	(void)state;
	struct cot_buf b = {0};
	assert_int_equal(cot_pong_xml(NOW, &b), TQ_OK);
	assert_non_null(strstr(b.data, "type=\"t-x-c-t-r\""));
	assert_events_parse(b.data, 1);
	cot_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zone_is_closed_freehand_polygon_with_uid_and_escaped_name),
		cmocka_unit_test(withdrawn_multipolygon_zone_is_one_delete_per_part),
		cmocka_unit_test(deployment_affiliation_is_f_for_own_party_and_n_for_others),
		cmocka_unit_test(activity_window_is_start_and_stale_and_point_radius_is_circle),
		cmocka_unit_test(corridor_is_open_polyline),
		cmocka_unit_test(conflict_remarks_name_kind_and_severity_and_resolved_is_deleted),
		cmocka_unit_test(message_is_geochat_in_the_track_room),
		cmocka_unit_test(object_without_geometry_is_refused_and_nothing_written),
		cmocka_unit_test(inbound_geochat_fields),
		cmocka_unit_test(inbound_refuses_dtd_entities_and_malformed),
		cmocka_unit_test(inbound_depth_and_size_limits),
		cmocka_unit_test(frame_splits_a_stream_of_events),
		cmocka_unit_test(pong_answers_ping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
