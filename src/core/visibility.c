#include "core/visibility.h"

#include <stdio.h>
#include <string.h>

static const char *const role_names[] = {
	[VIS_PRINCIPAL] = "principal", [VIS_MEDIATOR] = "mediator", [VIS_SUPERVISOR] = "supervisor",
	[VIS_HOST] = "host",           [VIS_OBSERVER] = "observer",
};

enum vis_role vis_role_parse(const char *s)
{
	for (int r = VIS_PRINCIPAL; s && r <= VIS_OBSERVER; r++)
		if (strcmp(s, role_names[r]) == 0)
			return (enum vis_role)r;
	return VIS_NONE;
}

const char *vis_role_name(enum vis_role r)
{
	return r >= VIS_PRINCIPAL && r <= VIS_OBSERVER ? role_names[r] : NULL;
}

/* ---- party sets ----------------------------------------------------------- */

static int party_ok(const char *p)
{
	size_t n = p ? strlen(p) : 0;
	return n >= 1 && n <= VIS_PARTY_MAX && !strchr(p, ',');
}

int vis_parties_has(const struct vis_parties *s, const char *party)
{
	for (size_t i = 0; party && i < s->n; i++)
		if (strcmp(s->p[i], party) == 0)
			return 1;
	return 0;
}

int vis_parties_add(struct vis_parties *s, const char *party)
{
	if (!party_ok(party))
		return TQ_EINVALID;
	if (vis_parties_has(s, party))
		return TQ_OK;
	if (s->n == TQ_MAX_TRACK_MEMBERS)
		return TQ_ETOOBIG;
	snprintf(s->p[s->n++], VIS_PARTY_BUFSZ, "%s", party);
	return TQ_OK;
}

int vis_parties_remove(struct vis_parties *s, const char *party)
{
	for (size_t i = 0; party && i < s->n; i++) {
		if (strcmp(s->p[i], party) == 0) {
			memmove(s->p[i], s->p[i + 1], (s->n - i - 1) * sizeof s->p[0]);
			s->n--;
			return 1;
		}
	}
	return 0;
}

int vis_parties_from_json(const json_t *arr, struct vis_parties *out)
{
	size_t i;
	json_t *v;
	out->n = 0;
	if (!arr)
		return TQ_OK;
	if (!json_is_array(arr))
		return TQ_EINVALID;
	json_array_foreach(arr, i, v) {
		int rc = vis_parties_add(out, json_string_value(v));
		if (rc)
			return rc == TQ_ETOOBIG ? TQ_ETOOBIG : TQ_EINVALID;
	}
	return TQ_OK;
}

json_t *vis_parties_to_json(const struct vis_parties *s)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < s->n; i++)
		json_array_append_new(arr, json_string(s->p[i]));
	return arr;
}

/* ---- members -------------------------------------------------------------- */

int vis_track_from_json(const json_t *track, struct vis_track *out)
{
	const json_t *members = json_object_get(track, "members");
	size_t i;
	json_t *m;
	out->n = 0;
	if (!json_is_array(members) || json_array_size(members) > TQ_MAX_TRACK_MEMBERS)
		return TQ_EINVALID;
	json_array_foreach(members, i, m) {
		const char *party = json_string_value(json_object_get(m, "party"));
		enum vis_role role = vis_role_parse(json_string_value(json_object_get(m, "role")));
		if (!party_ok(party) || role == VIS_NONE)
			return TQ_EINVALID;
		snprintf(out->m[out->n].party, VIS_PARTY_BUFSZ, "%s", party);
		out->m[out->n++].role = role;
	}
	return TQ_OK;
}

enum vis_role vis_role_of(const struct vis_track *t, const char *party)
{
	for (size_t i = 0; party && i < t->n; i++)
		if (strcmp(t->m[i].party, party) == 0)
			return t->m[i].role;
	return VIS_NONE;
}

/* ---- who sees what -------------------------------------------------------- */

