#include "server/wfcommit.h"

#include "server/auth.h"

/* Stages the change in c: commit.c is the one writer of objects and events. */
int wfcommit(struct commit *c, const json_t *track, const struct wf_write *w, const struct effects *fx)
{
	char audience[AUTH_AUDIENCE_MAX];
	struct store_obj_meta m = {w->id, w->track, w->type, w->party, w->status, w->seq};
	json_t *after;
	int rc;

	if (!c)
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
