/*
 * threat — threat reports referred to a party able to act (api.md, Threat
 * reports; Precise rules 4, 7–9).
 *
 * A principal reports a threat and refers it to another member who sees
 * threats (principal, mediator or supervisor). It starts "referred" with a
 * "threat.respond" deadline at respond_by (default now + threat_response).
 * Only the referred party responds: "acknowledged" keeps it open;
 * "neutralized", "unable" and "disputed" close it (409 afterwards, and for
 * the same answer twice) and clear the deadline. A threat still open when the
 * deadline fires becomes "lapsed": threat.lapsed goes to everyone who sees
 * threats and always to mediator and supervisor.
 *
 * Typed: what the workflow decides on; category, geometry, observed_at,
 * description, confidence and responses travel in `doc`.
 */
#ifndef TQ_THREAT_H
#define TQ_THREAT_H

#include <jansson.h>
#include "core/effects.h"
#include "core/fielderr.h"
#include "core/settings.h"
#include "core/visibility.h"

#define THREAT_TYPE "threat"
#define THREAT_RESPOND_KIND "threat.respond"
/* observed_at may lead the server clock by this much (clock skew), no more. */
#define THREAT_CLOCK_SKEW_MS (5 * 60 * 1000)

enum threat_status { THREAT_REFERRED, THREAT_ACKNOWLEDGED, THREAT_NEUTRALIZED, THREAT_UNABLE, THREAT_DISPUTED,
		     THREAT_LAPSED };

struct threat {
	char id[WF_ID_BUFSZ], track[WF_ID_BUFSZ];
	char reported_by[VIS_PARTY_BUFSZ], refer_to[VIS_PARTY_BUFSZ];
	enum threat_status status;
	tq_time respond_by;
	tq_time closed_at;    /* TQ_TIME_MIN while open */
	struct stamp stamp;
	json_t *doc;          /* owned */
};

struct threat_draft {
	const char *id, *track;
	const char *category, *description, *confidence, *refer_to;
	const json_t *geometry;   /* validated by the caller (core/geo.h) */
	tq_time observed_at;
	tq_time respond_by;       /* TQ_TIME_MIN: now + the track's threat_response */
};

/* "referred" … "lapsed" ↔ enum; -1 when unknown. */
int threat_status_parse(const char *s);
const char *threat_status_name(enum threat_status s);
int threat_closed(const struct threat *t);
/* Whether a role may report threats (principals). */
int threat_may_report(enum vis_role role);

/* 403 a reporter who is not a principal; 422 empty category, observed_at in
 * the future (beyond the skew), refer_to not a member / the reporter itself /
 * a member who cannot see threats, respond_by in the past, unknown confidence.
 * Effects: threat.reported; the respond deadline. */
TQ_MUST_USE int threat_create(const struct vis_track *t, const struct track_settings *s,
			      const struct threat_draft *d, const struct actor *by, tq_time now, struct threat *out,
			      struct effects *fx, struct tq_field_error *fe);

/* Whether `party` may respond now: 403 not the referred party, 409 closed. */
TQ_MUST_USE int threat_may_respond(const struct threat *t, const char *party, struct tq_field_error *fe);
/* The referred party answers action ("acknowledged" | "neutralized" |
 * "unable" | "disputed") with an optional note. Refusals as
 * threat_may_respond, plus 422 unknown action, 409 the same answer again.
 * Effects: threat.responded; the deadline cleared when the answer closes it. */
TQ_MUST_USE int threat_respond(struct threat *t, const struct actor *by, const char *action, const char *note,
			       tq_time now, struct effects *fx, struct tq_field_error *fe);
/* The respond deadline fired: an open threat lapses (threat.lapsed, oversight). */
void threat_lapse(struct threat *t, tq_time now, struct effects *fx);

TQ_MUST_USE int threat_from_json(const json_t *j, struct threat *out);
json_t *threat_to_json(const struct threat *t);
void threat_free(struct threat *t);

#endif
