#include "server/cot_feed.h"

#include "server/group.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cot.h"
#include "server/auth.h"
#include "server/hub.h"

struct cot_feed {
	struct app *app;
	struct hub *hub;
	struct cot_net *net;
};

/* ---- snapshot at connect -------------------------------------------------------------- */

struct snap {
	const char *type, *role, *track;
	const struct who *who;
	struct cot_view view;
	struct cot_buf xml;
	int rc;
};

static int snap_visit(void *ctx, json_t *obj)
{
	struct snap *sn = ctx;
	if (!auth_sees(sn->role, sn->who->party, sn->type, obj) || !cot_object_shown(sn->type, obj))
		return 0;
	int rc = cot_object_xml(sn->type, obj, sn->track, &sn->view, &sn->xml);
	if (rc == TQ_ENOMEM) {
		sn->rc = rc;
		return -1;
	}
	if (sn->xml.len > COT_CONN_BUFFER_MAX) {
		sn->rc = TQ_ETOOBIG;
		return -1;
	}
	return 0; /* an object that cannot be drawn is skipped, not fatal */
}

/* Atomic with respect to commits: the hub calls on_event after each commit
 * under the app lock, which this holds from the snapshot to going live. */
int cot_feed_go_live(struct app *a, struct cot_conn *c, const struct cot_session *s)
{
	static const char *const types[] = {"zone", "deployment", "activity", "conflict", NULL};
	json_t *tracks = NULL, *t;
	size_t i;
	struct snap sn = {.who = &s->who};
	int rc;

	group_lock_read(a);
	sn.view.party = s->who.party;
	sn.view.now = app_now();
	/* Again under the lock: a user deleted since the session began had its
	 * user.deleted event published while this connection was not yet live. */
	struct store_user u;
	if ((rc = store_user_get(a->store, s->who.user, &u)) == TQ_OK)
		store_user_clear(&u);
	if (!rc)
		rc = store_track_all(a->store, &tracks);
	json_array_foreach(tracks, i, t) {
		const char *tid = json_string_value(json_object_get(t, "id"));
		const char *role = app_member_role(t, s->who.party);
		if (rc || !tid || !role)
			continue;
		sn.role = role;
		sn.track = tid;
		for (const char *const *ty = types; *ty && !rc; ty++) {
			sn.type = *ty;
			rc = store_obj_scan(a->store, tid, *ty, NULL, 0, 0, snap_visit, &sn);
			if (!rc)
				rc = sn.rc;
		}
	}
	if (!rc)
		cot_conn_go_live(c, sn.xml.data ? sn.xml.data : "", sn.xml.len);
	group_unlock(a);
	json_decref(tracks);
	cot_buf_free(&sn.xml);
	return rc;
}

/* ---- the hub listener: after each commit, under the app lock ------------------------ */

struct party_xml {
	char party[16];
	struct cot_buf xml;
	int rc;
};

/* One event on its way to the live connections: decoded at the first of
 * them, mapped once per party. */
struct delivery {
	const char *type, *track, *audience, *leaf;
	size_t leaf_len;
	int deleted_user;
	int decoded;
	json_t *ev, *payload;
	tq_time now;
	struct party_xml cache[FEED_PARTY_CACHE_MAX];
	size_t ncache;
};

static void pick(void *ctx, void *state, struct cot_out *out)
{
	struct delivery *d = ctx;
	const struct cot_session *s = state;
	if (!d->decoded) {
		d->decoded = 1;
		d->ev = json_loadb(d->leaf, d->leaf_len, 0, NULL);
		d->payload = json_object_get(d->ev, "payload");
		d->now = app_now();
	}
	if (!d->payload)
		return;
	if (d->deleted_user) {
		const char *id = json_string_value(json_object_get(d->payload, "id"));
		if (id && !strcmp(id, s->who.user))
			out->close = "user deleted";
		return;
	}
	if (!auth_event_visible(&s->who, d->audience))
		return;
	/* The XML depends on the viewer's party only (affiliation): once per party. */
	size_t k;
	for (k = 0; k < d->ncache && strcmp(d->cache[k].party, s->who.party); k++)
		;
	if (k == d->ncache) {
		if (d->ncache == FEED_PARTY_CACHE_MAX) {
			out->close = "too many parties in one event";
			return;
		}
		struct party_xml *p = &d->cache[k];
		memset(p, 0, sizeof *p);
		snprintf(p->party, sizeof p->party, "%s", s->who.party);
		struct cot_view v = {s->who.party, d->now};
		p->rc = cot_log_event_xml(d->type, d->payload, d->track, &v, &p->xml);
		if (p->rc)
			fprintf(stderr, "tansiqd: cot: event %s of %s not mapped: %s\n", d->type,
				d->track ? d->track : "-", tq_err_name(p->rc));
		d->ncache++;
	}
	if (!d->cache[k].rc) {
		out->data = d->cache[k].xml.data;
		out->len = d->cache[k].xml.len;
	}
}

static void on_event(void *ctx, uint64_t index, const char *type, const char *track, const char *audience,
		     const char *leaf, size_t leaf_len)
{
	struct cot_feed *f = ctx;
	struct delivery d = {.type = type, .track = track, .audience = audience, .leaf = leaf, .leaf_len = leaf_len};
	(void)index;

	d.deleted_user = !strcmp(type, "user.deleted");
	/* Only types that become CoT, or close connections, are decoded. */
	if (!d.deleted_user && strncmp(type, "zone.", 5) && strncmp(type, "deployment.", 11) &&
	    strncmp(type, "activity.", 9) && strncmp(type, "conflict.", 9) && strcmp(type, "message.created"))
		return;
	cot_net_broadcast(f->net, pick, &d);
	for (size_t k = 0; k < d.ncache; k++)
		cot_buf_free(&d.cache[k].xml);
	json_decref(d.ev);
}

int cot_feed_start(struct app *a, struct cot_net *n, struct cot_feed **out)
{
	struct cot_feed *f = calloc(1, sizeof *f);
	*out = NULL;
	if (!f)
		return TQ_ENOMEM;
	f->app = a;
	f->net = n;
	if (!(f->hub = hub_of(a)) || hub_listen(f->hub, on_event, f)) {
		free(f);
		return TQ_EIO;
	}
	*out = f;
	return TQ_OK;
}

void cot_feed_stop(struct cot_feed *f)
{
	if (!f)
		return;
	hub_unlisten(f->hub, on_event, f);
	free(f);
}
