/*
 * deployment — the workflow of a declared force position (api.md
 * Deployments; Precise rules 7, 8).
 *
 * A deployment is "active" from its declaration until its declaring party
 * withdraws it ("withdrawn": its unresolved conflicts resolve "withdrawn").
 * Only the declaring party changes it, and only while active. Each change
 * re-checks it (and the limitation zones it was or is counted in). Events:
 * deployment.declared, deployment.modified, deployment.withdrawn.
 *
 * struct deployment is the workflow state; footprint, window and strength
 * are the subject's (subject.h). Transitions are pure.
 */
#ifndef TQ_DEPLOYMENT_H
#define TQ_DEPLOYMENT_H

#include <jansson.h>
#include <stdint.h>
#include "core/change.h"

enum deployment_status { DEPLOYMENT_ACTIVE, DEPLOYMENT_WITHDRAWN };

struct deployment {
	enum deployment_status status;
	char declared_by[CHANGE_PARTY_BYTES];
	int64_t version;
	tq_time withdrawn_at, updated_at; /* TQ_TIME_MIN when unset */
};

const char *deployment_status_name(enum deployment_status s);
/* -1 for an unknown name. */
int deployment_status_parse(const char *s);

/* TQ_EINVALID when a field of the stored object is missing or wrong. */
TQ_MUST_USE int deployment_from_json(const json_t *obj, struct deployment *out);
/* Writes status, declared_by, version and the set timestamps. 0 or TQ_ENOMEM. */
TQ_MUST_USE int deployment_to_json(const struct deployment *d, json_t *obj);

/* A new deployment declared by party. */
TQ_MUST_USE int deployment_declare(struct deployment *d, const char *party, struct change *out);
/* The declaring party (403) changes an active (409) deployment. */
TQ_MUST_USE int deployment_modify(struct deployment *d, const char *party, tq_time now, struct change *out);
/* The declaring party (403) withdraws an active (409) deployment. */
TQ_MUST_USE int deployment_withdraw(struct deployment *d, const char *party, tq_time now, struct change *out);

#endif
