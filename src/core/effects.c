#include "core/effects.h"

#include <stdio.h>
#include <string.h>

void effects_init(struct effects *fx)
{
	memset(fx, 0, sizeof *fx);
}

/* The transitions add at most a handful of effects; more is a bug in core. */
void effects_event(struct effects *fx, const char *type, int oversight)
{
	if (fx->nev < EFFECTS_MAX_EVENTS)
		fx->ev[fx->nev++] = (struct effects_event){type, oversight};
}

void effects_deadline_set(struct effects *fx, const char *kind, tq_time due)
{
	if (fx->ndl < EFFECTS_MAX_DEADLINES)
		fx->dl[fx->ndl++] = (struct effects_deadline){kind, 0, due};
}

void effects_deadline_clear(struct effects *fx, const char *kind)
{
	if (fx->ndl < EFFECTS_MAX_DEADLINES)
		fx->dl[fx->ndl++] = (struct effects_deadline){kind, 1, 0};
}

const struct effects_event *effects_find(const struct effects *fx, const char *type)
{
	for (size_t i = 0; i < fx->nev; i++)
		if (strcmp(fx->ev[i].type, type) == 0)
			return &fx->ev[i];
	return NULL;
}

const struct effects_deadline *effects_find_deadline(const struct effects *fx, const char *kind)
{
	for (size_t i = 0; i < fx->ndl; i++)
		if (strcmp(fx->dl[i].kind, kind) == 0)
			return &fx->dl[i];
	return NULL;
}

json_t *effects_actor_json(const struct actor *a)
{
	return json_pack("{s:s?, s:s}", "party", a->party && a->party[0] ? a->party : NULL, "user",
			 a->user ? a->user : "");
}

json_t *effects_time_json(tq_time t)
{
	char buf[TQTIME_BUFSZ];
	tqtime_format(t, buf);
	return json_string(buf);
}

void stamp_new(struct stamp *s, const struct actor *a, tq_time now)
{
	memset(s, 0, sizeof *s);
	s->version = 1;
	s->created_at = now;
	s->updated_at = TQ_TIME_MIN;
	snprintf(s->by_party, sizeof s->by_party, "%s", a->party ? a->party : "");
	snprintf(s->by_user, sizeof s->by_user, "%s", a->user ? a->user : "");
}

void stamp_bump(struct stamp *s, tq_time now)
{
	s->version++;
	s->updated_at = now;
}

int effects_time_get(const json_t *obj, const char *key, tq_time *out)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s && tqtime_parse(s, out) == TQ_OK ? TQ_OK : TQ_EINVALID;
}

int effects_str_get(const json_t *obj, const char *key, char *buf, size_t len)
{
	const char *s = json_string_value(json_object_get(obj, key));
	if (!s || strlen(s) >= len)
		return TQ_EINVALID;
	memcpy(buf, s, strlen(s) + 1);
	return TQ_OK;
}

int stamp_from_json(const json_t *obj, struct stamp *out)
{
	const json_t *by = json_object_get(obj, "created_by");
	const json_t *version = json_object_get(obj, "version");
	const char *party = json_string_value(json_object_get(by, "party"));
	const char *user = json_string_value(json_object_get(by, "user"));
	memset(out, 0, sizeof *out);
	out->updated_at = TQ_TIME_MIN;
	if (!json_is_integer(version) || !user || effects_time_get(obj, "created_at", &out->created_at) ||
	    (json_object_get(obj, "updated_at") && effects_time_get(obj, "updated_at", &out->updated_at)) ||
	    (party && strlen(party) >= sizeof out->by_party) || strlen(user) >= sizeof out->by_user)
		return TQ_EINVALID;
	out->version = json_integer_value(version);
	snprintf(out->by_party, sizeof out->by_party, "%s", party ? party : "");
	snprintf(out->by_user, sizeof out->by_user, "%s", user);
	return TQ_OK;
}

void stamp_to_json(const struct stamp *s, json_t *obj)
{
	struct actor a = {s->by_party, s->by_user};
	json_object_set_new(obj, "created_at", effects_time_json(s->created_at));
	json_object_set_new(obj, "created_by", effects_actor_json(&a));
	json_object_set_new(obj, "version", json_integer(s->version));
	if (s->updated_at != TQ_TIME_MIN)
		json_object_set_new(obj, "updated_at", effects_time_json(s->updated_at));
}
