/*
 * input — typed, bounded reads of fields from a JSON request body.
 *
 * Each getter fails through req_fail_field with the field's name: a wrong JSON
 * type or a missing required field is 400, a value of the right type that the
 * contract does not allow (too long, out of range, not in the enum) is 422.
 * Optional fields that are absent (or null) leave *out unchanged and succeed.
 */
#ifndef TQ_INPUT_H
#define TQ_INPUT_H

#include <jansson.h>
#include <stddef.h>
#include "server/http.h"

TQ_MUST_USE int in_string(struct req *r, const json_t *obj, const char *field, int required, size_t max_bytes,
			  const char **out);
/* A string from a fixed set (NULL-terminated list); 422 names the choices. */
TQ_MUST_USE int in_enum(struct req *r, const json_t *obj, const char *field, int required,
			const char *const *choices, const char **out);
/* Query parameter `name`, if given, must be one of choices (422 names them).
 * *out is the parameter or NULL when absent. */
TQ_MUST_USE int in_query_enum(struct req *r, const char *name, const char *const *choices, const char **out);
/* An RFC 3339 time. */
TQ_MUST_USE int in_time(struct req *r, const json_t *obj, const char *field, int required, tq_time *out);
TQ_MUST_USE int in_bool(struct req *r, const json_t *obj, const char *field, int *out);
/* Present-and-of-type checks for containers; *out borrowed. */
TQ_MUST_USE int in_object(struct req *r, const json_t *obj, const char *field, int required, json_t **out);
TQ_MUST_USE int in_array(struct req *r, const json_t *obj, const char *field, int required, size_t max_items,
			 json_t **out);
/* A string matching an id pattern: 'p' party [A-Z0-9]{2,8}, 't' track [a-z0-9-]{1,32}. */
int in_id_ok(const char *s, char kind);
/* Plain text: no control characters other than \n \r \t. */
int in_text_ok(const char *s);

/* If-Match: 409 when present and not equal to version. */
TQ_MUST_USE int in_if_match(struct req *r, json_int_t version);

/* Answers {"items": arr[after..after+limit], "next": cursor|null} for an array
 * sorted by key_field. Takes arr. */
TQ_MUST_USE int out_page(struct req *r, json_t *arr, const char *key_field);

#endif
