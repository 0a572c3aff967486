#include "server/cmap.h"

#include <stdlib.h>
#include <string.h>

static void ref_release(struct cmap_ref *c)
{
	for (size_t i = 0; i < c->nsubs; i++)
		free(c->subs[i]);
	free(c->subs);
	free(c->id);
	free(c->key);
}

void cmap_clear(struct cmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		ref_release(&m->refs[i]);
	free(m->refs);
	m->refs = NULL;
	m->n = m->cap = 0;
}

void cmap_drop(struct cmap *m, size_t i)
{
	ref_release(&m->refs[i]);
	m->refs[i] = m->refs[--m->n];
}

int cmap_add(struct cmap *m, const json_t *c, int settled)
{
	const char *id, *key, *kind;
	json_t *subs;
	struct cmap_ref *r;
	if (json_unpack((json_t *)c, "{s:s, s:s, s:s, s:o}", "id", &id, "key", &key, "kind", &kind, "subjects", &subs) ||
	    !json_is_array(subs))
		return TQ_EINTERNAL;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct cmap_ref *n = realloc(m->refs, cap * sizeof *n);
		if (!n)
			return TQ_ENOMEM;
		m->refs = n;
		m->cap = cap;
	}
	r = &m->refs[m->n];
	*r = (struct cmap_ref){0};
	r->limitation = strcmp(kind, "limitation_exceeded") == 0;
	r->settled = settled;
	if (!(r->id = strdup(id)) || !(r->key = strdup(key)) ||
	    !(r->subs = calloc(json_array_size(subs) + 1, sizeof *r->subs)))
		goto fail;
	for (size_t i = 0; i < json_array_size(subs); i++) {
		const char *sid = "";
		if (json_unpack(json_array_get(subs, i), "{s:s}", "id", &sid))
			sid = "";
		if (!(r->subs[i] = strdup(sid)))
			goto fail;
		r->nsubs++;
	}
	m->n++;
	return 0;
fail:
	ref_release(r);
	return TQ_ENOMEM;
}

int cmap_involves(const struct cmap_ref *c, const char *id)
{
	for (size_t i = 0; i < c->nsubs; i++)
		if (!strcmp(c->subs[i], id))
			return 1;
	return 0;
}

struct cmap_ref *cmap_by_key(struct cmap *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->refs[i].key, key))
			return &m->refs[i];
	return NULL;
}
