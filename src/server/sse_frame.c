#include "server/sse_frame.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define SEND_IOV_MAX 32
#define QUEUE_SLOTS_MAX 65536u /* with the byte cap, bounds the ring of a client full of heartbeats */

struct sse_frame {
	atomic_uint refs;
	size_t len;
	char data[];
};

static struct sse_frame *frame_alloc(size_t len)
{
	struct sse_frame *f = malloc(sizeof *f + len);
	if (!f)
		return NULL;
	atomic_init(&f->refs, 1);
	f->len = len;
	return f;
}

struct sse_frame *sse_frame_event(uint64_t index, const char *type, const char *leaf, size_t leaf_len)
{
	char head[160];
	int h = snprintf(head, sizeof head, "id: %" PRIu64 "\nevent: %.64s\ndata: ", index, type);
	struct sse_frame *f;
	if (h < 0 || !(f = frame_alloc((size_t)h + leaf_len + 2)))
		return NULL;
	memcpy(f->data, head, (size_t)h);
	memcpy(f->data + h, leaf, leaf_len);
	memcpy(f->data + (size_t)h + leaf_len, "\n\n", 2);
	return f;
}

struct sse_frame *sse_frame_bytes(const char *data, size_t len)
{
	struct sse_frame *f = frame_alloc(len);
	if (f)
		memcpy(f->data, data, len);
	return f;
}

struct sse_frame *sse_frame_ref(struct sse_frame *f)
{
	atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
	return f;
}

void sse_frame_unref(struct sse_frame *f)
{
	if (f && atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1)
		free(f);
}

const char *sse_frame_data(const struct sse_frame *f)
{
	return f->data;
}

size_t sse_frame_len(const struct sse_frame *f)
{
	return f->len;
}

/* ---- queue ------------------------------------------------------------------ */

void sse_queue_init(struct sse_queue *q)
{
	memset(q, 0, sizeof *q);
	q->ring = q->inl;
	q->cap = SSE_QUEUE_INLINE;
}

static struct sse_frame **slot(struct sse_queue *q, unsigned i)
{
	return &q->ring[(q->head + i) % q->cap];
}

/* Drops the first frame. */
static void pop(struct sse_queue *q)
{
	sse_frame_unref(*slot(q, 0));
	q->head = (q->head + 1) % q->cap;
	q->count--;
	q->off = 0;
	if (q->count == 0 && q->ring != q->inl) {
		/* A burst's ring is not kept by an idle subscriber. */
		free(q->ring);
		q->ring = q->inl;
		q->cap = SSE_QUEUE_INLINE;
		q->head = 0;
	}
}

void sse_queue_clear(struct sse_queue *q)
{
	while (q->count)
		pop(q);
	q->bytes = 0;
	q->off = 0;
}

int sse_queue_push(struct sse_queue *q, struct sse_frame *f)
{
	if (q->bytes + f->len > SSE_QUEUE_MAX_BYTES)
		return -1;
	if (q->count == q->cap) {
		if (q->cap >= QUEUE_SLOTS_MAX)
			return -1;
		unsigned cap = q->cap * 4;
		struct sse_frame **ring = malloc(cap * sizeof *ring);
		if (!ring)
			return -1;
		for (unsigned i = 0; i < q->count; i++)
			ring[i] = *slot(q, i);
		if (q->ring != q->inl)
			free(q->ring);
		q->ring = ring;
		q->cap = cap;
		q->head = 0;
	}
	*slot(q, q->count) = sse_frame_ref(f);
	q->count++;
	q->bytes += f->len;
	return 0;
}

/* Marks n bytes as taken from the front. */
static void consume(struct sse_queue *q, size_t n)
{
	q->bytes -= n;
	while (n) {
		struct sse_frame *f = *slot(q, 0);
		size_t left = f->len - q->off;
		if (n < left) {
			q->off += n;
			return;
		}
		n -= left;
		pop(q);
	}
	/* Empty frames (none are built, but the rule holds) leave nothing behind. */
	while (q->count && (*slot(q, 0))->len == q->off)
		pop(q);
}

size_t sse_queue_read(struct sse_queue *q, char *out, size_t max)
{
	size_t done = 0;
	for (unsigned i = 0; i < q->count && done < max; i++) {
		const struct sse_frame *f = *slot(q, i);
		size_t from = i == 0 ? q->off : 0;
		size_t n = f->len - from < max - done ? f->len - from : max - done;
		memcpy(out + done, f->data + from, n);
		done += n;
	}
	consume(q, done);
	return done;
}

int sse_queue_send(struct sse_queue *q, int fd)
{
	while (q->count) {
		struct iovec iov[SEND_IOV_MAX];
		unsigned n = 0;
		size_t want = 0;
		for (; n < q->count && n < SEND_IOV_MAX; n++) {
			struct sse_frame *f = *slot(q, n);
			size_t from = n == 0 ? q->off : 0;
			iov[n].iov_base = f->data + from;
			iov[n].iov_len = f->len - from;
			want += f->len - from;
		}
		struct msghdr m = {.msg_iov = iov, .msg_iovlen = n};
		ssize_t sent = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (sent < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -1;
		}
		consume(q, (size_t)sent);
		if ((size_t)sent < want)
			return 1;
	}
	return 0;
}
