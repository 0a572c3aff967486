#include "core/change.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void change_init(struct change *c)
{
	memset(c, 0, sizeof *c);
	c->index = CHANGE_INDEX_KEEP;
	c->why = "modified";
}

int change_refuse(struct change *c, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->refusal, sizeof c->refusal, fmt, ap);
	va_end(ap);
	c->event = NULL;
	return err;
}

int change_party_copy(char out[CHANGE_PARTY_BYTES], const char *party)
{
	if (!party || strlen(party) >= CHANGE_PARTY_BYTES)
		return TQ_EINVALID;
	memcpy(out, party, strlen(party) + 1);
	return TQ_OK;
}

int party_set_has(const struct party_set *s, const char *party)
{
	for (size_t i = 0; party && i < s->n; i++)
		if (!strcmp(s->v[i], party))
			return 1;
	return 0;
}

int party_set_add(struct party_set *s, const char *party)
{
	if (party_set_has(s, party))
		return TQ_OK;
	if (s->n == TQ_MAX_TRACK_MEMBERS)
		return TQ_EINVALID;
	if (change_party_copy(s->v[s->n], party))
		return TQ_EINVALID;
	s->n++;
	return TQ_OK;
}

int party_set_from_json(const json_t *arr, struct party_set *out)
{
	size_t i;
	json_t *p;
	out->n = 0;
	if (!arr)
		return TQ_OK;
	if (!json_is_array(arr))
		return TQ_EINVALID;
	json_array_foreach(arr, i, p) {
		if (!json_is_string(p) || party_set_add(out, json_string_value(p)))
			return TQ_EINVALID;
	}
	return TQ_OK;
}

json_t *party_set_to_json(const struct party_set *s)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < s->n; i++)
		if (json_array_append_new(a, json_string(s->v[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int party_set_covers(const struct party_set *s, const struct party_set *sub)
{
	for (size_t i = 0; i < sub->n; i++)
		if (!party_set_has(s, sub->v[i]))
			return 0;
	return 1;
}

int change_time_to_json(json_t *obj, const char *key, tq_time t)
{
	char buf[TQTIME_BUFSZ];
	if (t == TQ_TIME_MIN)
		return TQ_OK;
	tqtime_format(t, buf);
	return json_object_set_new(obj, key, json_string(buf)) ? TQ_ENOMEM : TQ_OK;
}

int change_str_to_json(json_t *obj, const char *key, const char *s)
{
	if (!s || !s[0])
		return TQ_OK;
	return json_object_set_new(obj, key, json_string(s)) ? TQ_ENOMEM : TQ_OK;
}
