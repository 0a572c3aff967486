/*
 * cot — Cursor-on-Target, the TAK protocol's XML events (docs/tak.md).
 *
 * Outbound: a track object (zone, deployment, activity, conflict) as the CoT
 * events a TAK client draws, or as t-x-d-d deletions once the object has
 * ended; a hotline message as GeoChat (b-t-f, chat room = track id). Inbound:
 * one event's XML parsed with expat into the few fields the gateway uses,
 * refusing DTDs and entity declarations (so no entity expansion at all) and
 * anything over COT_EVENT_MAX bytes.
 *
 * Pure: no I/O, no clock (the caller passes `now`), no globals. The mapping
 * table (types, affiliation, colours, remarks) is documented in docs/tak.md;
 * keep the two in step.
 */
#ifndef TQ_COT_H
#define TQ_COT_H

#include <jansson.h>
#include <stddef.h>
#include "core/tqerr.h"
#include "core/tqtime.h"

/* Largest inbound event, bytes (api.md, TAK gateway). */
#define COT_EVENT_MAX (64 * 1024)
/* Deepest element nesting accepted inbound. */
#define COT_DEPTH_MAX 32
/* A multi-part shape (MultiPolygon, GeometryCollection) is sent as at most
 * this many CoT events: part 0 has uid = object id, part k uid "<id>.<k>". */
#define COT_PARTS_MAX 64

/* A growing output buffer. Free with cot_buf_free(); a zeroed struct is empty. */
struct cot_buf {
	char *data;
	size_t len, cap;
};
void cot_buf_free(struct cot_buf *b);

/* Who receives the events: affiliation is "f" for objects of this party and
 * "n" for the others; `now` stamps time/start and derives stale times. */
struct cot_view {
	const char *party;
	tq_time now;
};

/* Whether an object of type ("zone", "deployment", "activity", "conflict")
 * is drawn in this state; otherwise its CoT is a deletion. */
int cot_object_shown(const char *type, const json_t *obj);

/* Appends the CoT of obj (borrowed) of type in track: its shape events when
 * cot_object_shown(), else one t-x-d-d per part. TQ_EINVALID for an unknown
 * type or an object without usable geometry; TQ_ENOMEM. */
TQ_MUST_USE int cot_object_xml(const char *type, const json_t *obj, const char *track, const struct cot_view *v,
			       struct cot_buf *out);

/* Appends the GeoChat of a hotline message object (borrowed). */
TQ_MUST_USE int cot_chat_xml(const json_t *msg, const struct cot_view *v, struct cot_buf *out);

/* Appends what a log event of event_type ("zone.declared", "message.created",
 * …) with payload (the object after the change) becomes for this viewer:
 * object CoT, GeoChat for message.created, nothing for anything else. */
TQ_MUST_USE int cot_log_event_xml(const char *event_type, const json_t *payload, const char *track,
				  const struct cot_view *v, struct cot_buf *out);

/* Appends the answer to a client's ping (t-x-c-t): a t-x-c-t-r pong. */
TQ_MUST_USE int cot_pong_xml(tq_time now, struct cot_buf *out);

/* ---- inbound -------------------------------------------------------------- */

enum cot_frame {
	COT_FRAME_MORE = 0,   /* no whole event yet: read more */
	COT_FRAME_EVENT = 1,  /* an event spans buf[*start, *end) */
	COT_FRAME_TOOBIG = 2, /* the pending event is over COT_EVENT_MAX: close */
};
/* Finds the first event in a TCP stream buffer: leading whitespace and NULs
 * are skipped (*start), the event ends after the first "</event>" (*end).
 * Nothing else is interpreted here; cot_parse decides what the bytes are. */
enum cot_frame cot_frame(const char *buf, size_t len, size_t *start, size_t *end);

struct cot_in {
	char type[64];
	char uid[128];
	int is_chat;           /* a <__chat> element was present */
	char chatroom[128];    /* __chat@chatroom */
	char chat_id[128];     /* __chat@id */
	char sender[128];      /* __chat@senderCallsign */
	char *remarks;         /* owned text of detail/remarks (UTF-8), NULL if none */
};
/* Parses one event. TQ_ETOOBIG over COT_EVENT_MAX; TQ_EFORBIDDEN for a DTD,
 * entity declaration or external entity; TQ_EMALFORMED for anything that is
 * not well-formed XML with a root <event type=…>, or nested over
 * COT_DEPTH_MAX; TQ_ENOMEM. On failure *out is cleared. */
TQ_MUST_USE int cot_parse(const char *xml, size_t len, struct cot_in *out);
void cot_in_clear(struct cot_in *in);

#endif
