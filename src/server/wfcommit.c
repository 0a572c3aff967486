#include "server/wfcommit.h"

#include "server/auth.h"
#include "server/sweeper.h"

int wfcommit(struct app *a, const struct who *actor, tq_time now, const json_t *track, const struct wf_write *w,
	     const struct effects *fx)
{
	char audience[AUTH_AUDIENCE_MAX];
	struct store_obj_meta m = {w->id, w->track, w->type, w->party, w->status, w->seq};
	int rc = store_obj_put(a->store, &m, w->after);
	for (size_t i = 0; rc == TQ_OK && i < fx->nev; i++) {
		rc = auth_audience(track, w->type, w->before, w->after, fx->ev[i].oversight, audience, sizeof audience);
		if (rc == TQ_OK)
			rc = app_emit(a, actor, now, fx->ev[i].type, w->track, audience, w->after, NULL);
	}
	for (size_t i = 0; rc == TQ_OK && i < fx->ndl; i++) {
		const struct effects_deadline *d = &fx->dl[i];
		if (d->clear) {
			rc = store_deadline_clear(a->store, w->id, d->kind);
			if (rc == TQ_ENOTFOUND)
				rc = TQ_OK;
		} else {
			rc = sweeper_schedule(a, w->track, w->id, d->kind, d->due);
		}
	}
	return rc;
}
