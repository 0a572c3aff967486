/*
 * message — the hotline's workflow (api.md, Hotline; Precise rules 4, 7–9).
 *
 * A message goes to "all" (every member who reads messages: principals,
 * mediators, supervisors and hosts) or to a list of such members. Its
 * addressees are those parties but the sender; when an acknowledgement is
 * required (by default for immediate and flash) they are "awaiting" and a
 * "message.ack" deadline is set at now + the track's ack_deadline for the
 * precedence. Each addressee acknowledges once (403 for others, 409 twice);
 * the last one clears the deadline. When the deadline fires with an addressee
 * still awaiting, the message is escalated once: message.escalated goes to
 * everyone who sees the message and always to mediator and supervisor.
 *
 * The typed struct holds what the workflow decides on; subject, body, refs and
 * acknowledgements travel in `doc` unchanged (byte-exact text of any script).
 */
#ifndef TQ_MESSAGE_H
#define TQ_MESSAGE_H

#include <jansson.h>
#include "core/effects.h"
#include "core/fielderr.h"
#include "core/settings.h"
#include "core/visibility.h"

#define MESSAGE_TYPE "message"
#define MESSAGE_ACK_KIND "message.ack"

struct message {
	char id[WF_ID_BUFSZ], track[WF_ID_BUFSZ], from[VIS_PARTY_BUFSZ];
	int64_t seq;
	int to_all;
	struct vis_parties to;          /* when !to_all */
	enum precedence precedence;
	int ack_required;
	tq_time ack_due;                /* TQ_TIME_MIN: none */
	struct vis_parties addressees;  /* who is asked to acknowledge */
	struct vis_parties awaiting;    /* addressees the deadline still waits for */
	struct vis_parties acks;        /* who has acknowledged, in order */
	int escalated;
	tq_time escalated_at;           /* TQ_TIME_MIN: not escalated */
	struct stamp stamp;
	json_t *doc;                    /* owned: subject, body, refs, acknowledgements */
};

/* A new message as the request asked for it. Strings and JSON borrowed. */
struct message_draft {
	const char *id, *track;
	int64_t seq;                    /* the track's next seq */
	const json_t *to;               /* "all" or [party…], unchecked */
	const char *precedence;         /* "routine" … "flash" */
	const char *subject, *body;
	const json_t *refs;             /* [{type, id}], shape-checked; NULL = [] */
	int ack_required;               /* -1: the precedence's default */
};

/* Whether a role may send messages (principal, mediator, supervisor). */
int message_may_send(enum vis_role role);

/* A new message from `by` (a member who may send). Refusals: 403 a role that
 * may not send; 400 `to` of a wrong type; 422 `to` empty, not a member, an
 * observer, listed twice; empty subject or body; unknown precedence.
 * Effects: message.created; the ack deadline when someone must acknowledge. */
TQ_MUST_USE int message_create(const struct vis_track *t, const struct track_settings *s,
			       const struct message_draft *d, const struct actor *by, tq_time now,
			       struct message *out, struct effects *fx, struct tq_field_error *fe);

/* `party` acknowledges. 403 not an addressee; 409 already acknowledged.
 * Effects: message.acked (to overseers too once escalated); clears the
 * deadline when nobody is awaited any more. */
TQ_MUST_USE int message_ack(struct message *m, const char *party, tq_time now, struct effects *fx,
			    struct tq_field_error *fe);

/* The ack deadline fired. Escalates once while an addressee is awaited
 * (message.escalated with oversight); otherwise no effect. */
void message_ack_due(struct message *m, tq_time now, struct effects *fx);

/* "escalated", "complete" (nobody awaited) or "open": the store's status column. */
const char *message_status(const struct message *m);

/* Reads a stored message (deep-copies the JSON); TQ_EINVALID if it is not one. */
TQ_MUST_USE int message_from_json(const json_t *j, struct message *out);
/* The message in the contract's shape. Returns owned. */
json_t *message_to_json(const struct message *m);
void message_free(struct message *m);

#endif
