/*
 * pending — see pending.h. Linear lists: a batch changes a handful of
 * subjects, and they live only until its commit.
 */
#include "core/pending.h"

#include <stdlib.h>

int pending_has(const struct pending *p, const struct subject *s)
{
	for (size_t i = 0; i < p->nmarked; i++)
		if (p->marked[i] == s)
			return 1;
	return 0;
}

int pending_mark(struct pending *p, const struct subject *s)
{
	if (pending_has(p, s))
		return 0;
	if (p->nmarked == p->capmarked) {
		size_t cap = p->capmarked ? p->capmarked * 2 : 8;
		const struct subject **n = realloc(p->marked, cap * sizeof *n);
		if (!n)
			return TQ_ENOMEM;
		p->marked = n;
		p->capmarked = cap;
	}
	p->marked[p->nmarked++] = s;
	return 0;
}

void pending_unmark(struct pending *p, const struct subject *s)
{
	for (size_t i = 0; i < p->nmarked; i++)
		if (p->marked[i] == s) {
			p->marked[i] = p->marked[--p->nmarked];
			return;
		}
}

int pending_shadow(struct pending *p, struct geo_ctx *geo, struct subject *s)
{
	if (p->nshadows == p->capshadows) {
		size_t cap = p->capshadows ? p->capshadows * 2 : 8;
		struct subject **n = realloc(p->shadows, cap * sizeof *n);
		if (!n) {
			subject_free(geo, s);
			return TQ_ENOMEM;
		}
		p->shadows = n;
		p->capshadows = cap;
	}
	p->shadows[p->nshadows++] = s;
	return 0;
}

int pending_any(const struct pending *p)
{
	return p->nmarked || p->nshadows;
}

void pending_commit(struct pending *p, struct geo_ctx *geo)
{
	for (size_t i = 0; i < p->nshadows; i++)
		subject_free(geo, p->shadows[i]);
	p->nshadows = 0;
	p->nmarked = 0;
}

void pending_clear(struct pending *p, struct geo_ctx *geo)
{
	pending_commit(p, geo);
	free(p->shadows);
	free(p->marked);
	p->shadows = NULL;
	p->marked = NULL;
	p->capshadows = p->capmarked = 0;
}
