/*
 * commit — see commit.h. A batch is a list of operations in staging order
 * and a list of after-commit actions. Applying walks the operations inside
 * one store transaction; the events' publications are after-commit actions
 * appended as each event is staged, so they run in log order.
 */
#include "server/commit.h"

#include "server/group.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/event.h"
#include "core/event_types.h"

enum op_kind { OP_PUT, OP_EVENT, OP_DEADLINE_SET, OP_DEADLINE_CLEAR, OP_DEADLINE_FIRED, OP_WRITE, OP_DONE };

struct op {
	enum op_kind kind;
	struct op *next;
	/* OP_PUT */
	char *id, *track, *type, *party, *status;
	int64_t seq;
	json_t *obj;
	/* OP_EVENT: type, track as above */
	char *audience, *leaf;
	size_t leaf_len;
	struct published *pub;
	/* OP_DEADLINE_*: track, id (object), type (kind), due */
	tq_time due;
	/* OP_WRITE */
	commit_write_fn fn;
	void *ctx;
	void (*free_ctx)(void *);
};

struct commit {
	struct app *app;
	const struct who *actor;
	tq_time now;
	struct op *head, **tail;
	struct group_action *after_head, **after_tail;
	int open;     /* its savepoint in the shared transaction is taken */
	int spent;    /* applied (or failed): ops released */
	int deadlines; /* a deadline was set: wake the sweeper after commit */
	int share;    /* commit_share: commit_apply leaves it in the shared transaction */
	/* What the batch is built on: the log's size as this node knew it, and
	 * the shared transaction open then (0: none), when it was created. */
	uint64_t base;
	uint64_t group_id;
};

/* An event's publication after commit: filled in when it is appended. */
struct published {
	struct app *app;
	uint64_t index;
	char *type, *track, *audience, *leaf;
	size_t leaf_len;
};

static void published_free(void *ctx)
{
	struct published *p = ctx;
	if (!p)
		return;
	free(p->type);
	free(p->track);
	free(p->audience);
	free(p->leaf);
	free(p);
}

static void publish(void *ctx)
{
	struct published *p = ctx;
	p->app->log_version = p->index + 1;
	if (p->app->sink)
		p->app->sink(p->app->sink_ctx, p->index, p->type, p->track, p->audience, p->leaf, p->leaf_len);
}

static void op_free(struct op *o)
{
	free(o->id);
	free(o->track);
	free(o->type);
	free(o->party);
	free(o->status);
	json_decref(o->obj);
	free(o->audience);
	free(o->leaf);
	if (o->free_ctx)
		o->free_ctx(o->ctx);
	free(o);
}

static void ops_free(struct commit *c)
{
	struct op *o = c->head, *next;
	for (; o; o = next) {
		next = o->next;
		op_free(o);
	}
	c->head = NULL;
	c->tail = &c->head;
}

static void after_run(struct commit *c, int committed)
{
	struct group_action *e = c->after_head, *next;
	for (; e; e = next) {
		next = e->next;
		if (committed && e->fn)
			e->fn(e->ctx);
		if (e->free_ctx)
			e->free_ctx(e->ctx);
		free(e);
	}
	c->after_head = NULL;
	c->after_tail = &c->after_head;
}

int commit_new(struct app *a, const struct who *actor, tq_time now, struct commit **out)
{
	struct commit *c = calloc(1, sizeof *c);
	*out = NULL;
	if (!c)
		return TQ_ENOMEM;
	c->app = a;
	c->actor = actor;
	c->now = now;
	c->tail = &c->head;
	c->after_tail = &c->after_head;
	c->base = a->log_version;
	c->group_id = group_current(a);
	*out = c;
	return TQ_OK;
}

static int member_end(struct commit *c, int rc);

void commit_free(struct commit *c)
{
	if (!c)
		return;
	if (c->open)
		(void)member_end(c, TQ_EINTERNAL); /* not applied: undo its direct writes */
	ops_free(c);
	after_run(c, 0);
	free(c);
}

struct app *commit_app(const struct commit *c)
{
	return c->app;
}

const struct who *commit_actor(const struct commit *c)
{
	return c->actor;
}

tq_time commit_now(const struct commit *c)
{
	return c->now;
}

int commit_empty(const struct commit *c)
{
	return c->head == NULL && c->after_head == NULL;
}

static char *dup_or_null(const char *s, int *bad)
{
	char *d;
	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*bad = 1;
	return d;
}

static struct op *op_new(struct commit *c, enum op_kind kind)
{
	struct op *o;
	if (c->spent)
		return NULL;
	if (!(o = calloc(1, sizeof *o)))
		return NULL;
	o->kind = kind;
	return o;
}

static void op_push(struct commit *c, struct op *o)
{
	*c->tail = o;
	c->tail = &o->next;
}

void commit_after(struct commit *c, commit_after_fn fn, void *ctx, void (*free_ctx)(void *))
{
	struct group_action *e = calloc(1, sizeof *e);
	if (!e) {
		fprintf(stderr, "tansiqd: out of memory scheduling an after-commit action\n");
		abort();
	}
	e->fn = fn;
	e->ctx = ctx;
	e->free_ctx = free_ctx;
	*c->after_tail = e;
	c->after_tail = &e->next;
}

