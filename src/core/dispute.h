/*
 * dispute — complaints of one party against another, with deadlines and
 * mediation (api.md, Disputes; Precise rules 4, 7–9).
 *
 * States: open → responded → in_mediation → resolved, and withdrawn from any
 * state that is not final (mediation may also start straight from open).
 * resolved and withdrawn are final: acting again answers 409.
 * Who: a principal opens a dispute against another member who sees disputes;
 * only the party complained against responds; mediator or supervisor mediate
 * and resolve (a principal never resolves); only the complainant withdraws.
 * Who is checked before the state (rule 8: 403 before 409).
 * Deadlines: "dispute.respond" at respond_by (now + dispute_response) fires
 * while the dispute is still open; "dispute.resolve" at resolve_by (now +
 * dispute_resolution) fires unless it is final. Each escalation sets
 * escalated, appends to escalations and emits dispute.escalated for everyone
 * who sees disputes plus mediator and supervisor. Steps clear the deadlines
 * they make moot.
 */
#ifndef TQ_DISPUTE_H
#define TQ_DISPUTE_H

#include <jansson.h>
#include "core/effects.h"
#include "core/fielderr.h"
#include "core/settings.h"
#include "core/visibility.h"

#define DISPUTE_TYPE "dispute"
#define DISPUTE_RESPOND_KIND "dispute.respond"
#define DISPUTE_RESOLVE_KIND "dispute.resolve"

enum dispute_status { DISPUTE_OPEN, DISPUTE_RESPONDED, DISPUTE_IN_MEDIATION, DISPUTE_RESOLVED, DISPUTE_WITHDRAWN };
enum dispute_step { DISPUTE_STEP_RESPOND, DISPUTE_STEP_MEDIATE, DISPUTE_STEP_RESOLVE, DISPUTE_STEP_WITHDRAW };

struct dispute {
	char id[WF_ID_BUFSZ], track[WF_ID_BUFSZ];
	char complainant[VIS_PARTY_BUFSZ], against[VIS_PARTY_BUFSZ];
	enum dispute_status status;
	tq_time respond_by, resolve_by;
	int escalated;
	struct stamp stamp;
	json_t *doc;   /* owned: subject, description, refs, history, escalations, step texts */
};

struct dispute_draft {
	const char *id, *track, *against, *subject, *description;
	const json_t *refs;   /* checked by the caller against the store; NULL = [] */
};

int dispute_status_parse(const char *s);
const char *dispute_status_name(enum dispute_status s);
int dispute_final(const struct dispute *d);
int dispute_may_open(enum vis_role role);
/* The optional text field a step records ("response", "note", "outcome", "reason"). */
const char *dispute_step_field(enum dispute_step step);

/* 403 not a principal; 422 empty subject, against not a member / the
 * complainant / a member who cannot see disputes. Effects: dispute.opened,
 * both deadlines. */
TQ_MUST_USE int dispute_open(const struct vis_track *t, const struct track_settings *s,
			     const struct dispute_draft *d, const struct actor *by, tq_time now, struct dispute *out,
			     struct effects *fx, struct tq_field_error *fe);

/* Whether a member (role, party) may take the step now: 403 then 409. */
TQ_MUST_USE int dispute_may(const struct dispute *d, enum dispute_step step, enum vis_role role, const char *party,
			    struct tq_field_error *fe);
/* Takes the step, recording text (may be NULL; required and non-empty for
 * resolve: 422). Effects: the step's event; deadlines made moot cleared. */
TQ_MUST_USE int dispute_act(struct dispute *d, enum dispute_step step, enum vis_role role, const struct actor *by,
			    const char *text, tq_time now, struct effects *fx, struct tq_field_error *fe);
/* A deadline of kind DISPUTE_RESPOND_KIND or DISPUTE_RESOLVE_KIND fired:
 * escalates when it was missed (the state decides), otherwise no effect. */
void dispute_deadline(struct dispute *d, const char *kind, tq_time now, struct effects *fx);

TQ_MUST_USE int dispute_from_json(const json_t *j, struct dispute *out);
json_t *dispute_to_json(const struct dispute *d);
void dispute_free(struct dispute *d);

#endif
