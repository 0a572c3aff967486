/*
 * sse_frame — Server-Sent Events records built once and shared, and the
 * per-subscriber queue that holds them.
 *
 * A frame is an immutable, reference-counted byte string: one SSE record
 * ("id: <index>\nevent: <type>\ndata: <leaf>\n\n"), a comment, or a batch of
 * records read from the store. The hub builds each event's record once and
 * queues the same frame to every subscriber that may see it; the last
 * reference frees it. References may be taken and dropped from any thread.
 *
 * A queue is a subscriber's pending bytes: a FIFO of frame references and an
 * offset into the first. It is not locked (its owner serialises access) and
 * holds at most SSE_QUEUE_MAX_BYTES unsent bytes; a push that would pass that
 * fails and leaves the queue as it was. A queue empties either into a buffer
 * (the libmicrohttpd content reader) or straight into a non-blocking socket
 * (sse_queue_send), never both at once: the caller decides which owns the
 * socket. No I/O here except that send.
 */
#ifndef TQ_SSE_FRAME_H
#define TQ_SSE_FRAME_H

#include <stddef.h>
#include <stdint.h>

struct sse_frame;

/* One SSE record for a log event; type is cut at 64 bytes. NULL when out of memory. */
struct sse_frame *sse_frame_event(uint64_t index, const char *type, const char *leaf, size_t leaf_len);
/* A frame holding a copy of data (comments, catch-up batches). NULL when out of memory. */
struct sse_frame *sse_frame_bytes(const char *data, size_t len);
struct sse_frame *sse_frame_ref(struct sse_frame *f);
void sse_frame_unref(struct sse_frame *f); /* NULL is a no-op */
const char *sse_frame_data(const struct sse_frame *f);
size_t sse_frame_len(const struct sse_frame *f);

#define SSE_QUEUE_MAX_BYTES (512 * 1024)
#define SSE_QUEUE_INLINE 4 /* frame slots held without allocating (an idle subscriber's) */

struct sse_queue {
	struct sse_frame **ring; /* == inl until it grows */
	struct sse_frame *inl[SSE_QUEUE_INLINE];
	unsigned cap, head, count;
	size_t off;   /* bytes of ring[head] already taken */
	size_t bytes; /* unsent bytes in the queue */
};

void sse_queue_init(struct sse_queue *q);
/* Drops every frame and frees the ring. The queue may be used again after sse_queue_init. */
void sse_queue_clear(struct sse_queue *q);
/* Appends a new reference to f. -1 (queue unchanged) when the queue would
 * pass SSE_QUEUE_MAX_BYTES or memory runs out, else 0. */
int sse_queue_push(struct sse_queue *q, struct sse_frame *f);
static inline size_t sse_queue_pending(const struct sse_queue *q)
{
	return q->bytes;
}
/* Copies up to max bytes out, dropping the frames wholly taken. Returns the count. */
size_t sse_queue_read(struct sse_queue *q, char *out, size_t max);
/* Sends the queue to a non-blocking stream socket (one sendmsg of up to 32
 * frames at a time, MSG_NOSIGNAL). Returns 0 when everything was sent, 1 when
 * the socket took only part (the rest stays queued), -1 on a socket error
 * (the connection is broken; the queue is left as it was after the last
 * successful send). */
int sse_queue_send(struct sse_queue *q, int fd);

#endif
