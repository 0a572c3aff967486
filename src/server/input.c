#include "server/input.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "core/limits.h"

static int field_fail(struct req *r, int err, const char *field, const char *msg)
{
	struct tq_field_error fe;
	TQ_FIELD_ERROR(&fe, field, "%s", msg);
	return req_fail_field(r, err, &fe);
}

int in_text_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

int in_string(struct req *r, const json_t *obj, const char *field, int required, size_t max_bytes,
	      const char **out)
{
	const json_t *v = json_object_get(obj, field);
	if (!v || json_is_null(v))
		return required ? field_fail(r, TQ_EMALFORMED, field, "is required") : TQ_OK;
	if (!json_is_string(v))
		return field_fail(r, TQ_EMALFORMED, field, "must be a string");
	size_t len = json_string_length(v);
	const char *s = json_string_value(v);
	if (len > max_bytes) {
		struct tq_field_error fe;
		TQ_FIELD_ERROR(&fe, field, "longer than %zu bytes", max_bytes);
		return req_fail_field(r, TQ_EINVALID, &fe);
	}
	if (strlen(s) != len || !in_text_ok(s))
		return field_fail(r, TQ_EINVALID, field, "contains control characters");
	*out = s;
	return TQ_OK;
}

/* 422 naming the choices, for body fields and query parameters alike. */
static int not_a_choice(struct req *r, const char *field, const char *const *choices)
{
	char msg[256] = "must be one of:";
	for (const char *const *c = choices; *c; c++) {
		size_t used = strlen(msg);
		snprintf(msg + used, sizeof msg - used, " %s", *c);
	}
	return field_fail(r, TQ_EINVALID, field, msg);
}

static const char *choice_of(const char *const *choices, const char *s)
{
	for (const char *const *c = choices; *c; c++)
		if (strcmp(*c, s) == 0)
			return *c;
	return NULL;
}

int in_enum(struct req *r, const json_t *obj, const char *field, int required, const char *const *choices,
	    const char **out)
{
	const char *s = NULL;
	int rc = in_string(r, obj, field, required, 64, &s);
	if (rc || !s)
		return rc;
	if (!(*out = choice_of(choices, s)))
		return not_a_choice(r, field, choices);
	return TQ_OK;
}

int in_query_enum(struct req *r, const char *name, const char *const *choices, const char **out)
{
	const char *s = req_query(r, name);
	*out = NULL;
	if (!s)
		return TQ_OK;
	if (!(*out = choice_of(choices, s)))
		return not_a_choice(r, name, choices);
	return TQ_OK;
}

int in_time(struct req *r, const json_t *obj, const char *field, int required, tq_time *out)
{
	const char *s = NULL;
	int rc = in_string(r, obj, field, required, 64, &s);
	if (rc || !s)
		return rc;
	if (tqtime_parse(s, out))
		return field_fail(r, TQ_EINVALID, field, "must be an RFC 3339 time such as 2026-01-06T09:00:00Z");
	return TQ_OK;
}

int in_bool(struct req *r, const json_t *obj, const char *field, int *out)
{
	const json_t *v = json_object_get(obj, field);
	if (!v || json_is_null(v))
		return TQ_OK;
	if (!json_is_boolean(v))
		return field_fail(r, TQ_EMALFORMED, field, "must be true or false");
	*out = json_is_true(v);
	return TQ_OK;
}

int in_object(struct req *r, const json_t *obj, const char *field, int required, json_t **out)
{
	json_t *v = json_object_get(obj, field);
	if (!v || json_is_null(v))
		return required ? field_fail(r, TQ_EMALFORMED, field, "is required") : TQ_OK;
	if (!json_is_object(v))
		return field_fail(r, TQ_EMALFORMED, field, "must be an object");
	*out = v;
	return TQ_OK;
}

int in_array(struct req *r, const json_t *obj, const char *field, int required, size_t max_items, json_t **out)
{
	json_t *v = json_object_get(obj, field);
	if (!v || json_is_null(v))
		return required ? field_fail(r, TQ_EMALFORMED, field, "is required") : TQ_OK;
	if (!json_is_array(v))
		return field_fail(r, TQ_EMALFORMED, field, "must be an array");
	if (json_array_size(v) > max_items) {
		struct tq_field_error fe;
		TQ_FIELD_ERROR(&fe, field, "has more than %zu items", max_items);
		return req_fail_field(r, TQ_EINVALID, &fe);
	}
	*out = v;
	return TQ_OK;
}

int in_id_ok(const char *s, char kind)
{
	size_t n = strlen(s);
	if (kind == 'p') {
		if (n < 2 || n > 8)
			return 0;
		for (size_t i = 0; i < n; i++)
			if (!(isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i])))
				return 0;
		return 1;
	}
	if (n < 1 || n > 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	return 1;
}

int in_if_match(struct req *r, json_int_t version)
{
	const char *h = req_header(r, "If-Match");
	char *end;
	if (!h)
		return TQ_OK;
	if (*h == '"' || *h == 'W')
		h += (*h == 'W') ? 3 : 1; /* tolerate W/"3" and "3" */
	long long v = strtoll(h, &end, 10);
	if (end == h || v != version)
		return req_fail(r, TQ_ECONFLICT, "stale If-Match: the object is at version %lld", (long long)version);
	return TQ_OK;
}

int out_page(struct req *r, json_t *arr, const char *key_field)
{
	const char *after = req_query(r, "after");
	size_t limit, i;
	json_t *item, *items = json_array();
	const char *next = NULL;
	int rc = req_limit(r, &limit);
	if (rc) {
		json_decref(items);
		json_decref(arr);
		return rc;
	}
	json_array_foreach(arr, i, item) {
		const char *key = json_string_value(json_object_get(item, key_field));
		if (!key || (after && strcmp(key, after) <= 0))
			continue;
		if (json_array_size(items) == limit) {
			next = json_string_value(json_object_get(json_array_get(items, limit - 1), key_field));
			break;
		}
		json_array_append(items, item);
	}
	req_json(r, 200, json_pack("{s:o, s:s?}", "items", items, "next", next));
	json_decref(arr);
	return TQ_OK;
}
