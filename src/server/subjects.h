/*
 * subjects — what the handlers of zones, deployments and activities share:
 * the one commit of a subject's change (object + event + deadlines +
 * conflicts, answered with the subject's conflicts), loading and answering
 * one, and the list with its filters (?status=, ?kind=, ?at=, ?bbox=).
 */
#ifndef TQ_SUBJECTS_H
#define TQ_SUBJECTS_H

#include <jansson.h>
#include "core/change.h"
#include "core/subject.h"
#include "server/http.h"
#include "server/reconcile.h"

/* Stages in c the change ch (from a core transition) of subject obj of type
 * t (a reference is kept: do not change obj afterwards): the object with its
 * event, the deadlines, and the conflicts it opens or resolves. s (taken,
 * may be NULL) is the parsed new state. *conflicts (owned, may be NULL when
 * the engine is not concerned) = the subject's unresolved conflicts. */
TQ_MUST_USE int subjects_stage(struct commit *c, const json_t *track, struct track_engine *te, enum subject_type t,
			       json_t *obj, struct subject *s, const struct change *ch, json_t **conflicts);
/* subjects_stage in the request's batch, then answers `status` with a copy
 * of obj and its "conflicts" (unless the engine was not concerned). */
TQ_MUST_USE int subjects_commit(struct req *r, const json_t *track, struct track_engine *te, enum subject_type t,
				json_t *obj, struct subject *s, const struct change *ch, int status);
/* Fails the request with a refused transition's error. Returns err. */
int subjects_refuse(struct req *r, int err, const struct change *ch);

/* Loads the object r->param[1] of type t in track r->param[0] if the caller
 * sees it; 404 otherwise (via req_fail). */
TQ_MUST_USE int subjects_load(struct req *r, const char *role, enum subject_type t, json_t **out);
/* GET one: answers obj (taken) with "conflicts" when the caller may see conflicts. */
TQ_MUST_USE int subjects_answer(struct req *r, const char *role, json_t *obj);
/* Answers a list of type t with ?status=, ?kind= (zones, activities), ?at=, ?bbox=. */
TQ_MUST_USE int subjects_list(struct req *r, enum subject_type t, const char *const *statuses);
/* Whether obj's footprint may meet bbox (declared geometry grown by radius_m
 * / width_m): a prefilter as exact as a bounding box can be. */
int subjects_in_bbox(const json_t *obj, const double bbox[4]);
/* Whether time at lies in obj's window (open ends allowed). */
int subjects_at(const json_t *obj, enum subject_type t, tq_time at);
/* Parses ?bbox= (4 finite numbers) and ?at=; *has_* tell whether given. 422 on bad values. */
TQ_MUST_USE int subjects_query_where(struct req *r, double bbox[4], int *has_bbox, tq_time *at, int *has_at);
/* Rewrites the window of obj from the parsed subject: RFC 3339 UTC "Z" form,
 * and an explicit start for deployments (their default is "now"). */
void subjects_normalize(json_t *obj, const struct subject *s);
/* 422 (field "owner") unless owner is a principal of the track (rule 9). */
TQ_MUST_USE int subjects_check_owner(struct req *r, const json_t *track, const char *owner);
/* The principals of the track. */
void subjects_principals(const json_t *track, struct party_set *out);
/* The subject parsed from obj (the stored shape after the change), as the
 * caller declares it; 4xx via req_fail_field. *out owned. */
TQ_MUST_USE int subjects_parse(struct req *r, enum subject_type t, const json_t *obj, const char *id,
			       struct subject **out);

#endif
