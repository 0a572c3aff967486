#include "server/wfcommit.h"

#include "server/auth.h"
#include "server/commit.h"

/* Stages the change in the request's batch (no transaction is open while a
 * handler runs) or in the sweeper's open batch: commit.c is the one writer of
 * objects and events. */
int wfcommit(struct app *a, const struct who *actor, tq_time now, const json_t *track, const struct wf_write *w,
	     const struct effects *fx)
{
	char audience[AUTH_AUDIENCE_MAX];
	struct commit *c = a->open_batch ? a->open_batch : a->staging;
	struct store_obj_meta m = {w->id, w->track, w->type, w->party, w->status, w->seq};
	json_t *after;
	int rc;

	/* The batch records its own actor and time; the callers pass the same. */
	if (!c || commit_actor(c) != actor || commit_now(c) != now)
		return TQ_EINTERNAL;
	if (!(after = json_deep_copy(w->after))) /* the batch keeps it: the caller may change w->after */
		return TQ_ENOMEM;
	rc = commit_put(c, &m, after);
	for (size_t i = 0; rc == TQ_OK && i < fx->nev; i++) {
		rc = auth_audience(track, w->type, w->before, w->after, fx->ev[i].oversight, audience, sizeof audience);
		if (rc == TQ_OK)
			rc = commit_event(c, fx->ev[i].type, w->track, audience, w->after);
	}
	for (size_t i = 0; rc == TQ_OK && i < fx->ndl; i++) {
		const struct effects_deadline *d = &fx->dl[i];
		rc = d->clear ? commit_deadline_clear(c, w->id, d->kind)
			      : commit_deadline(c, w->track, w->id, d->kind, d->due);
	}
	json_decref(after);
	return rc;
}
