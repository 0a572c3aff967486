/*
 * test_cli_sse — the CLI's event-stream parser (src/cli/sse.c) against the
 * WHATWG event-stream rules it promises in sse.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/sse.h"

#define MAX_SEEN 8

struct seen {
	int n;
	char id[MAX_SEEN][SSE_MAX_ID + 1];
	char type[MAX_SEEN][128];
	char data[MAX_SEEN][256];
	size_t len[MAX_SEEN];
	int stop_after;   /* ask the parser to stop after this many events (0 = never) */
};

static int record(const struct sse_event *ev, void *arg)
{
	struct seen *s = arg;
	assert_true(s->n < MAX_SEEN);
	snprintf(s->id[s->n], sizeof s->id[0], "%s", ev->id);
	snprintf(s->type[s->n], sizeof s->type[0], "%s", ev->type);
	assert_true(ev->data_len < sizeof s->data[0]);
	memcpy(s->data[s->n], ev->data, ev->data_len);
	s->data[s->n][ev->data_len] = '\0';
	s->len[s->n] = ev->data_len;
	s->n++;
	return s->stop_after && s->n >= s->stop_after;
}

static int feed_str(struct sse_parser *p, const char *text)
{
	return sse_feed(p, text, strlen(text));
}

static void data_lines_join_with_lf_and_carry_id_and_type(void **state)
{
	(void)state;
	struct seen s = {0};
	struct sse_parser p;
	sse_init(&p, record, &s);
	assert_int_equal(feed_str(&p, "id: 41\nevent: zone.created\ndata: {\"a\":\ndata: 1}\n\n"), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.id[0], "41");
	assert_string_equal(s.type[0], "zone.created");
	assert_string_equal(s.data[0], "{\"a\":\n1}");
	sse_free(&p);
}

static void type_defaults_to_message_and_resets_after_dispatch(void **state)
{
	(void)state;
	struct seen s = {0};
	struct sse_parser p;
	sse_init(&p, record, &s);
	assert_int_equal(feed_str(&p, "event: a.b\ndata: x\n\ndata: y\n\n"), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.type[0], "a.b");
	assert_string_equal(s.type[1], "message");
	sse_free(&p);
}

static void crlf_and_cr_end_lines_even_when_split_across_reads(void **state)
{
	(void)state;
	struct seen s = {0};
	struct sse_parser p;
	sse_init(&p, record, &s);
	assert_int_equal(feed_str(&p, "data: one\r"), 0);
	assert_int_equal(feed_str(&p, "\n\r"), 0);   /* CRLF split, then a CR blank line */
	assert_int_equal(feed_str(&p, "data: two\r\r"), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.data[0], "one");
	assert_string_equal(s.data[1], "two");
	sse_free(&p);
}

static void byte_at_a_time_gives_the_same_events(void **state)
{
	(void)state;
	static const char text[] = ": hello\nid: 7\ndata:no-space\ndata:  two spaces\n\n";
	struct seen s = {0};
	struct sse_parser p;
	sse_init(&p, record, &s);
	for (size_t i = 0; i < sizeof text - 1; i++)
		assert_int_equal(sse_feed(&p, text + i, 1), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.id[0], "7");
	/* Only one leading space is removed from a value. */
	assert_string_equal(s.data[0], "no-space\n two spaces");
	sse_free(&p);
}

static void comments_and_events_without_data_dispatch_nothing(void **state)
{
	(void)state;
	struct seen s = {0};
	struct sse_parser p;
	sse_init(&p, record, &s);
	assert_int_equal(feed_str(&p, ": keep-alive\n\nevent: lonely\n\nid: 9\n\n"), 0);
	assert_int_equal(s.n, 0);
	/* ...but the id still counts for the next event and for resuming. */
	assert_string_equal(p.last_id, "9");
	assert_int_equal(feed_str(&p, "data\n\n"), 0);   /* a bare "data" field is an empty line of data */
	assert_int_equal(s.n, 1);
	assert_string_equal(s.id[0], "9");
	assert_int_equal(s.len[0], 0);
	sse_free(&p);
}

static void retry_field_is_read_and_bad_retry_ignored(void **state)
{
	(void)state;
	struct seen s = {0};
	struct sse_parser p;
	sse_init(&p, record, &s);
	assert_int_equal(p.retry_ms, -1);
	assert_int_equal(feed_str(&p, "retry: 2500\n"), 0);
	assert_int_equal(p.retry_ms, 2500);
	assert_int_equal(feed_str(&p, "retry: 12x\n"), 0);
	assert_int_equal(p.retry_ms, 2500);
	sse_free(&p);
}

static void callback_can_stop_the_parser(void **state)
{
	(void)state;
	struct seen s = {.stop_after = 1};
	struct sse_parser p;
	sse_init(&p, record, &s);
	assert_int_equal(feed_str(&p, "data: a\n\ndata: b\n\n"), 1);
	assert_int_equal(s.n, 1);
	sse_free(&p);
}

static void reset_forgets_a_partial_event_but_keeps_the_last_id(void **state)
{
	(void)state;
	struct seen s = {0};
	struct sse_parser p;
	sse_init(&p, record, &s);
	assert_int_equal(feed_str(&p, "id: 12\ndata: a\n\nevent: x\ndata: half"), 0);
	sse_reset(&p);
	assert_int_equal(feed_str(&p, "data: b\n\n"), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.data[1], "b");
	assert_string_equal(s.type[1], "message");
	assert_string_equal(s.id[1], "12");
	sse_free(&p);
}

static void overlong_id_is_a_protocol_error(void **state)
{
	(void)state;
	struct seen s = {0};
	struct sse_parser p;
	char line[SSE_MAX_ID + 16];
	sse_init(&p, record, &s);
	memset(line, '7', sizeof line);
	memcpy(line, "id: ", 4);
	line[sizeof line - 1] = '\n';
	assert_int_equal(sse_feed(&p, line, sizeof line), -1);
	assert_int_equal(p.error, 1);
	sse_free(&p);
}

static void event_over_the_cap_is_a_protocol_error(void **state)
{
	(void)state;
	struct seen s = {0};
	struct sse_parser p;
	size_t chunk = 1024 * 1024;
	char *buf = malloc(chunk);
	int r = 0;
	assert_non_null(buf);
	memset(buf, 'x', chunk);
	sse_init(&p, record, &s);
	assert_int_equal(feed_str(&p, "data: "), 0);
	for (size_t sent = 0; sent <= SSE_MAX_EVENT && r == 0; sent += chunk)
		r = sse_feed(&p, buf, chunk);
	assert_int_equal(r, -1);
	assert_int_equal(p.error, 1);
	assert_int_equal(s.n, 0);
	free(buf);
	sse_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(data_lines_join_with_lf_and_carry_id_and_type),
		cmocka_unit_test(type_defaults_to_message_and_resets_after_dispatch),
		cmocka_unit_test(crlf_and_cr_end_lines_even_when_split_across_reads),
		cmocka_unit_test(byte_at_a_time_gives_the_same_events),
		cmocka_unit_test(comments_and_events_without_data_dispatch_nothing),
		cmocka_unit_test(retry_field_is_read_and_bad_retry_ignored),
		cmocka_unit_test(callback_can_stop_the_parser),
		cmocka_unit_test(reset_forgets_a_partial_event_but_keeps_the_last_id),
		cmocka_unit_test(overlong_id_is_a_protocol_error),
		cmocka_unit_test(event_over_the_cap_is_a_protocol_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
