#include "server/cot_session.h"

#include "server/group.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cot.h"
#include "server/api.h"
#include "server/ca.h"

int cot_session_who(struct app *a, const char *id_or_name, int by_name, struct who *w)
{
	struct store_user u;
	int rc;
	group_lock_read(a);
	rc = by_name ? store_user_by_name(a->store, id_or_name, &u) : store_user_get(a->store, id_or_name, &u);
	group_unlock(a);
	if (rc)
		return rc;
	memset(w, 0, sizeof *w);
	snprintf(w->user, sizeof w->user, "%s", u.id);
	snprintf(w->name, sizeof w->name, "%s", u.name);
	snprintf(w->party, sizeof w->party, "%s", u.party);
	snprintf(w->role, sizeof w->role, "%s", u.role);
	store_user_clear(&u);
	return TQ_OK;
}

struct cot_session *cot_session_new(struct app *a, struct cot_conn *c, const unsigned char *cert, size_t len,
				    const struct who *insecure)
{
	struct cot_session *s = calloc(1, sizeof *s);
	char cn[64];
	if (!s) {
		fprintf(stderr, "tansiqd: cot %s: refused: out of memory\n", cot_conn_peer(c));
		return NULL;
	}
	if (!cert) {
		s->who = *insecure;
	} else if (ca_cert_cn(cert, len, cn, sizeof cn) || cot_session_who(a, cn, 0, &s->who)) {
		/* The CN names the user by id; a deleted user's certificate ends here. */
		fprintf(stderr, "tansiqd: cot %s: refused: no valid certificate of an existing user\n", cot_conn_peer(c));
		free(s);
		return NULL;
	}
	cot_conn_set_user(c, s->who.user);
	return s;
}

void cot_session_free(struct cot_session *s)
{
	free(s);
}

/* A GeoChat into a track's room → hotline message, by this user. */
static void inbound_chat(struct app *a, struct cot_conn *c, struct cot_session *s, const struct cot_in *in)
{
	const char *room = in->chatroom[0] ? in->chatroom : in->chat_id;
	char subject[160], detail[512];
	snprintf(subject, sizeof subject, "GeoChat from %s", in->sender[0] ? in->sender : s->who.name);
	json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "to", "all", "precedence", "routine", "subject", subject,
				 "body", in->remarks ? in->remarks : "");
	if (!body) {
		fprintf(stderr, "tansiqd: cot %s (%s): GeoChat not posted: out of memory\n", cot_conn_peer(c),
			s->who.user);
		return;
	}
	int rc = api_hotline_post_as(a, &s->who, room, body, detail, sizeof detail);
	json_decref(body);
	if (rc)
		fprintf(stderr, "tansiqd: cot %s (%s): GeoChat to room '%.64s' not posted: %s\n", cot_conn_peer(c),
			s->who.user, room, detail[0] ? detail : tq_err_name(rc));
}

/* One parsed event: a ping, a GeoChat, or something dropped. */
static void inbound_event(struct app *a, struct cot_conn *c, struct cot_session *s, const struct cot_in *in)
{
	if (!strcmp(in->type, "t-x-c-t")) {
		struct cot_buf pong = {0};
		if (cot_pong_xml(app_now(), &pong) == TQ_OK)
			cot_conn_send(c, pong.data ? pong.data : "", pong.len);
		cot_buf_free(&pong);
	} else if (!strcmp(in->type, "b-t-f") && in->is_chat) {
		inbound_chat(a, c, s, in);
	} else if (s->ignored++ < SESSION_IGNORED_LOG_MAX) {
		fprintf(stderr, "tansiqd: cot %s (%s): ignored inbound event of type '%.64s'\n", cot_conn_peer(c),
			s->who.user, in->type);
	}
}

ssize_t cot_session_read(struct app *a, struct cot_conn *c, struct cot_session *s, const char *data, size_t len)
{
	size_t off = 0, st, en;
	for (;;) {
		enum cot_frame f = cot_frame(data + off, len - off, &st, &en);
		if (f == COT_FRAME_TOOBIG) {
			cot_conn_close(c, "inbound event over 64 KiB");
			return -1;
		}
		if (f == COT_FRAME_MORE)
			return (ssize_t)(off + st); /* blank space is dropped */
		struct cot_in in;
		int prc = cot_parse(data + off + st, en - st, &in);
		off += en;
		if (prc) {
			cot_conn_close(c, prc == TQ_EFORBIDDEN ? "inbound XML with a DTD or entity"
							       : "malformed inbound XML");
			return -1;
		}
		inbound_event(a, c, s, &in);
		cot_in_clear(&in);
	}
}