int commit_put(struct commit *c, const struct store_obj_meta *m, json_t *obj)
{
	struct op *o = op_new(c, OP_PUT);
	int bad = 0;
	if (!o)
		return TQ_ENOMEM;
	o->id = dup_or_null(m->id, &bad);
	o->track = dup_or_null(m->track, &bad);
	o->type = dup_or_null(m->type, &bad);
	o->party = dup_or_null(m->party, &bad);
	o->status = dup_or_null(m->status, &bad);
	o->seq = m->seq;
	o->obj = json_incref(obj);
	if (bad || !m->id || !m->track || !m->type) {
		op_free(o);
		return bad ? TQ_ENOMEM : TQ_EINTERNAL;
	}
	op_push(c, o);
	return TQ_OK;
}

/* Encodes an event of the batch's actor and time. */
static int event_leaf(struct commit *c, const char *type, const char *track, const json_t *payload, char **leaf,
		      size_t *len)
{
	const struct who *w = c->actor;
	struct event e = {
		.type = type,
		.track = track,
		.actor_party = w->party[0] ? w->party : NULL,
		.actor_user = w->user,
		.actor_signature = w->signature,
		.actor_signed_body = w->signed_body,
		.time = c->now,
		.payload = payload,
	};
	randombytes_buf(e.salt, sizeof e.salt);
	return event_encode(&e, leaf, len);
}

int commit_event(struct commit *c, const char *type, const char *track, const char *audience,
		 const json_t *payload)
{
	struct op *o = op_new(c, OP_EVENT);
	struct published *p = NULL;
	int bad = 0, rc;
	if (!o || !(p = calloc(1, sizeof *p))) {
		free(o);
		return TQ_ENOMEM;
	}
	o->type = dup_or_null(type, &bad);
	o->track = dup_or_null(track, &bad);
	o->audience = dup_or_null(audience, &bad);
	p->app = c->app;
	p->type = dup_or_null(type, &bad);
	p->track = dup_or_null(track, &bad);
	p->audience = dup_or_null(audience, &bad);
	if (bad || !type || !audience) {
		rc = bad ? TQ_ENOMEM : TQ_EINTERNAL;
		goto fail;
	}
	if (!event_type_known(type)) {
		/* core/event_types.c is the one list; an emitter outside it is a bug. */
		fprintf(stderr, "tansiqd: event type %s is not in core/event_types.c\n", type);
		rc = TQ_EINTERNAL;
		goto fail;
	}
	if ((rc = event_leaf(c, type, track, payload, &o->leaf, &o->leaf_len)))
		goto fail;
	if (!(p->leaf = malloc(o->leaf_len + 1))) {
		rc = TQ_ENOMEM;
		goto fail;
	}
	memcpy(p->leaf, o->leaf, o->leaf_len + 1);
	p->leaf_len = o->leaf_len;
	o->pub = p;
	op_push(c, o);
	commit_after(c, publish, p, published_free);
	return TQ_OK;
fail:
	published_free(p);
	op_free(o);
	return rc;
}

int commit_record(struct commit *c, const struct store_obj_meta *m, json_t *obj, const char *event,
		  const char *audience)
{
	int rc = commit_put(c, m, obj);
	return rc ? rc : commit_event(c, event, m->track, audience, obj);
}

static int deadline_op(struct commit *c, enum op_kind kind, const char *track, const char *object_id,
		       const char *kind_name, tq_time due)
{
	struct op *o = op_new(c, kind);
	int bad = 0;
	if (!o)
		return TQ_ENOMEM;
	o->track = dup_or_null(track, &bad);
	o->id = dup_or_null(object_id, &bad);
	o->type = dup_or_null(kind_name, &bad);
	o->due = due;
	if (bad || !object_id) {
		op_free(o);
		return bad ? TQ_ENOMEM : TQ_EINTERNAL;
	}
	op_push(c, o);
	return TQ_OK;
}

int commit_deadline(struct commit *c, const char *track, const char *object_id, const char *kind, tq_time due)
{
	if (!track || !kind)
		return TQ_EINTERNAL;
	c->deadlines = 1;
	return deadline_op(c, OP_DEADLINE_SET, track, object_id, kind, due);
}

int commit_deadline_clear(struct commit *c, const char *object_id, const char *kind)
{
	return deadline_op(c, OP_DEADLINE_CLEAR, NULL, object_id, kind, 0);
}

int commit_deadline_fired(struct commit *c, const char *object_id, const char *kind)
{
	if (!kind)
		return TQ_EINTERNAL;
	return deadline_op(c, OP_DEADLINE_FIRED, NULL, object_id, kind, 0);
}

int commit_write(struct commit *c, commit_write_fn fn, void *ctx, void (*free_ctx)(void *))
{
	struct op *o = op_new(c, OP_WRITE);
	if (!o) {
		if (free_ctx)
			free_ctx(ctx);
		return TQ_ENOMEM;
	}
	o->fn = fn;
	o->ctx = ctx;
	o->free_ctx = free_ctx;
	op_push(c, o);
	return TQ_OK;
}

