/* sse_frame (src/server/sse_frame.h): records built once and shared, and the per-subscriber queue:
 * byte cap, partial reads, sends to a socket that takes only part, a broken socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "server/sse_frame.h"

static void a_record_is_id_event_data_and_a_blank_line(void **state)
{
	(void)state;
	static const char leaf[] = "{\"type\":\"message.created\",\"x\":1}";
	struct sse_frame *f = sse_frame_event(42, "message.created", leaf, sizeof leaf - 1);
	assert_non_null(f);
	static const char want[] = "id: 42\nevent: message.created\ndata: {\"type\":\"message.created\",\"x\":1}\n\n";
	assert_int_equal(sse_frame_len(f), sizeof want - 1);
	assert_memory_equal(sse_frame_data(f), want, sizeof want - 1);
	sse_frame_unref(f);
}

static void one_frame_shared_by_many_queues_lives_until_the_last_lets_go(void **state)
{
	(void)state;
	struct sse_queue q[3];
	char out[64];
	struct sse_frame *f = sse_frame_bytes("abcdef", 6);
	for (int i = 0; i < 3; i++) {
		sse_queue_init(&q[i]);
		assert_int_equal(sse_queue_push(&q[i], f), 0);
	}
	sse_frame_unref(f); /* the publisher's reference: the queues keep theirs */
	assert_int_equal(sse_queue_read(&q[0], out, sizeof out), 6);
	assert_memory_equal(out, "abcdef", 6);
	sse_queue_clear(&q[1]);
	assert_int_equal(sse_queue_read(&q[2], out, 4), 4); /* a partial read keeps the rest */
	assert_memory_equal(out, "abcd", 4);
	assert_int_equal(sse_queue_pending(&q[2]), 2);
	assert_int_equal(sse_queue_read(&q[2], out, sizeof out), 2);
	assert_memory_equal(out, "ef", 2);
	assert_int_equal(sse_queue_pending(&q[2]), 0);
	/* ASan reports a leak or a use after free if the count is wrong. */
}

static void reads_span_frames_in_order_and_the_ring_grows_and_shrinks(void **state)
{
	(void)state;
	struct sse_queue q;
	char want[4000], got[4000];
	size_t n = 0, m = 0;
	sse_queue_init(&q);
	for (int i = 0; i < 300; i++) { /* far more than the inline slots */
		char b[16];
		int len = snprintf(b, sizeof b, "<%d>", i);
		struct sse_frame *f = sse_frame_bytes(b, (size_t)len);
		assert_int_equal(sse_queue_push(&q, f), 0);
		sse_frame_unref(f);
		memcpy(want + n, b, (size_t)len);
		n += (size_t)len;
	}
	assert_int_equal(sse_queue_pending(&q), n);
	while (m < n) {
		size_t k = sse_queue_read(&q, got + m, 7); /* cuts across frame boundaries */
		assert_true(k > 0);
		m += k;
	}
	assert_memory_equal(got, want, n);
	assert_int_equal(sse_queue_pending(&q), 0);
	assert_ptr_equal(q.ring, q.inl); /* an idle queue holds no heap ring */
	sse_queue_clear(&q);
}

static void a_push_past_the_byte_cap_is_refused_and_changes_nothing(void **state)
{
	(void)state;
	struct sse_queue q;
	size_t big = SSE_QUEUE_MAX_BYTES / 2;
	char *data = calloc(1, big + 1);
	struct sse_frame *f = sse_frame_bytes(data, big), *one = sse_frame_bytes("x", 1);
	sse_queue_init(&q);
	assert_int_equal(sse_queue_push(&q, f), 0);
	assert_int_equal(sse_queue_push(&q, f), 0);
	assert_int_equal(sse_queue_pending(&q), SSE_QUEUE_MAX_BYTES);
	assert_int_equal(sse_queue_push(&q, one), -1);
	assert_int_equal(sse_queue_pending(&q), SSE_QUEUE_MAX_BYTES);
	sse_queue_clear(&q);
	assert_int_equal(sse_queue_pending(&q), 0);
	sse_frame_unref(f);
	sse_frame_unref(one);
	free(data);
}

static void a_send_the_socket_cannot_take_leaves_the_rest_queued_in_order(void **state)
{
	(void)state;
	int sv[2];
	struct sse_queue q;
	size_t total = 0, got = 0;
	static char want[256 * 1024], buf[256 * 1024];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int small = 4096;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	sse_queue_init(&q);
	for (int i = 0; i < 64; i++) { /* 64 frames of 3 KiB: far more than the socket holds */
		char rec[3072];
		memset(rec, 'a' + i % 26, sizeof rec);
		struct sse_frame *f = sse_frame_bytes(rec, sizeof rec);
		assert_int_equal(sse_queue_push(&q, f), 0);
		sse_frame_unref(f);
		memcpy(want + total, rec, sizeof rec);
		total += sizeof rec;
	}
	assert_int_equal(sse_queue_send(&q, sv[0]), 1); /* only part was taken */
	assert_true(sse_queue_pending(&q) > 0 && sse_queue_pending(&q) < total);
	while (sse_queue_pending(&q)) { /* the reader drains, the rest follows: nothing lost or repeated */
		ssize_t k = read(sv[1], buf + got, sizeof buf - got);
		assert_true(k > 0);
		got += (size_t)k;
		(void)sse_queue_send(&q, sv[0]);
	}
	while (got < total) {
		ssize_t k = read(sv[1], buf + got, sizeof buf - got);
		assert_true(k > 0);
		got += (size_t)k;
	}
	assert_int_equal(got, total);
	assert_memory_equal(buf, want, total);
	/* The peer has gone: a broken socket, not "try later". */
	close(sv[1]);
	struct sse_frame *f = sse_frame_bytes("late", 4);
	assert_int_equal(sse_queue_push(&q, f), 0);
	sse_frame_unref(f);
	assert_int_equal(sse_queue_send(&q, sv[0]), -1);
	sse_queue_clear(&q);
	close(sv[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_record_is_id_event_data_and_a_blank_line),
		cmocka_unit_test(one_frame_shared_by_many_queues_lives_until_the_last_lets_go),
		cmocka_unit_test(reads_span_frames_in_order_and_the_ring_grows_and_shrinks),
		cmocka_unit_test(a_push_past_the_byte_cap_is_refused_and_changes_nothing),
		cmocka_unit_test(a_send_the_socket_cannot_take_leaves_the_rest_queued_in_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