static int message_addressed_to(const json_t *msg, const char *party)
{
	const json_t *to = json_object_get(msg, "to");
	size_t i;
	json_t *p;
	if (json_is_string(to))
		return strcmp(json_string_value(to), "all") == 0;
	json_array_foreach(to, i, p) {
		if (json_is_string(p) && strcmp(json_string_value(p), party) == 0)
			return 1;
	}
	return 0;
}

static int sent_by(const json_t *obj, const char *party)
{
	const char *from = json_string_value(json_object_get(json_object_get(obj, "created_by"), "party"));
	return from && strcmp(from, party) == 0;
}

static int is_meeting_type(const char *type)
{
	return strcmp(type, "meeting") == 0 || strcmp(type, "minutes") == 0 || strcmp(type, "action") == 0;
}

static int full_view(enum vis_role role)
{
	return role == VIS_MEDIATOR || role == VIS_SUPERVISOR;
}

int vis_sees(enum vis_role role, const char *party, const char *type, const json_t *obj)
{
	if (role == VIS_NONE || !party || !type)
		return 0;
	if (strcmp(type, "message") == 0) {
		if (full_view(role))
			return 1;
		if (role == VIS_PRINCIPAL || role == VIS_HOST)
			return message_addressed_to(obj, party) || sent_by(obj, party);
		return 0;
	}
	if (full_view(role) || role == VIS_PRINCIPAL)
		return 1;
	if (is_meeting_type(type))
		return role == VIS_HOST || role == VIS_OBSERVER;
	if (role == VIS_OBSERVER && strcmp(type, "zone") == 0) {
		const char *status = json_string_value(json_object_get(obj, "status"));
		return status && strcmp(status, "in_force") == 0;
	}
	return 0;
}

int vis_reads_type(enum vis_role role, const char *type)
{
	if (role == VIS_NONE || !type)
		return 0;
	if (full_view(role) || role == VIS_PRINCIPAL || is_meeting_type(type))
		return 1;
	if (strcmp(type, "message") == 0)
		return role == VIS_HOST;
	return role == VIS_OBSERVER && strcmp(type, "zone") == 0;
}

/* ---- audiences ------------------------------------------------------------ */

/* Appends "party," to an audience that starts with ",": TQ_ETOOBIG rather than a cut. */
static int audience_add(char *out, size_t len, const char *party)
{
	char needle[VIS_PARTY_BUFSZ + 2];
	size_t used = strlen(out), plen = strlen(party);
	snprintf(needle, sizeof needle, ",%s,", party);
	if (strstr(out, needle))
		return TQ_OK;
	if (used + plen + 2 > len)
		return TQ_ETOOBIG;
	memcpy(out + used, party, plen);
	out[used + plen] = ',';
	out[used + plen + 1] = '\0';
	return TQ_OK;
}

int vis_audience(const struct vis_track *t, const char *type, const json_t *before, const json_t *after,
		 int oversight, char *out, size_t len)
{
	if (len < 2)
		return TQ_ETOOBIG;
	out[0] = ',';
	out[1] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		const struct vis_member *m = &t->m[i];
		int sees = (after && vis_sees(m->role, m->party, type, after)) ||
			   (before && vis_sees(m->role, m->party, type, before)) || (oversight && full_view(m->role));
		int rc;
		if (sees && (rc = audience_add(out, len, m->party))) {
			out[0] = '\0';
			return rc;
		}
	}
	return TQ_OK;
}

int vis_audience_track(const struct vis_track *t, char *out, size_t len)
{
	if (len < 4)
		return TQ_ETOOBIG;
	snprintf(out, len, ",@,");
	for (size_t i = 0; i < t->n; i++) {
		int rc = audience_add(out, len, t->m[i].party);
		if (rc) {
			out[0] = '\0';
			return rc;
		}
	}
	return TQ_OK;
}

int vis_event_visible(int is_admin, const char *party, const char *audience)
{
	char needle[VIS_PARTY_BUFSZ + 2];
	if (!audience)
		return 0;
	if (strcmp(audience, "*") == 0)
		return 1;
	if (is_admin)
		return strstr(audience, ",@,") != NULL;
	if (!party_ok(party))
		return 0;
	snprintf(needle, sizeof needle, ",%s,", party);
	return strstr(audience, needle) != NULL;
}
