/*
 * wfcommit — how the workflow handlers (hotline, threats, disputes, meetings)
 * and their sweeper kinds write: one call per changed object, inside the
 * request's (or the sweeper's) transaction. It stores the object, appends
 * each event core asked for with its audience (everyone who saw the object
 * before or sees it after, plus overseers when the event says so) and sets
 * or clears the deadlines; publication follows the commit (app_emit).
 *
 * This is the seam to the server's one commit path: when that lands, only
 * this function changes.
 */
#ifndef TQ_WFCOMMIT_H
#define TQ_WFCOMMIT_H

#include <jansson.h>
#include "core/effects.h"
#include "server/app.h"

struct wf_write {
	const char *type;          /* store type: "message", "threat", … */
	const char *id, *track;
	const char *party, *status; /* the store's index columns */
	int64_t seq;               /* 0 when the type has none */
	const json_t *before;      /* the stored state before the change; NULL for a new object */
	const json_t *after;       /* the new state: stored, and the payload of every event */
};

/* Stores w->after and applies fx. track is the track's JSON (its members
 * decide audiences). Returns 0 or a tq_err (the caller rolls back). */
TQ_MUST_USE int wfcommit(struct app *a, const struct who *actor, tq_time now, const json_t *track,
			 const struct wf_write *w, const struct effects *fx);

/* The actor of a request or of the sweeper, for core. Borrows from w. */
static inline struct actor wf_actor(const struct who *w)
{
	return (struct actor){w->party[0] ? w->party : NULL, w->user};
}

#endif