int commit_get(struct commit *c, const char *track, const char *type, const char *id, json_t **out)
{
	const struct op *last = NULL;
	*out = NULL;
	for (const struct op *o = c->head; o; o = o->next)
		if (o->kind == OP_PUT && !strcmp(o->id, id) && !strcmp(o->type, type) && !strcmp(o->track, track))
			last = o;
	if (last) {
		*out = json_deep_copy(last->obj);
		return *out ? TQ_OK : TQ_ENOMEM;
	}
	return store_obj_get(c->app->store, track, type, id, out);
}

/* The one place outside src/store that writes objects and appends events. */
static int op_apply(struct store *s, struct op *o)
{
	int rc;
	switch (o->kind) {
	case OP_PUT:
		return store_obj_put(s, &(struct store_obj_meta){o->id, o->track, o->type, o->party, o->status, o->seq},
				     o->obj);
	case OP_EVENT:
		if ((rc = store_event_append(s, o->type, o->track, o->audience, o->leaf, o->leaf_len,
					     o->pub ? &o->pub->index : NULL)))
			return rc;
		return TQ_OK;
	case OP_DEADLINE_SET:
		return store_deadline_set(s, o->track, o->id, o->type, o->due);
	case OP_DEADLINE_CLEAR:
		rc = store_deadline_clear(s, o->id, o->type);
		return rc == TQ_ENOTFOUND ? TQ_OK : rc;
	case OP_DEADLINE_FIRED:
		return store_deadline_fired(s, o->id, o->type);
	case OP_WRITE:
		return o->fn(s, o->ctx);
	case OP_DONE:
		return TQ_OK;
	}
	return TQ_EINTERNAL;
}

void commit_share(struct commit *c)
{
	c->share = 1;
}

/* Joins the shared transaction: c's savepoint (group_join). */
static int member_begin(struct commit *c, int check_stale)
{
	int rc = group_join(c->app, check_stale, c->base, c->group_id);
	if (rc == TQ_OK)
		c->open = 1;
	return rc == GROUP_STALE ? COMMIT_STALE : rc;
}

/* Ends c's savepoint, keeping its writes or not (group_leave). */
static int member_end(struct commit *c, int rc)
{
	c->open = 0;
	if (c->app->open_batch == c)
		c->app->open_batch = NULL;
	return group_leave(c->app, rc);
}

int commit_open(struct commit *c)
{
	int rc;
	if (c->open || c->spent || c->app->open_batch)
		return TQ_EINTERNAL;
	if ((rc = member_begin(c, 0)))
		return rc;
	c->app->open_batch = c;
	return TQ_OK;
}

int commit_apply(struct commit *c)
{
	struct app *a = c->app;
	int rc = TQ_OK;
	if (c->spent)
		return TQ_EINTERNAL;
	c->spent = 1;
	if (!c->open && !c->head) {
		ops_free(c);
		after_run(c, 1); /* nothing to write: the actions follow at once */
		return TQ_OK;
	}
	if (!c->open && (rc = member_begin(c, 1))) {
		/* If anything committed since the batch was created (other nodes,
		 * with a shared store), it may be built on an old state: a seq, a
		 * counter, a version read then may be taken already. Memory has
		 * caught up (app_sync) and the caller builds again. */
		if (rc == COMMIT_STALE) {
			c->spent = 0;
			return COMMIT_STALE;
		}
		goto failed;
	}
	for (struct op *o = c->head; o && rc == TQ_OK; o = o->next)
		rc = op_apply(a->store, o);
	if ((rc = member_end(c, rc)))
		goto failed;
	/* In the shared transaction: its after-commit actions wait for the COMMIT. */
	ops_free(c);
	group_add(a, c->after_head, c->after_tail, c->deadlines);
	c->after_head = NULL;
	c->after_tail = &c->after_head;
	if (c->share && a->group_max > 1)
		return TQ_OK; /* the writer settles (group_settle_unlock) */
	return group_flush(a);
failed:
	ops_free(c);
	after_run(c, 0);
	return rc;
}

/* ---- transition ---------------------------------------------------------- */

int app_emit(struct app *a, const struct who *actor, tq_time now, const char *type, const char *track,
	     const char *audience, const json_t *payload, uint64_t *out_index)
{
	struct commit *c = a->open_batch;
	const struct who *saved_actor;
	tq_time saved_now;
	struct op *o;
	int rc;
	if (!c)
		return TQ_EINTERNAL; /* events are written inside a transaction only */
	saved_actor = c->actor, saved_now = c->now;
	c->actor = actor, c->now = now;
	rc = commit_event(c, type, track, audience, payload);
	c->actor = saved_actor, c->now = saved_now;
	if (rc)
		return rc;
	/* Append at once, in order with the caller's direct writes. */
	for (o = c->head; o->next; o = o->next)
		;
	if ((rc = op_apply(a->store, o)))
		return rc;
	o->kind = OP_DONE;
	if (out_index)
		*out_index = o->pub->index;
	return TQ_OK;
}
