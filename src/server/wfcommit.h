/*
 * wfcommit — how the workflow handlers (hotline, threats, disputes, meetings)
 * and their sweeper kinds write: one call per changed object, staged in a
 * batch (commit.h): the request's, built with no transaction open, or the
 * sweeper's. It stages the object, each event core asked for with its
 * audience (everyone who saw the object before or sees it after, plus
 * overseers when the event says so) and the deadlines to set or clear;
 * commit_apply writes them in one transaction and publication follows the
 * commit.
 */
#ifndef TQ_WFCOMMIT_H
#define TQ_WFCOMMIT_H

#include <jansson.h>
#include "core/effects.h"
#include "server/app.h"
#include "server/commit.h"

struct wf_write {
	const char *type;          /* store type: "message", "threat", … */
	const char *id, *track;
	const char *party, *status; /* the store's index columns */
	int64_t seq;               /* 0 when the type has none */
	const json_t *before;      /* the stored state before the change; NULL for a new object */
	const json_t *after;       /* the new state: stored, and the payload of every event */
};

/* Stages w->after and fx in batch c; the events carry c's actor and time.
 * track is the track's JSON (its members decide audiences). Returns 0 or a
 * tq_err (nothing is written: the caller answers it and frees the batch). */
TQ_MUST_USE int wfcommit(struct commit *c, const json_t *track, const struct wf_write *w, const struct effects *fx);

/* The actor of a request or of the sweeper, for core. Borrows from w. */
static inline struct actor wf_actor(const struct who *w)
{
	return (struct actor){w->party[0] ? w->party : NULL, w->user};
}

#endif
